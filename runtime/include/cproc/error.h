/* cproc — error codes.
 *
 * Every runtime function that can fail returns an int: 0 on success or a
 * negative CP_E* code. cp_strerror() turns a code into a sentence.
 */
#ifndef CPROC_ERROR_H
#define CPROC_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
    CP_OK = 0,
    CP_EINVAL = -1,     /* an argument is malformed or out of range */
    CP_ENOMEM = -2,     /* out of memory */
    CP_ENOENT = -3,     /* no such process, handler, route or file */
    CP_EEXIST = -4,     /* the name is already taken */
    CP_ESTATE = -5,     /* the object is in the wrong state for the call */
    CP_ETERMINATED = -6,/* the process has terminated */
    CP_EDEADLK = -7,    /* the call would wait on itself */
    CP_ETIMEDOUT = -8,  /* a deadline passed */
    CP_ETOOBIG = -9,    /* a size limit was exceeded */
    CP_EPROTO = -10,    /* a peer broke the protocol */
    CP_ECONN = -11,     /* a connection failed or broke */
    CP_EIO = -12,       /* an operating system call failed */
    CP_ETLS = -13,      /* a TLS error */
    CP_ENOTSUP = -14,   /* not supported in this build or configuration */
    CP_EFULL = -15,     /* a bounded queue is full: a process's bounded
                         * mailbox (cproc/mailbox.h) or a peer's outbound
                         * bytes (CPROC_MAX_PEER_QUEUE_BYTES); try later */
};

/* A short English sentence describing `code` (static storage, never NULL).
 * Unknown codes give "unknown error". Thread-safe. */
const char *cp_strerror(int code);

/* The symbolic name of `code`, e.g. "CP_EINVAL" (static storage). */
const char *cp_err_name(int code);

#ifdef __cplusplus
}
#endif

#endif

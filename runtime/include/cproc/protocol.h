/* cproc — calls: request/response between processes that always end.
 *
 * A call sends a request to a process, local or remote, and returns a
 * future of its response. Every call ends: READY with the response, FAILED
 * with the reason, or DISCARDED. The reason is the server handler's own
 * failure text or one of (M method, ID process id, P = ID@ip:port, N =
 * ip:port, T/U type names, D the deadline as "N ms", "N us" or "N ns",
 * whichever is exact first, E cp_strerror()'s text):
 *   "no handler for rpc M in ID"            "no process ID at node N"
 *   "server process P terminated"           "node N unreachable"
 *   "rpc M to P: deadline of D exceeded"
 *   "rpc M to P: reply of S bytes exceeds CPROC_MAX_BODY_SIZE (L) on this node"
 *   "rpc M: the handler's future in P was abandoned"
 *   "rpc M: the handler returned no future"
 *   "rpc M of ID takes T, not U"            "rpc M of ID: malformed T"
 *   "rpc M: malformed T in the reply"       "rpc M to P: cannot send: E"
 *   "rpc M to P: E"                         "rpc M: no server pid"
 *   "rpc M: no request"                     "rpc: invalid rpc definition"
 *   "rpc M: the runtime is not running"
 *   "rpc M: the runtime stopped before the call ended"
 *   "rpc M: out of memory"  "rpc M: cannot copy the request (out of memory)"
 *   "rpc M: cannot spawn the calls process: E"
 * (docs/actors.md says when each happens.) At its deadline
 * or on discard, everything the call holds on the caller's side is
 * released at once (its entry on a deadline list, its entry in the table
 * of remote calls), and the server is told: a local server's handler
 * future, or a remote cproc server's, then sees the discard.
 *
 * Local calls (the pid is on this node) hand the request to the server's
 * handler by pointer (copied first only when the caller lends it, see
 * cp_call()) and get the response back by pointer, shared with the
 * handler's future: nothing is serialized. Remote calls use cproc's
 * call protocol on libprocess framing (docs/wire.md): the request travels
 * under its type name with a call id and the method in headers, and the
 * answer comes back correlated by id with a status and failure text. A
 * libprocess server ignores the headers and answers by type name, which
 * is accepted too (libprocess's Protocol<Req, Res>; its only failure signal
 * is a broken connection). No process is spawned per call.
 *
 * The generated rpc stubs (cproc-gen) are thin wrappers over cp_call() and
 * cp_process_install_rpc(); most programs never call these directly.
 */
#ifndef CPROC_PROTOCOL_H
#define CPROC_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "cproc/future.h"
#include "cproc/pid.h"
#include "cproc/process.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A message type as calls move it: its full name, how to serialize it and
 * read it back, and how to free a value `unpack` made. Generated per
 * message as `<pkg>__<msg>__cproc_type`. All fields are required. */
typedef struct cp_msgtype {
    const char *name;                              /* "pkg.Msg": the name it travels under */
    size_t (*size)(const void *msg);               /* serialized size */
    size_t (*pack)(const void *msg, uint8_t *out); /* writes size() bytes, returns them */
    void *(*unpack)(const void *body, size_t len); /* NULL when malformed */
    cp_free_fn free;                               /* frees what unpack returned */
} cp_msgtype_t;

/* One rpc of an actor: method name (unique within the actor) and types. */
typedef struct cp_rpc_def {
    const char *method; /* "GetStats" */
    const cp_msgtype_t *request;
    const cp_msgtype_t *response;
} cp_rpc_def_t;

/* Per-call options; a NULL pointer means all defaults. */
typedef struct cp_call_opts {
    /* Time from the call to its deadline on the runtime clock; 0 means the
     * default, cp_call_default_timeout_ns(). */
    uint64_t timeout_ns;
} cp_call_opts_t;

/* The default deadline: 30 s, or CPROC_CALL_TIMEOUT_MS milliseconds when
 * that variable holds a positive integer when the runtime starts. */
uint64_t cp_call_default_timeout_ns(void);

#define CP_CALL_DEFAULT_TIMEOUT_MS 30000

/* Calls rpc `def` on process `to` and returns a future of its response
 * (a `def->response` value, freed with def->response->free or shared with
 * a local handler's future). Never NULL.
 *
 * The request: with `request_free`, the call takes ownership of `request`
 * at once (also on error): a local handler gets this very pointer, and
 * request_free(request) runs when the handler's future has completed (a
 * no-op function lets the caller keep a long-lived request). Without it
 * (NULL), `request` is borrowed for this call only: a remote call
 * serializes it, a local one copies it (packs and unpacks).
 *
 * The caller's pid, which the server's handler sees, is the process the
 * calling thread runs inside (none outside a process). Thread-safe. */
cp_future_t *cp_call(const cp_upid_t *to, const cp_rpc_def_t *def, void *request,
                     cp_free_fn request_free, const cp_call_opts_t *opts);

/* Calls not yet ended on this node (each holds its record, an entry on a
 * deadline list and, when remote, an entry in the table of calls by id).
 * Exact for the calls whose start and end the calling thread has seen
 * (for instance by waiting on their futures); a call starting or ending
 * on another thread meanwhile may or may not be counted. For tests and
 * metrics. */
uint64_t cp_call_pending(void);

/* ---- the server side -------------------------------------------------- */

/* An rpc handler, run inside the server process. `caller` is the calling
 * process (NULL when the call came from outside any process), `request`
 * is borrowed until the returned future completes. Return a future of a
 * def->response value (a new reference, which the runtime takes); NULL
 * fails the call. Discarding the call discards this future. */
typedef cp_future_t *(*cp_rpc_handler)(cp_process_t *self, const cp_upid_t *caller,
                                       const void *request, void *arg);

/* Flags for cp_process_install_rpc(). */
enum {
    /* Also serve plain messages named def->request->name (a libprocess
     * client's Protocol<Req, Res>): the reply goes back by type name to the
     * sender; a failure sends nothing, as in libprocess. */
    CP_RPC_BY_TYPE_NAME = 1,
};

/* Installs `fn` for calls of `def->method` on self (replacing any with
 * that method). `def` is borrowed for the process's life (use a static
 * const); arg/arg_free as cp_process_install(). Calls for a method with
 * no handler fail with "no handler for rpc M". When self terminates, its
 * calls still running fail with "server process P terminated". Returns 0,
 * CP_EINVAL or CP_ENOMEM (arg_free has run then). Call inside self. */
int cp_process_install_rpc(cp_process_t *self, const cp_rpc_def_t *def, unsigned flags,
                           cp_rpc_handler fn, void *arg, cp_free_fn arg_free);

#ifdef __cplusplus
}
#endif

#endif

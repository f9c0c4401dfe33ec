/* Internal: the byte stream every connection reads and writes through.
 *
 * A stream is a TCP handle plus an optional filter. Plain TCP passes bytes
 * straight through; a filter (TLS, runtime/src/transport/tls.c) turns what
 * is read into plaintext and what is written into bytes for the wire, and
 * may produce bytes of its own (handshake) while reading. The HTTP code
 * above never knows which. Loop thread only.
 */
#ifndef CPROC_TRANSPORT_STREAM_H
#define CPROC_TRANSPORT_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "transport/buf.h"

typedef struct cp__stream cp__stream_t;

/* A transformation of the bytes on a stream. Each function returns 0 or a
 * negative CP_E* code (the stream then ends with that status). */
typedef struct cp__stream_filter {
    /* Optional: called when the stream starts; may append bytes to send
     * first (a TLS client's hello) to *wire. */
    int (*start)(void *ctx, cp__buf_t *wire);
    /* `len` bytes arrived from the socket: append plaintext to *plain and
     * anything to send back (handshake) to *wire. */
    int (*input)(void *ctx, const char *in, size_t len, cp__buf_t *plain, cp__buf_t *wire);
    /* Append the wire form of `len` bytes of plaintext to *wire. */
    int (*output)(void *ctx, const char *plain, size_t len, cp__buf_t *wire);
    /* Frees ctx when the stream closes. */
    void (*free)(void *ctx);
} cp__stream_filter_t;

struct cp__stream {
    uv_tcp_t tcp; /* first: libuv callbacks cast the handle back */
    uv_write_t write;
    bool writing;
    bool closing;
    cp__buf_t wire;    /* bytes of the write in flight */
    cp__buf_t pending; /* bytes for the wire waiting for that write */
    cp__buf_t plain;   /* decrypted input (filtered streams only) */
    const cp__stream_filter_t *filter;
    void *filter_ctx;
    uint64_t written; /* bytes for the wire whose write completed */
    /* Plaintext arrived (the bytes are valid for the call only). */
    void (*on_data)(cp__stream_t *s, const char *data, size_t len);
    /* The peer closed (UV_EOF) or the stream failed (negative status);
     * reading has stopped. Not called after cp__stream_close(). */
    void (*on_end)(cp__stream_t *s, int status);
    /* Everything handed to cp__stream_write() so far is on the wire (status
     * 0) or lost (negative). May be NULL. */
    void (*on_drained)(cp__stream_t *s, int status);
    void (*on_closed)(cp__stream_t *s); /* after close: free the owner */
};

/* Prepares the stream's handle on the loop. Never fails. */
void cp__stream_init(cp__stream_t *s);

/* Puts a filter on the stream (before any byte flows); the stream owns
 * ctx from then on and frees it with filter->free. */
void cp__stream_set_filter(cp__stream_t *s, const cp__stream_filter_t *filter, void *ctx);

/* Starts reading (and the filter, if any). Returns 0, CP_EIO or the
 * filter's error. */
int cp__stream_start(cp__stream_t *s);

/* Queues `len` bytes for writing (copied; batched with other queued
 * bytes into one write). Returns 0 or a CP_E* code. */
int cp__stream_write(cp__stream_t *s, const void *data, size_t len);

/* Queues the contents of *buf without copying when nothing else is
 * queued: *buf gets an empty buffer (of whatever capacity) back. */
int cp__stream_write_buf(cp__stream_t *s, cp__buf_t *buf);

/* True while bytes are queued or being written. */
bool cp__stream_busy(const cp__stream_t *s);

/* Stops reading. */
void cp__stream_stop(cp__stream_t *s);

/* Reads again after cp__stream_stop (the filter is not restarted).
 * Returns 0, CP_ECONN (closing) or CP_EIO. */
int cp__stream_resume(cp__stream_t *s);

/* Buffers larger than this are given back by cp__stream_trim. */
#define CP__STREAM_KEEP_BYTES ((size_t)64 * 1024)

/* Frees the stream's buffers larger than CP__STREAM_KEEP_BYTES when
 * nothing is queued or being written (the sweep calls it on quiet
 * streams, so a burst's memory does not stay with an idle connection). */
void cp__stream_trim(cp__stream_t *s);

/* Closes the stream; on_closed runs when the handle is gone. Queued bytes
 * are dropped. Idempotent. */
void cp__stream_close(cp__stream_t *s);

#endif

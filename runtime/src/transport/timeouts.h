/* Internal: the timeouts of one inbound connection.
 *
 * A connection is, at any moment, in one phase with its own clock:
 *   handshake  a TLS handshake not yet complete (since accept),
 *   header     a request started and no body byte yet (since it started),
 *   body       body bytes arriving (since the last read that added some),
 *   paused     not read because its answers are not being read (since
 *              reading stopped; the idle timeout applies),
 *   waiting    an endpoint is computing an answer (no timeout),
 *   idle       nothing in progress (since the last read or write).
 *              The idle timeout never closes a connection that carried a
 *              libprocess message, and closes one that carried nothing
 *              yet only while the node is crowded (more than half of
 *              max_connections open; it stops closing them as soon as
 *              it no longer is): a libprocess or cproc node links
 *              by opening a connection and may send nothing on it, and
 *              closing it reads, on its side, as the loss of every link
 *              to this node. A connection that carried HTTP requests
 *              (endpoints) is closed when idle.
 * The decision is pure (no I/O) so it can be tested on its own; the server
 * feeds it what it sees. Loop thread only.
 */
#ifndef CPROC_TRANSPORT_TIMEOUTS_H
#define CPROC_TRANSPORT_TIMEOUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/limits.h"

struct cp__stream;

typedef struct cp__conn_clock {
    uint64_t active;     /* last read, or write drained */
    uint64_t req_since;  /* the request in progress started */
    uint64_t body_since; /* body bytes last grew */
    uint64_t paused_since;
    size_t body_seen;
    bool in_req;
    bool paused;
    bool carried_message; /* a libprocess message arrived on it */
    bool carried_request; /* an HTTP request (not a message) arrived */
} cp__conn_clock_t;

typedef enum cp__conn_verdict {
    CP__CONN_OK,
    CP__CONN_TIMEOUT_IDLE,
    CP__CONN_TIMEOUT_HEADER,
    CP__CONN_TIMEOUT_BODY,
    CP__CONN_TIMEOUT_TLS,
} cp__conn_verdict_t;

/* What the server sees of a connection at a sweep. */
typedef struct cp__conn_view {
    bool handshaking; /* TLS handshake in progress */
    bool mid_request; /* the decoder holds part of a request */
    size_t body_len;  /* body bytes of that request so far */
    bool waiting;     /* an answer is being computed */
    bool crowded;     /* more than half of max_connections are open */
} cp__conn_view_t;

/* Starts the clock of a connection accepted at `now`. */
void cp__conn_clock_init(cp__conn_clock_t *k, uint64_t now);

/* Bytes were read (call after the decoder took them) or a write drained. */
void cp__conn_clock_activity(cp__conn_clock_t *k, uint64_t now, bool mid_request);

/* Decides at `now` whether the connection outlived a timeout of `l`
 * (0 = no timeout). Updates the body progress it tracks. */
cp__conn_verdict_t cp__conn_clock_check(cp__conn_clock_t *k, const cp__conn_view_t *v,
                                        const cp__limits_t *l, uint64_t now);

/* Counts a verdict in cp__limits_stats. */
void cp__conn_clock_count(cp__conn_verdict_t v);

/* True while a TLS stream's handshake has not completed (false for a
 * plain or downgraded stream). */
bool cp__stream_handshaking(const struct cp__stream *s);

#endif

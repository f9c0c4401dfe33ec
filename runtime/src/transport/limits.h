/* Internal: the transport's bounds and timeouts, and their counters.
 *
 * Read once from the environment when the transport starts (CPROC_X or
 * LIBPROCESS_X, the LIBPROCESS_ name wins, as config.c). docs/wire.md lists
 * every variable with its default. One repeating loop timer ("the sweep")
 * forgets idle peers (peer.c) and closes inbound connections whose
 * timeout expired (server.c asks timeouts.c which one did).
 *
 * Threads: the settings are written before the transport runs and only
 * read afterwards; the counters are atomics; the sweep runs on the loop
 * thread.
 */
#ifndef CPROC_TRANSPORT_LIMITS_H
#define CPROC_TRANSPORT_LIMITS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cproc/pid.h"
#include "transport/buf.h"

typedef struct cp__limits {
    /* Milliseconds; 0 turns the timeout off. */
    uint64_t peer_idle_ms;       /* forget a peer with no traffic and no link */
    uint64_t idle_ms;            /* inbound connection without a message or request */
    uint64_t header_ms;          /* a request's line and headers */
    uint64_t body_ms;            /* between two reads of a request's body */
    uint64_t tls_ms;             /* TLS handshake of an accepted connection */
    uint64_t send_ms;            /* outbound connection with bytes queued and
                                  * no write progress */
    size_t peer_queue_bytes;     /* encoded bytes waiting for one peer */
    size_t answer_bytes;         /* answers queued on one inbound connection
                                  * before it stops being read */
    size_t reserved_connections; /* of max_connections, kept for peers */
    size_t inbound_bytes;        /* delivered messages not yet run before
                                  * delivering connections stop being read */
    size_t resend_bytes;         /* call replies kept per peer until answered
                                  * (resend.h); 0 keeps none */
} cp__limits_t;

#define CP__LIMITS_DEFAULT_PEER_IDLE_MS     60000u
#define CP__LIMITS_DEFAULT_IDLE_MS          60000u
#define CP__LIMITS_DEFAULT_HEADER_MS        10000u
#define CP__LIMITS_DEFAULT_BODY_MS          30000u
#define CP__LIMITS_DEFAULT_TLS_MS           10000u
#define CP__LIMITS_DEFAULT_SEND_MS          60000u
#define CP__LIMITS_DEFAULT_INBOUND_BYTES    ((size_t)64 * 1024 * 1024)
#define CP__LIMITS_DEFAULT_PEER_QUEUE_BYTES ((size_t)64 * 1024 * 1024)
#define CP__LIMITS_DEFAULT_ANSWER_BYTES     ((size_t)256 * 1024)

extern cp__limits_t cp__limits;

/* Counters for /metrics/snapshot (transport/...). */
typedef struct cp__limits_stats {
    _Atomic uint64_t peers_expired; /* peers forgotten after idling */
    _Atomic uint64_t messages_full; /* sends refused: queue full */
    _Atomic uint64_t timeouts_idle, timeouts_header, timeouts_body, timeouts_tls;
    _Atomic uint64_t connections_refused; /* over the connection cap */
    _Atomic uint64_t reads_paused;        /* backpressure engaged */
    _Atomic uint64_t reads_paused_inbound; /* a connection paused: inbound bytes over the bound */
    _Atomic uint64_t timeouts_send;       /* outbound connections closed: no write progress */
    _Atomic uint64_t replies_resent;      /* call replies queued again after a break (resend.h) */
    _Atomic uint64_t replies_given_up;    /* kept call replies dropped: the rounds ran out */
} cp__limits_stats_t;

extern cp__limits_stats_t cp__limits_stats;

/* Reads the variables; max_connections is the cap already read (the
 * reserved share defaults to an eighth of it and must stay below it).
 * Returns 0 or CP_EINVAL with a sentence naming the variable and its value
 * in err (CP__START_ERRLEN bytes). */
int cp__limits_read(size_t max_connections, char *err);

/* Starts / stops the sweep timer (loop thread; start returns 0 or CP_EIO). */
int cp__limits_start(void);
void cp__limits_stop(void);

/* The sweep's period in ms (valid after cp__limits_read). */
uint64_t cp__limits_tick_ms(void);

/* Peers (peer.c). The sweep count, guarded by cp__transport.mu: a peer
 * stamps it whenever a send or link touches it. Only the sweep, on the
 * loop thread, writes it, so the loop thread also reads it without the
 * lock (peer_stats.h). */
extern uint64_t cp__peer_epoch;
/* Known peers right now; any thread. */
extern _Atomic uint64_t cp__peers_live;
/* True when a peer at `ip` (any port) is known: the node sends to it or
 * links to it. Any thread; takes cp__transport.mu. */
bool cp__peer_known_ip(uint32_t ip);

/* Queues a message for p within CPROC_MAX_PEER_QUEUE_BYTES: the bytes of
 * `enc` when the sender encoded it already (outside the lock), else the
 * message encoded in place, with `hlen` bytes of extra header lines (the
 * call headers; may be 0). Returns 0, CP_EFULL (nothing queued, counted)
 * or the encoder's error. Call with cp__transport.mu held. */
struct cp__peer;
int cp__peer_encode(struct cp__peer *p, const cp__buf_t *enc, const cp_upid_t *from,
                    const cp_upid_t *to, const char *name, const void *body, size_t len,
                    const char *headers, size_t hlen);

/* The sweep's two halves (loop thread): `now` is uv_now() in ms. */
void cp__peer_sweep(uint64_t now);
void cp__server_sweep(uint64_t now);

#endif

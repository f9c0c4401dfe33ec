/* Internal to the transport: the shared state of sockets and peers.
 *
 * Threads: cp__transport_send/link run on any thread and touch only what
 * `mu` guards (the peer table, each peer's pending bytes and flags, the
 * dirty list); they wake the loop through one uv_async_t. Everything else
 * (handles, connections, decoders) belongs to the event-loop thread.
 *
 * Stream seam: every byte a connection reads goes through conn_input()
 * and every byte it writes through a uv_write of a cp__buf_t; a TLS layer
 * slots in between the socket and those two points without the HTTP code
 * knowing (see docs/wire.md).
 */
#ifndef CPROC_TRANSPORT_INTERNAL_H
#define CPROC_TRANSPORT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "transport/buf.h"
#include "transport/http_decoder.h"
#include "transport/resend.h"
#include "transport/stream.h"
#include "transport/warn_limit.h"

typedef struct cp__outconn cp__outconn_t;

/* A peer node we send to, one per ip:port. Forgotten (freed) by the sweep
 * on the loop thread once it has no traffic and no link: peer.c says why
 * that is safe for senders on other threads. */
typedef struct cp__peer {
    struct cp__peer *hash_next;
    struct cp__peer *dirty_next;
    uint32_t ip;
    uint16_t port;
    /* Guarded by cp__transport.mu: */
    cp__buf_t pending; /* encoded messages not yet handed to a write */
    size_t pending_msgs;
    bool dirty;  /* on the dirty list */
    bool relink; /* close and reopen the connection */
    bool linked; /* someone linked a process at this address */
    uint64_t epoch;  /* cp__peer_epoch when a send or link last touched it */
    size_t inflight; /* bytes handed to the connection, not yet written */
    cp__resend_t resend; /* call replies kept until answered (resend.h) */
    /* Loop thread only: */
    cp__outconn_t *conn; /* NULL when disconnected */
    cp__buf_t spare;     /* rotates with pending so writes allocate nothing */
    struct cp__peer *kick_next;
    struct cp__peer_stats *stats; /* its figures (peer_stats.h), from the first write */
} cp__peer_t;

typedef enum { OUT_CONNECTING, OUT_CONNECTED } cp__outconn_state_t;

/* One outbound TCP connection; freed in its close callback, so a peer
 * detaches from it at once and a new one can start while it closes. */
struct cp__outconn {
    cp__stream_t st; /* first: stream callbacks cast back */
    uv_connect_t connect;
    cp__peer_t *peer; /* NULL once detached */
    cp__outconn_state_t state;
    size_t out_msgs;  /* messages handed to the stream, not yet written */
    size_t out_bytes; /* their bytes */
    cp__answers_t answers; /* the peer's answers, counted (resend.h) */
    /* The send timeout (cp__outconn_sweep): when bytes last moved. */
    uint64_t progress_at;
    uint64_t progress_written;
    size_t progress_left;
};

typedef struct cp__transport_config {
    uint32_t bind_ip;
    uint16_t bind_port;
    uint32_t advertise_ip;
    int advertise_port; /* -1: the bound port */
    bool have_advertise_ip;
    bool require_ip_match;
    size_t max_connections;
    cp__http_limits_t limits;
    unsigned warn_burst;      /* warnings about peers per interval, then one summary */
    unsigned warn_interval_s; /* that interval, seconds */
} cp__transport_config_t;

/* The smallest CPROC_MAX_HEADER_SIZE / CPROC_MAX_BODY_SIZE accepted:
 * below them ordinary libprocess messages (whose request line and headers
 * take about 200 bytes) would be refused with 431/413. */
#define CP__MIN_HEADER_SIZE 1024u
#define CP__MIN_BODY_SIZE   1024u

/* Where a node listens unless LIBPROCESS_IP says otherwise: 127.0.0.1. */
#define CP__DEFAULT_BIND_IP 0x7f000001u

#define CP_PEER_BUCKETS 256

typedef struct cp__transport {
    pthread_mutex_t mu;
    bool running; /* guarded by mu */
    cp__peer_t *buckets[CP_PEER_BUCKETS];
    cp__peer_t *dirty;
    uv_async_t wake;
    uv_tcp_t listener;
    cp__transport_config_t cfg;
    struct cp__tls_context *tls; /* NULL: plain TCP */
    uint32_t ip; /* advertised */
    uint16_t port;
    size_t inbound; /* loop thread */
    struct cp__inconn *conns; /* loop thread: every inbound connection */
    /* Counters for /metrics/snapshot. */
    _Atomic uint64_t messages_sent, messages_received, messages_dropped, messages_refused;
    _Atomic uint64_t bytes_sent, bytes_received;
    _Atomic uint64_t connections_in, connections_out, connects_failed, connections_lost;
    _Atomic uint64_t http_requests, http_errors;
    _Atomic uint64_t messages_from_mismatch; /* Libprocess-From IP != socket's peer IP */
    cp__warn_limit_t warn; /* loop thread */
} cp__transport_t;

extern cp__transport_t cp__transport;

/* Decides the filter of a new connection (TLS plugs in here): `server`
 * for an accepted one; the peer's address in host order. Sets *filter
 * (NULL: plain TCP) and *ctx (owned by the stream from then on). A
 * negative return refuses the connection. Loop thread. */
typedef int (*cp__stream_filter_factory_fn)(bool server, uint32_t ip, uint16_t port,
                                            const cp__stream_filter_t **filter, void **ctx);

/* Installs the factory used for every later connection (NULL: plain TCP).
 * Call before cp_runtime_start() or on the loop thread. */
void cp__transport_set_filter_factory(cp__stream_filter_factory_fn fn);

/* Applies the factory to a new stream; returns 0 or its error. */
int cp__transport_filter_stream(cp__stream_t *s, bool server, uint32_t ip, uint16_t port);

/* Reads the configuration from the environment; returns 0 or CP_EINVAL
 * with one sentence in err (CP__START_ERRLEN bytes) naming the variable
 * and its value. */
int cp__transport_config_read(cp__transport_config_t *cfg, char *err);

/* Writes the first IPv4 address the host name resolves to (libprocess's
 * choice for a wildcard address). 0, or CP_EINVAL with err set. */
int cp__transport_resolve_hostname(uint32_t *out, char *err);

/* The listener and inbound connections (server.c), loop thread.
 * start: binds and listens; on failure err says on which address and why
 * ("cannot listen on 127.0.0.1:5050: address already in use").
 * quiesce: closes the listener and every inbound connection; answers
 * still being computed keep their slots. fini: frees those slots. */
int cp__server_start(char *err);
void cp__server_quiesce(void);
void cp__server_fini(void);

/* Logs a warning about a peer at most cfg.warn_burst times per
 * cfg.warn_interval_s, then one line saying how many were suppressed.
 * Loop thread. */
void cp__transport_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The send timeout (CPROC_SEND_TIMEOUT_MS): closes, as lost, every
 * outbound connection that has bytes waiting and wrote none of them for
 * that long (connecting included). Loop thread, from the sweep. */
void cp__outconn_sweep(uint64_t now);

/* Appends the JSON of /metrics/snapshot (keys sorted) to out. Loop
 * thread (it reads the per-peer figures' table). */
int cp__transport_metrics_json(cp__buf_t *out);

#endif

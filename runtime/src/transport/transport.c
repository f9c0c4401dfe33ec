/* The transport's seam with the core, and outbound connections.
 *
 * Sending encodes straight into the peer's pending buffer under one mutex
 * and marks the peer dirty; the loop thread, woken through one coalescing
 * uv_async_t, hands each dirty peer's whole buffer to a single uv_write.
 * So a burst of messages costs one write syscall, not one per message,
 * and messages to a peer leave in the order they were encoded. One
 * connection per peer address carries everything sent to that node, linked
 * or not; it is opened on demand and reopened on the next send after it
 * broke.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/node.h"
#include "core/transport_ops.h"
#include "cproc/log.h"
#include "cproc/error.h"
#include "transport/http_internal.h"
#include "transport/limits.h"
#include "transport/peer_stats.h"
#include "transport/tls.h"
#include "transport/transport_internal.h"
#include "transport/wire.h"

cp__transport_t cp__transport = {.mu = PTHREAD_MUTEX_INITIALIZER};
#define T cp__transport

static cp__stream_filter_factory_fn filter_factory;

/* Senders wake the loop outside T.mu; wake_mu only orders that against
 * quiesce closing the handle. */
static pthread_mutex_t wake_mu = PTHREAD_MUTEX_INITIALIZER;
static bool wake_open; /* guarded by wake_mu */

void cp__transport_set_filter_factory(cp__stream_filter_factory_fn fn)
{
    filter_factory = fn;
}

/* With LIBPROCESS_SSL_ENABLED every connection is a TLS session (a server
 * one may downgrade to plaintext when the context allows it). */
static int tls_factory(bool server, uint32_t ip, uint16_t port, const cp__stream_filter_t **f,
                       void **ctx)
{
    char text[16];
    cp__wire_format_ip(text, ip);
    cp__tls_session_t *s = NULL;
    int rc = cp__tls_session_new(T.tls, server ? CP__TLS_SERVER : CP__TLS_CLIENT, text, &s);
    if (rc)
        return rc;
    *f = &cp__tls_stream_filter;
    *ctx = s;
    return 0;
}

int cp__transport_filter_stream(cp__stream_t *s, bool server, uint32_t ip, uint16_t port)
{
    if (!filter_factory && !T.tls)
        return 0;
    const cp__stream_filter_t *f = NULL;
    void *ctx = NULL;
    int rc = (filter_factory ? filter_factory : tls_factory)(server, ip, port, &f, &ctx);
    if (rc < 0)
        return rc;
    if (f)
        cp__stream_set_filter(s, f, ctx);
    return 0;
}

static size_t bucket_of(uint32_t ip, uint16_t port)
{
    uint32_t h = ip * 2654435761u ^ (uint32_t)port * 40503u;
    return (h ^ h >> 16) % CP_PEER_BUCKETS;
}

/* Call with T.mu held. */
static cp__peer_t *peer_get(uint32_t ip, uint16_t port)
{
    size_t b = bucket_of(ip, port);
    for (cp__peer_t *p = T.buckets[b]; p; p = p->hash_next) {
        if (p->ip == ip && p->port == port) {
            p->epoch = cp__peer_epoch;
            return p;
        }
    }
    cp__peer_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    atomic_fetch_add(&cp__peers_live, 1);
    p->epoch = cp__peer_epoch;
    p->ip = ip;
    p->port = port;
    cp__buf_init(&p->pending);
    p->hash_next = T.buckets[b];
    T.buckets[b] = p;
    return p;
}

/* Call with T.mu held; returns true when the loop must be woken. */
static bool peer_mark_dirty(cp__peer_t *p)
{
    if (p->dirty)
        return false;
    p->dirty = true;
    bool wake = T.dirty == NULL;
    p->dirty_next = T.dirty;
    T.dirty = p;
    return wake;
}

static void peer_kick(cp__peer_t *p);
static void wake_loop(void);

static void outconn_closed(cp__stream_t *st)
{
    free(st);
}

/* Detaches the connection from its peer and closes it. Messages not yet
 * written are dropped, as libprocess drops a broken socket's queue; returns
 * how many. */
static size_t peer_disconnect(cp__peer_t *p, bool lost)
{
    cp__outconn_t *c = p->conn;
    if (!c)
        return 0;
    p->conn = NULL;
    c->peer = NULL;
    size_t in_write = c->out_msgs;
    if (in_write)
        atomic_fetch_add(&T.messages_dropped, in_write);
    cp__stream_close(&c->st);
    /* Call replies the peer did not answer go out again first (resend.h);
     * other messages not yet written are dropped when the connection was
     * lost, kept when it is only being replaced. */
    pthread_mutex_lock(&T.mu);
    cp__requeue_t rq = cp__resend_requeue(&p->resend, &p->pending, &p->pending_msgs, lost);
    p->inflight = 0;
    bool wake = false;
    if (lost) {
        p->linked = false; /* its linkers are told now; a new link reconnects */
        wake = rq.resent && peer_mark_dirty(p);
    }
    pthread_mutex_unlock(&T.mu);
    atomic_fetch_add(&T.messages_dropped, rq.dropped);
    atomic_fetch_add(&cp__limits_stats.replies_resent, rq.again);
    atomic_fetch_add(&cp__limits_stats.replies_given_up, rq.given_up);
    if (rq.given_up) {
        char ip[16];
        cp__wire_format_ip(ip, p->ip);
        cp__transport_warn("sending to %s:%u: %zu call replies dropped: %d connections in a row "
                           "broke before the node answered them",
                           ip, (unsigned)p->port, rq.given_up, CP__RESEND_ROUNDS + 1);
    }
    if (!lost)
        return in_write + rq.dropped;
    cp__buf_close(&p->spare);
    atomic_fetch_add(&T.connections_lost, 1);
    cp__node_lost(p->ip, p->port);
    if (wake)
        wake_loop();
    return in_write + rq.dropped;
}

/* A sending-side failure: the connection is lost, with one warning naming
 * the peer (rate-limited as every warning about peers) when messages were
 * dropped with it; a peer closing a connection that held nothing (it
 * exited, or closed an idle connection) is only logged at info. */
static void peer_lost(cp__peer_t *p, const char *what, int uv_status)
{
    char ip[16], cause[160];
    cp__wire_format_ip(ip, p->ip);
    if (uv_status)
        snprintf(cause, sizeof cause, "sending to %s:%u: %s (%s)", ip, (unsigned)p->port, what,
                 uv_strerror(uv_status));
    else
        snprintf(cause, sizeof cause, "sending to %s:%u: %s", ip, (unsigned)p->port, what);
    size_t dropped = peer_disconnect(p, true);
    if (dropped)
        cp__transport_warn("%s; %zu %s not yet written %s dropped", cause, dropped,
                           dropped == 1 ? "message" : "messages", dropped == 1 ? "is" : "are");
    else
        cp_log(CP_LOG_INFO, "%s; nothing was waiting to be written", cause);
}

static void outconn_data(cp__stream_t *st, const char *data, size_t len)
{
    /* Peers answer our messages with 202s that we only count and discard.
     * A 503 is worth a warning: one that closes the connection is a peer
     * over its connection cap; one that keeps it is a cproc process whose
     * bounded mailbox was full, and the message was dropped. */
    cp__outconn_t *c = (cp__outconn_t *)st;
    atomic_fetch_add(&T.bytes_received, (uint64_t)len);
    uint64_t upto;
    if (c->peer && cp__answers_read(&c->answers, data, len, &upto)) {
        pthread_mutex_lock(&T.mu);
        cp__resend_answered(&c->peer->resend, upto);
        pthread_mutex_unlock(&T.mu);
    }
    if (c->peer &&
        (memmem(data, len, "HTTP/1.1 503", 12) || memmem(data, len, "HTTP/1.0 503", 12))) {
        char ip[16];
        cp__wire_format_ip(ip, c->peer->ip);
        bool cap = memmem(data, len, "Connection: close", 17) != NULL;
        cp__transport_warn("sending to %s:%u: the peer answered 503 Service Unavailable (%s)", ip,
                           (unsigned)c->peer->port,
                           cap ? "over its connection cap"
                               : "a bounded mailbox was full: the message is dropped");
    }
}

static void outconn_end(cp__stream_t *st, int status)
{
    cp__outconn_t *c = (cp__outconn_t *)st;
    /* EOF or error: the peer closed or reset. Reporting it now, rather than
     * at the next write, is what detects a stale half-closed connection
     * before a message is lost in it. */
    if (c->peer)
        peer_lost(c->peer,
                  status == UV_EOF ? "the peer closed the connection" : "the connection broke",
                  status == UV_EOF ? 0 : status);
}

static void outconn_drained(cp__stream_t *st, int status)
{
    cp__outconn_t *c = (cp__outconn_t *)st;
    size_t msgs = c->out_msgs;
    size_t bytes = c->out_bytes;
    c->out_msgs = 0;
    c->out_bytes = 0;
    if (!c->peer)
        return;
    if (status < 0) {
        atomic_fetch_add(&T.messages_dropped, msgs);
        peer_lost(c->peer, "a write failed", status);
        return;
    }
    /* Sent: written to the socket (the kernel took every byte). */
    atomic_fetch_add(&T.messages_sent, msgs);
    atomic_fetch_add(&T.bytes_sent, bytes);
    c->progress_at = uv_now(cp__loop());
    cp__peer_t *p = c->peer;
    /* Per peer: plain adds, this thread owns the figures. */
    if (!p->stats)
        p->stats = cp__peer_stats_ref(p->ip, p->port);
    if (p->stats) {
        p->stats->messages_sent += msgs;
        p->stats->bytes_sent += bytes;
        p->stats->epoch = cp__peer_epoch;
    } else {
        cp__peer_stats_untracked += msgs;
    }
    pthread_mutex_lock(&T.mu);
    p->inflight = 0;
    pthread_mutex_unlock(&T.mu);
    peer_kick(p);
}

static void outconn_connected(uv_connect_t *req, int status)
{
    cp__outconn_t *c = req->data;
    if (!c->peer)
        return;
    if (status < 0) {
        atomic_fetch_add(&T.connects_failed, 1);
        peer_lost(c->peer, "cannot connect", status);
        return;
    }
    c->state = OUT_CONNECTED;
    c->progress_at = uv_now(cp__loop());
    atomic_fetch_add(&T.connections_out, 1);
    uv_tcp_nodelay(&c->st.tcp, 1);
    if (cp__transport_filter_stream(&c->st, false, c->peer->ip, c->peer->port) ||
        cp__stream_start(&c->st)) {
        if (c->peer)
            peer_lost(c->peer, "cannot start the connection", 0);
        return;
    }
    if (c->peer)
        peer_kick(c->peer);
}

static void peer_connect(cp__peer_t *p)
{
    cp__outconn_t *c = calloc(1, sizeof *c);
    if (!c) {
        pthread_mutex_lock(&T.mu);
        atomic_fetch_add(&T.messages_dropped, p->pending_msgs);
        cp__buf_close(&p->pending);
        p->pending_msgs = 0;
        pthread_mutex_unlock(&T.mu);
        cp__node_lost(p->ip, p->port);
        return;
    }
    cp__stream_init(&c->st);
    c->st.on_data = outconn_data;
    c->st.on_end = outconn_end;
    c->st.on_drained = outconn_drained;
    c->st.on_closed = outconn_closed;
    c->peer = p;
    c->state = OUT_CONNECTING;
    c->connect.data = c;
    c->progress_at = uv_now(cp__loop());
    c->progress_left = SIZE_MAX;
    cp__answers_init(&c->answers);
    p->conn = c;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(p->ip);
    sa.sin_port = htons(p->port);
    int rc =
        uv_tcp_connect(&c->connect, &c->st.tcp, (const struct sockaddr *)&sa, outconn_connected);
    if (rc < 0) {
        atomic_fetch_add(&T.connects_failed, 1);
        peer_lost(p, "cannot connect", rc);
    }
}

/* Loop thread: moves the peer forward — connect, relink or write. */
static void peer_kick(cp__peer_t *p)
{
    pthread_mutex_lock(&T.mu);
    bool relink = p->relink;
    bool want = p->pending.len > 0 || p->linked;
    p->relink = false;
    pthread_mutex_unlock(&T.mu);
    if (relink && p->conn)
        peer_disconnect(p, false);
    if (!p->conn) {
        if (want)
            peer_connect(p);
        return;
    }
    cp__outconn_t *c = p->conn;
    if (c->state != OUT_CONNECTED || cp__stream_busy(&c->st))
        return;
    /* Take the bytes under the lock, write them outside it: a failing
     * write reports the loss, which takes the lock again. */
    pthread_mutex_lock(&T.mu);
    cp__buf_swap(&p->pending, &p->spare);
    size_t bytes = p->spare.len;
    size_t msgs = p->pending_msgs;
    uint64_t first = p->resend.seq_next - msgs;
    p->pending_msgs = 0;
    p->inflight = bytes;
    pthread_mutex_unlock(&T.mu);
    if (bytes == 0)
        return;
    c->out_msgs = msgs;
    c->out_bytes = bytes;
    cp__answers_handed(&c->answers, first, msgs);
    int rc = cp__stream_write_buf(&c->st, &p->spare);
    p->spare.len = 0;
    if (rc && p->conn == c)
        peer_lost(p, "a write failed", 0);
}

void cp__outconn_sweep(uint64_t now)
{
    uint64_t ms = cp__limits.send_ms;
    if (!ms)
        return;
    /* kick_next is free here: it only lives within one on_wake call. */
    cp__peer_t *stuck = NULL;
    pthread_mutex_lock(&T.mu);
    for (size_t b = 0; b < CP_PEER_BUCKETS; b++) {
        for (cp__peer_t *p = T.buckets[b]; p; p = p->hash_next) {
            cp__outconn_t *c = p->conn;
            if (!c)
                continue;
            bool waiting = p->pending.len || p->inflight || cp__stream_busy(&c->st);
            size_t left = SIZE_MAX;
            if (c->state == OUT_CONNECTED)
                left =
                    uv_stream_get_write_queue_size((uv_stream_t *)&c->st.tcp) + c->st.pending.len;
            if (!waiting || c->st.written != c->progress_written || left < c->progress_left)
                c->progress_at = now;
            c->progress_written = c->st.written;
            c->progress_left = left;
            if (waiting && now >= c->progress_at && now - c->progress_at >= ms) {
                p->kick_next = stuck;
                stuck = p;
            }
        }
    }
    pthread_mutex_unlock(&T.mu);
    for (cp__peer_t *p = stuck, *next; p; p = next) {
        next = p->kick_next;
        atomic_fetch_add(&cp__limits_stats.timeouts_send, 1);
        char what[96];
        snprintf(what, sizeof what, "nothing written for %llu ms (CPROC_SEND_TIMEOUT_MS)",
                 (unsigned long long)ms);
        peer_lost(p, what, 0);
    }
}

static void on_wake(uv_async_t *a)
{
    /* Relink the dirty list through kick_next, which senders never touch:
     * once a peer's dirty flag drops, a sender may push it again. */
    pthread_mutex_lock(&T.mu);
    cp__peer_t *list = T.dirty;
    T.dirty = NULL;
    for (cp__peer_t *p = list; p; p = p->dirty_next) {
        p->dirty = false;
        p->kick_next = p->dirty_next;
    }
    pthread_mutex_unlock(&T.mu);
    for (cp__peer_t *p = list; p; p = p->kick_next)
        peer_kick(p);
}

/* ---- warnings a peer can cause ---------------------------------------- */

static uv_timer_t warn_timer;

static void warn_summary(void)
{
    /* The real span: at stop it may be shorter than the interval. */
    uint64_t start = T.warn.window_start;
    uint64_t n = cp__warn_limit_flush(&T.warn);
    uint64_t now = uv_hrtime();
    double secs = now > start ? (double)(now - start) / 1e9 : 0.0;
    if (n)
        cp_log(CP_LOG_WARN,
               "%llu more warnings about peers suppressed in the last %.1f s "
               "(CPROC_PEER_WARNINGS=%u per %u s)",
               (unsigned long long)n, secs, T.cfg.warn_burst, T.cfg.warn_interval_s);
}

static void on_warn_timer(uv_timer_t *t)
{
    warn_summary();
}

void cp__transport_warn(const char *fmt, ...)
{
    if (!cp_log_enabled(CP_LOG_WARN))
        return;
    if (!cp__warn_limit_take(&T.warn, uv_hrtime())) {
        /* The first suppressed line of a period arms its summary. */
        if (T.warn.suppressed == 1 && uv_is_active((uv_handle_t *)&warn_timer) == 0 &&
            !uv_is_closing((uv_handle_t *)&warn_timer))
            uv_timer_start(&warn_timer, on_warn_timer, (uint64_t)T.cfg.warn_interval_s * 1000, 0);
        return;
    }
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cp_log(CP_LOG_WARN, "%s", line);
}

/* ---- the seam: start, quiesce, fini ------------------------------------ */

static int tcp_start(uint32_t *ip, uint16_t *port, char *err)
{
    int rc = cp__transport_config_read(&T.cfg, err);
    if (!rc)
        rc = cp__limits_read(T.cfg.max_connections, err);
    if (rc)
        return rc;
    char tls_err[CP__TLS_ERRLEN] = "";
    T.tls = NULL;
    rc = cp__tls_context_new_from_env(&T.tls, tls_err);
    if (rc) {
        snprintf(err, CP__START_ERRLEN, "%.*s", CP__START_ERRLEN - 1,
                 tls_err); /* tls_err may be longer */
        return rc;
    }
    if (uv_async_init(cp__loop(), &T.wake, on_wake) < 0) {
        cp__tls_context_free(T.tls);
        T.tls = NULL;
        snprintf(err, CP__START_ERRLEN, "cannot create the transport's wake-up handle");
        return CP_EIO;
    }
    uv_timer_init(cp__loop(), &warn_timer);
    cp__warn_limit_init(&T.warn, T.cfg.warn_burst, (uint64_t)T.cfg.warn_interval_s * 1000000000u);
    rc = cp__server_start(err);
    if (rc) {
        uv_close((uv_handle_t *)&T.wake, NULL);
        uv_close((uv_handle_t *)&warn_timer, NULL);
        cp__tls_context_free(T.tls);
        T.tls = NULL;
        return rc;
    }
    if (cp__limits_start()) {
        cp__server_quiesce();
        cp__server_fini();
        uv_close((uv_handle_t *)&T.wake, NULL);
        uv_close((uv_handle_t *)&warn_timer, NULL);
        cp__tls_context_free(T.tls);
        T.tls = NULL;
        snprintf(err, CP__START_ERRLEN, "cannot start the transport's timer");
        return CP_EIO;
    }
    atomic_store(&T.messages_from_mismatch, 0);
    pthread_mutex_lock(&wake_mu);
    wake_open = true;
    pthread_mutex_unlock(&wake_mu);
    pthread_mutex_lock(&T.mu);
    T.running = true;
    pthread_mutex_unlock(&T.mu);
    *ip = T.ip;
    *port = T.port;
    return 0;
}

/* After this nothing is read, so nothing reaches the core; senders get
 * CP_ESTATE. Peers and their queues go now: only senders used them. */
static void tcp_quiesce(void)
{
    pthread_mutex_lock(&T.mu);
    bool was = T.running;
    T.running = false;
    pthread_mutex_unlock(&T.mu);
    if (!was)
        return;
    cp__limits_stop();
    cp__server_quiesce();
    /* A sender past T.mu may still be about to wake the loop. */
    pthread_mutex_lock(&wake_mu);
    wake_open = false;
    pthread_mutex_unlock(&wake_mu);
    uv_close((uv_handle_t *)&T.wake, NULL);
    warn_summary();
    uv_close((uv_handle_t *)&warn_timer, NULL);
    cp__warn_limit_init(&T.warn, 0, 0);
    pthread_mutex_lock(&T.mu);
    for (size_t b = 0; b < CP_PEER_BUCKETS; b++) {
        cp__peer_t *p = T.buckets[b];
        while (p) {
            cp__peer_t *next = p->hash_next;
            size_t dropped = p->pending_msgs;
            if (p->conn) {
                dropped += p->conn->out_msgs;
                p->conn->peer = NULL;
                cp__stream_close(&p->conn->st);
            }
            atomic_fetch_add(&T.messages_dropped, dropped);
            cp__buf_close(&p->pending);
            cp__buf_close(&p->spare);
            cp__peer_stats_unref(p->stats);
            cp__resend_clear(&p->resend);
            free(p);
            p = next;
        }
        T.buckets[b] = NULL;
    }
    T.dirty = NULL;
    pthread_mutex_unlock(&T.mu);
    /* Inbound connections dropped theirs in cp__server_quiesce(). */
    cp__peer_stats_clear();
}

/* Answers computed after quiesce found their slots kept; now they go. */
static void tcp_fini(void)
{
    cp__server_fini();
    cp__http_routes_free();
    /* Sessions still closing keep what they need of it. */
    cp__tls_context_free(T.tls);
    T.tls = NULL;
}

/* Each sending thread encodes into a buffer of its own, outside T.mu, so
 * the lock covers only the copy into the peer's queue (the loop thread
 * takes the same lock to swap that queue out). */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static bool scratch_ok;

/* Larger scratch buffers are not kept between messages. */
#define SCRATCH_KEEP (64 * 1024)

static void scratch_free(void *p)
{
    cp__buf_t *b = p;
    cp__buf_close(b);
    free(b);
}

static void scratch_init(void)
{
    scratch_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

/* This thread's empty scratch buffer, or NULL (then encode under the lock). */
static cp__buf_t *scratch_get(void)
{
    pthread_once(&scratch_once, scratch_init);
    if (!scratch_ok)
        return NULL;
    cp__buf_t *b = pthread_getspecific(scratch_key);
    if (!b) {
        b = calloc(1, sizeof *b);
        if (b && pthread_setspecific(scratch_key, b) != 0) {
            free(b);
            b = NULL;
        }
    }
    if (b)
        b->len = 0;
    return b;
}

static void scratch_done(cp__buf_t *b)
{
    if (b && b->cap > SCRATCH_KEEP)
        cp__buf_close(b);
}

static void wake_loop(void)
{
    /* A loop turn's sends go out with the flush after its pass: waking
     * the loop thread from itself would cost two system calls a reply. */
    if (cp__in_loop_turn())
        return;
    pthread_mutex_lock(&wake_mu);
    if (wake_open)
        uv_async_send(&T.wake);
    pthread_mutex_unlock(&wake_mu);
}

static int tcp_send_headers(const cp_upid_t *from, const cp_upid_t *to, const char *name,
                            const void *body, size_t len, const char *headers, size_t hlen)
{
    cp__buf_t *enc = scratch_get();
    int rc = 0;
    /* A call reply is kept until answered (resend.h): copied here, outside
     * the lock, when it was encoded here. */
    bool reply = cp__limits.resend_bytes && cp__resend_is_reply(headers, hlen);
    cp__kept_t *kept = NULL;
    if (enc && (rc = cp__wire_encode_message_headers(enc, from, to, name, body, len, headers,
                                                     hlen)) != 0) {
        scratch_done(enc);
        return rc;
    }
    if (reply && enc)
        kept = cp__resend_copy(enc->data, enc->len);
    pthread_mutex_lock(&T.mu);
    if (!T.running) {
        pthread_mutex_unlock(&T.mu);
        scratch_done(enc);
        cp__resend_free(kept);
        return CP_ESTATE;
    }
    cp__peer_t *p = peer_get(to->ip, to->port);
    size_t at = p ? p->pending.len : 0;
    if (!p)
        rc = CP_ENOMEM;
    else
        rc = cp__peer_encode(p, enc, from, to, name, body, len, headers, hlen);
    bool wake = false;
    if (rc == 0) {
        p->pending_msgs++;
        p->resend.seq_next++;
        if (reply && !enc)
            kept = cp__resend_copy(p->pending.data + at, p->pending.len - at);
        if (kept)
            cp__resend_add(&p->resend, kept);
        kept = NULL;
        wake = peer_mark_dirty(p);
    }
    pthread_mutex_unlock(&T.mu);
    scratch_done(enc);
    cp__resend_free(kept); /* not queued */
    if (wake)
        wake_loop();
    return rc;
}

static int tcp_send(const cp_upid_t *from, const cp_upid_t *to, const char *name, const void *body,
                    size_t len)
{
    return tcp_send_headers(from, to, name, body, len, NULL, 0);
}

static int tcp_link(const cp_upid_t *to, int relink)
{
    pthread_mutex_lock(&T.mu);
    if (!T.running) {
        pthread_mutex_unlock(&T.mu);
        return CP_ESTATE;
    }
    cp__peer_t *p = peer_get(to->ip, to->port);
    bool wake = false;
    if (p) {
        p->linked = true;
        if (relink)
            p->relink = true;
        wake = peer_mark_dirty(p);
    }
    pthread_mutex_unlock(&T.mu);
    if (wake)
        wake_loop();
    return p ? 0 : CP_ENOMEM;
}

static void tcp_flush(void)
{
    if (T.running)
        on_wake(&T.wake);
}

const cp__transport_ops_t cp__tcp_transport = {
    .name = "tcp",
    .start = tcp_start,
    .quiesce = tcp_quiesce,
    .fini = tcp_fini,
    .send = tcp_send,
    .send_headers = tcp_send_headers,
    .link = tcp_link,
    .flush = tcp_flush,
};

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
#include "transport/transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/node.h"
#include "cproc/error.h"
#include "transport/http_internal.h"
#include "transport/tls.h"
#include "transport/transport_internal.h"
#include "transport/wire.h"

cp__transport_t cp__transport = {.mu = PTHREAD_MUTEX_INITIALIZER};
#define T cp__transport

static cp__stream_filter_factory_fn filter_factory;

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
    for (cp__peer_t *p = T.buckets[b]; p; p = p->hash_next)
        if (p->ip == ip && p->port == port)
            return p;
    cp__peer_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
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

static void outconn_closed(cp__stream_t *st)
{
    free(st);
}

/* Detaches the connection from its peer and closes it. Messages not yet
 * written are dropped, as libprocess drops a broken socket's queue. */
static void peer_disconnect(cp__peer_t *p, bool lost)
{
    cp__outconn_t *c = p->conn;
    if (!c)
        return;
    p->conn = NULL;
    c->peer = NULL;
    if (c->out_msgs)
        atomic_fetch_add(&T.messages_dropped, c->out_msgs);
    cp__stream_close(&c->st);
    if (!lost)
        return;
    pthread_mutex_lock(&T.mu);
    size_t dropped = p->pending_msgs;
    p->pending.len = 0;
    p->pending_msgs = 0;
    p->linked = false; /* its linkers are told now; a new link reconnects */
    pthread_mutex_unlock(&T.mu);
    atomic_fetch_add(&T.messages_dropped, dropped);
    atomic_fetch_add(&T.connections_lost, 1);
    cp__node_lost(p->ip, p->port);
}

static void outconn_data(cp__stream_t *st, const char *data, size_t len)
{
    /* Peers answer our messages with 202s that we only discard. */
}

static void outconn_end(cp__stream_t *st, int status)
{
    cp__outconn_t *c = (cp__outconn_t *)st;
    /* EOF or error: the peer closed or reset. Reporting it now, rather than
     * at the next write, is what detects a stale half-closed connection
     * before a message is lost in it. */
    if (c->peer)
        peer_disconnect(c->peer, true);
}

static void outconn_drained(cp__stream_t *st, int status)
{
    cp__outconn_t *c = (cp__outconn_t *)st;
    size_t msgs = c->out_msgs;
    c->out_msgs = 0;
    if (!c->peer)
        return;
    if (status < 0) {
        atomic_fetch_add(&T.messages_dropped, msgs);
        peer_disconnect(c->peer, true);
        return;
    }
    atomic_fetch_add(&T.messages_sent, msgs);
    peer_kick(c->peer);
}

static void outconn_connected(uv_connect_t *req, int status)
{
    cp__outconn_t *c = req->data;
    if (!c->peer)
        return;
    if (status < 0) {
        atomic_fetch_add(&T.connects_failed, 1);
        peer_disconnect(c->peer, true);
        return;
    }
    c->state = OUT_CONNECTED;
    atomic_fetch_add(&T.connections_out, 1);
    uv_tcp_nodelay(&c->st.tcp, 1);
    if (cp__transport_filter_stream(&c->st, false, c->peer->ip, c->peer->port) ||
        cp__stream_start(&c->st)) {
        if (c->peer)
            peer_disconnect(c->peer, true);
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
        p->pending.len = 0;
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
    p->conn = c;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(p->ip);
    sa.sin_port = htons(p->port);
    if (uv_tcp_connect(&c->connect, &c->st.tcp, (const struct sockaddr *)&sa, outconn_connected) < 0) {
        atomic_fetch_add(&T.connects_failed, 1);
        peer_disconnect(p, true);
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
    p->pending_msgs = 0;
    pthread_mutex_unlock(&T.mu);
    if (bytes == 0)
        return;
    c->out_msgs = msgs;
    atomic_fetch_add(&T.bytes_sent, bytes);
    int rc = cp__stream_write_buf(&c->st, &p->spare);
    p->spare.len = 0;
    if (rc && p->conn == c)
        peer_disconnect(p, true);
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

int cp__transport_start(uint32_t *ip, uint16_t *port)
{
    int rc = cp__transport_config_read(&T.cfg);
    if (rc)
        return rc;
    char err[CP__TLS_ERRLEN] = "";
    T.tls = NULL;
    rc = cp__tls_context_new_from_env(&T.tls, err);
    if (rc) {
        fprintf(stderr, "cproc: TLS: %s\n", err);
        return rc;
    }
    if (uv_async_init(cp__loop(), &T.wake, on_wake) < 0) {
        cp__tls_context_free(T.tls);
        T.tls = NULL;
        return CP_EIO;
    }
    rc = cp__server_start();
    if (rc) {
        uv_close((uv_handle_t *)&T.wake, NULL);
        cp__tls_context_free(T.tls);
        T.tls = NULL;
        return rc;
    }
    pthread_mutex_lock(&T.mu);
    T.running = true;
    pthread_mutex_unlock(&T.mu);
    *ip = T.ip;
    *port = T.port;
    return 0;
}

void cp__transport_stop(void)
{
    pthread_mutex_lock(&T.mu);
    bool was = T.running;
    T.running = false;
    pthread_mutex_unlock(&T.mu);
    if (!was)
        return;
    cp__server_stop();
    cp__http_routes_free();
    uv_close((uv_handle_t *)&T.wake, NULL);
    pthread_mutex_lock(&T.mu);
    for (size_t b = 0; b < CP_PEER_BUCKETS; b++) {
        cp__peer_t *p = T.buckets[b];
        while (p) {
            cp__peer_t *next = p->hash_next;
            if (p->conn) {
                p->conn->peer = NULL;
                cp__stream_close(&p->conn->st);
            }
            cp__buf_close(&p->pending);
            cp__buf_close(&p->spare);
            free(p);
            p = next;
        }
        T.buckets[b] = NULL;
    }
    T.dirty = NULL;
    pthread_mutex_unlock(&T.mu);
    /* Sessions still closing keep what they need of it. */
    cp__tls_context_free(T.tls);
    T.tls = NULL;
}

int cp__transport_send(const cp_upid_t *from, const cp_upid_t *to, const char *name,
                       const void *body, size_t len)
{
    return cp__transport_send_headers(from, to, name, body, len, NULL, 0);
}

int cp__transport_send_headers(const cp_upid_t *from, const cp_upid_t *to, const char *name,
                               const void *body, size_t len, const char *headers, size_t hlen)
{
    pthread_mutex_lock(&T.mu);
    if (!T.running) {
        pthread_mutex_unlock(&T.mu);
        return CP_ESTATE;
    }
    cp__peer_t *p = peer_get(to->ip, to->port);
    int rc = p ? cp__wire_encode_message_headers(&p->pending, from, to, name, body, len,
                                                         headers, hlen)
               : CP_ENOMEM;
    bool wake = false;
    if (rc == 0) {
        p->pending_msgs++;
        wake = peer_mark_dirty(p);
    }
    /* Under the lock, so that stop cannot close the handle in between. */
    if (wake)
        uv_async_send(&T.wake);
    pthread_mutex_unlock(&T.mu);
    return rc;
}

int cp__transport_link(const cp_upid_t *to, int relink)
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
    /* Under the lock, so that stop cannot close the handle in between. */
    if (wake)
        uv_async_send(&T.wake);
    pthread_mutex_unlock(&T.mu);
    return p ? 0 : CP_ENOMEM;
}

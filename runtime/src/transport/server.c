/* Inbound connections: the listener, and per connection a decoder whose
 * complete requests are answered in order.
 *
 * A message is delivered and answered with 202 at once. Answers are
 * collected in the connection's output buffer while a read is parsed and
 * written with one uv_write after it, so a pipelined burst of messages
 * costs one write. An HTTP request for an endpoint may answer later; it
 * takes a slot in the connection's answer queue so answers still leave in
 * request order.
 *
 * Closing: every complete request in what was read is acted on before an
 * EOF, reset or protocol error closes the connection, so a message fully
 * received is never lost to what follows it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/node.h"
#include "core/transport_ops.h"
#include "cproc/log.h"
#include "cproc/error.h"
#include "transport/limits.h"
#include "transport/peer_stats.h"
#include "transport/server.h"
#include "transport/stream.h"
#include "transport/timeouts.h"
#include "transport/transport_internal.h"
#include "transport/wire.h"

#define T cp__transport

struct cp__inconn {
    cp__stream_t st; /* first: stream callbacks cast back */
    struct cp__inconn *next, **pprev;
    cp__http_decoder_t dec;
    cp__buf_t out; /* answers not yet handed to the stream */
    bool close_when_flushed;
    bool closing;
    bool in_read; /* inside a read: flush once at its end */
    uint32_t peer_ip;
    uint16_t peer_port;
    cp__http_slot_t *slots_head, *slots_tail;
    cp__wire_sender_cache_t sender;
    cp__conn_clock_t clock; /* timeouts and backpressure (timeouts.h) */
    bool net_paused;        /* not read: too many inbound bytes queued */
    /* Per-peer figures: the entry of the node whose messages this
     * connection carries (the last sender), and the bytes read since the
     * last message not yet counted to a sender. */
    cp__peer_stats_t *stats;
    uint64_t unattributed;
};

static void conn_close(cp__inconn_t *c);

/* Slots whose connection closed while their answer was being computed;
 * freed when it arrives, or at stop (loop thread). */
static cp__http_slot_t *orphans;

static void conn_closed(cp__stream_t *st)
{
    cp__inconn_t *c = (cp__inconn_t *)st;
    cp__http_decoder_close(&c->dec);
    cp__buf_close(&c->out);
    free(c);
}

static void conn_maybe_close(cp__inconn_t *c)
{
    if (c->close_when_flushed && !c->slots_head && c->out.len == 0 && !cp__stream_busy(&c->st))
        conn_close(c);
}

/* Backpressure: a client that does not read its answers is not read
 * either once CPROC_MAX_ANSWER_BYTES wait for it; reading resumes when
 * everything queued has been written. */
static void conn_pause_if_backlogged(cp__inconn_t *c)
{
    if (c->closing || c->clock.paused || c->close_when_flushed)
        return;
    if (c->st.pending.len + c->st.wire.len <= cp__limits.answer_bytes)
        return;
    cp__stream_stop(&c->st);
    c->clock.paused = true;
    c->clock.paused_since = uv_now(cp__loop());
    atomic_fetch_add(&cp__limits_stats.reads_paused, 1);
}

static void conn_flush(cp__inconn_t *c)
{
    if (c->closing)
        return;
    if (c->out.len && cp__stream_write_buf(&c->st, &c->out)) {
        conn_close(c);
        return;
    }
    conn_maybe_close(c);
    conn_pause_if_backlogged(c);
}

static void conn_drained(cp__stream_t *st, int status)
{
    cp__inconn_t *c = (cp__inconn_t *)st;
    if (status < 0) {
        conn_close(c);
        return;
    }
    cp__conn_clock_activity(&c->clock, uv_now(cp__loop()), cp__http_decoder_mid_request(&c->dec));
    conn_maybe_close(c);
    if (c->clock.paused && !c->closing && !c->close_when_flushed) {
        c->clock.paused = false;
        if (!c->net_paused && cp__stream_resume(&c->st))
            conn_close(c);
    }
}

/* ---- inbound backpressure ------------------------------------------------
 * Above CPROC_MAX_INBOUND_BYTES of delivered messages not yet run (or
 * freed), a connection that delivers a message stops being read; every
 * such connection is read again, on the loop thread, once the bytes fall
 * to half the bound (the core posts inbound_resume, see core/node.h).
 * Connections that deliver nothing (HTTP requests, /metrics) go on. */

static bool inbound_watching; /* loop thread */

static void inbound_resume(void *arg)
{
    inbound_watching = false;
    for (cp__inconn_t *c = T.conns; c; c = c->next) {
        if (!c->net_paused)
            continue;
        c->net_paused = false;
        cp__conn_clock_activity(&c->clock, uv_now(cp__loop()),
                                cp__http_decoder_mid_request(&c->dec));
        if (!c->closing && !c->clock.paused && !c->close_when_flushed && cp__stream_resume(&c->st))
            conn_close(c);
    }
}

static void inbound_pause_if_over(cp__inconn_t *c)
{
    uint64_t max = cp__limits.inbound_bytes;
    if (c->net_paused || c->closing || cp__node_inbound_bytes() <= max)
        return;
    c->net_paused = true;
    if (!c->clock.paused)
        cp__stream_stop(&c->st);
    atomic_fetch_add(&cp__limits_stats.reads_paused_inbound, 1);
    if (!inbound_watching) {
        inbound_watching = true;
        if (cp__node_inbound_watch(max / 2, inbound_resume, NULL))
            cp__loop_post(inbound_resume, NULL); /* drained already: resume after this read */
    }
}

static void conn_close(cp__inconn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    *c->pprev = c->next;
    if (c->next)
        c->next->pprev = c->pprev;
    T.inbound--;
    /* Answers still being computed find their connection gone. */
    for (cp__http_slot_t *s = c->slots_head, *n; s; s = n) {
        n = s->next;
        s->conn = NULL;
        if (s->ready) {
            cp__http_slot_free(s);
        } else {
            s->next = orphans;
            orphans = s;
        }
    }
    c->slots_head = c->slots_tail = NULL;
    cp__peer_stats_unref(c->stats);
    c->stats = NULL;
    cp__stream_close(&c->st);
}

/* Appends an answer, or queues it behind answers still being computed. */
static void conn_answer(cp__inconn_t *c, int status, const char *headers, const void *body,
                        size_t len, bool close)
{
    cp__buf_t *dst = &c->out;
    cp__http_slot_t *s = NULL;
    if (c->slots_head) {
        s = cp__http_slot_new(c);
        if (!s) {
            c->close_when_flushed = true;
            return;
        }
        dst = &s->bytes;
    }
    if (cp__wire_encode_response(dst, status, headers, body, len, close))
        close = true;
    if (close)
        c->close_when_flushed = true;
    if (s)
        cp__http_slot_complete(s);
}

cp__http_slot_t *cp__http_slot_new(cp__inconn_t *c)
{
    cp__http_slot_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    cp__buf_init(&s->bytes);
    s->conn = c;
    if (c->slots_tail)
        c->slots_tail->next = s;
    else
        c->slots_head = s;
    c->slots_tail = s;
    return s;
}

void cp__http_slot_free(cp__http_slot_t *s)
{
    cp__buf_close(&s->bytes);
    free(s);
}

void cp__http_slot_complete(cp__http_slot_t *s)
{
    s->ready = true;
    cp__inconn_t *c = s->conn;
    if (!c) {
        for (cp__http_slot_t **pp = &orphans; *pp; pp = &(*pp)->next) {
            if (*pp == s) {
                *pp = s->next;
                break;
            }
        }
        cp__http_slot_free(s);
        return;
    }
    while (c->slots_head && c->slots_head->ready) {
        cp__http_slot_t *h = c->slots_head;
        c->slots_head = h->next;
        if (!c->slots_head)
            c->slots_tail = NULL;
        if (cp__buf_append(&c->out, h->bytes.data, h->bytes.len))
            c->close_when_flushed = true;
        if (h->close)
            c->close_when_flushed = true;
        cp__http_slot_free(h);
    }
    if (!c->in_read)
        conn_flush(c);
}

/* Counts a message from `from` (not the null pid) in its node's figures,
 * with every byte read on this connection since the previous message: a
 * connection carries one node's messages, so once the reads stop the
 * bytes add up to what that node wrote (an HTTP request to an endpoint on
 * the same connection would count too; libprocess sends none there). */
static void count_from(cp__inconn_t *c, const cp_upid_t *from, bool delivered)
{
    cp__peer_stats_t *s = c->stats;
    if (c->closing) { /* its reference is gone: totals only */
        cp__peer_stats_untracked += delivered;
        return;
    }
    if (!s || s->ip != from->ip || s->port != from->port) {
        cp__peer_stats_unref(s);
        s = c->stats = cp__peer_stats_ref(from->ip, from->port);
        if (!s) {
            cp__peer_stats_untracked += delivered;
            return;
        }
    }
    s->bytes_received += c->unattributed;
    c->unattributed = 0;
    s->messages_received += delivered;
    s->epoch = cp__peer_epoch;
}

static void deliver(cp__inconn_t *c, cp__http_request_t *req)
{
    bool close = !req->keep_alive;
    const char *id, *name;
    size_t id_len, name_len;
    cp_upid_t from;
    char peer[16];
    if (cp__wire_parse_message_cached(req, &c->sender, &id, &id_len, &name, &name_len, &from)) {
        atomic_fetch_add(&T.messages_refused, 1);
        cp__wire_format_ip(peer, c->peer_ip);
        cp__transport_warn("refused a malformed message from %s:%u (bad path or Libprocess-From)",
                           peer, (unsigned)c->peer_port);
        conn_answer(c, 400, NULL, NULL, 0, close);
        return;
    }
    /* Replies go where Libprocess-From points: a From that names another
     * host than the socket's is how a node gets used to reflect traffic. */
    if (!cp_upid_is_null(&from) && from.ip != c->peer_ip)
        atomic_fetch_add(&T.messages_from_mismatch, 1);
    if (T.cfg.require_ip_match && from.ip != c->peer_ip) {
        atomic_fetch_add(&T.messages_refused, 1);
        char claimed[16];
        cp__wire_format_ip(peer, c->peer_ip);
        cp__wire_format_ip(claimed, from.ip);
        cp__transport_warn("refused a message from %s:%u claiming to come from %s "
                           "(LIBPROCESS_REQUIRE_PEER_ADDRESS_IP_MATCH)",
                           peer, (unsigned)c->peer_port, claimed);
        conn_answer(c, 400, NULL, NULL, 0, close);
        return;
    }
    cp__callmeta_t meta;
    int has_call = cp__wire_parse_call(req, &meta);
    if (has_call < 0) {
        atomic_fetch_add(&T.messages_refused, 1);
        conn_answer(c, 400, NULL, NULL, 0, close);
        return;
    }
    size_t len;
    void *body = cp__http_request_take_body(req, &len);
    int rc = cp__deliver_call(id, id_len, name, name_len, &from, body, len,
                              has_call ? &meta : NULL);
    if (!cp_upid_is_null(&from))
        count_from(c, &from, rc == 0);
    if (rc == 0) {
        c->clock.carried_message = true;
        atomic_fetch_add(&T.messages_received, 1);
        conn_answer(c, 202, NULL, NULL, 0, close);
        inbound_pause_if_over(c);
    } else {
        atomic_fetch_add(&T.messages_dropped, 1);
        /* 503: the process exists but its bounded mailbox is full. */
        conn_answer(c, rc == CP_EFULL ? 503 : 404, NULL, NULL, 0, close);
    }
}

/* A message refused for its size: if it is a reply to one of this node's
 * calls, that call fails now rather than at its deadline. */
static void on_too_large(void *arg, const cp__http_request_t *req, uint64_t len)
{
    cp__inconn_t *c = arg;
    cp__http_request_t r = *req;
    const char *id, *name;
    size_t id_len, name_len;
    cp_upid_t from;
    cp__callmeta_t meta;
    if (cp__wire_is_message(&r) &&
        cp__wire_parse_message_cached(&r, &c->sender, &id, &id_len, &name, &name_len, &from) == 0 &&
        cp__wire_parse_call(&r, &meta) > 0)
        cp__call_reply_too_large(&meta, &from, len, T.cfg.limits.max_body);
}

static int on_request(void *arg, cp__http_request_t *req)
{
    cp__inconn_t *c = arg;
    /* The next request's clock starts with the read that begins it. */
    c->clock.in_req = false;
    if (cp__wire_is_message(req)) {
        deliver(c, req);
    } else {
        atomic_fetch_add(&T.http_requests, 1);
        c->clock.carried_request = true;
        cp__http_slot_t *s = cp__http_slot_new(c);
        if (!s)
            return 1;
        s->close = !req->keep_alive;
        cp__http_serve(s, req);
    }
    /* Nothing after a request that asked to close is read. */
    return req->keep_alive ? 0 : 1;
}

static void conn_data(cp__stream_t *st, const char *data, size_t n)
{
    cp__inconn_t *c = (cp__inconn_t *)st;
    atomic_fetch_add(&T.bytes_received, (uint64_t)n);
    c->unattributed += n;
    c->in_read = true;
    int rc = cp__http_decoder_feed(&c->dec, data, n);
    c->in_read = false;
    cp__conn_clock_activity(&c->clock, uv_now(cp__loop()), cp__http_decoder_mid_request(&c->dec));
    if (rc) {
        cp__stream_stop(&c->st);
        if (c->dec.error_status) {
            atomic_fetch_add(&T.http_errors, 1);
            const char *r = c->dec.error_reason ? c->dec.error_reason : "error";
            char peer[16];
            cp__wire_format_ip(peer, c->peer_ip);
            cp__transport_warn("bad HTTP request from %s:%u: %d %s", peer,
                               (unsigned)c->peer_port, c->dec.error_status, r);
            conn_answer(c, c->dec.error_status, "Content-Type: text/plain\r\n", r, strlen(r), true);
        }
        c->close_when_flushed = true;
    }
    conn_flush(c);
}

static void conn_end(cp__stream_t *st, int status)
{
    cp__inconn_t *c = (cp__inconn_t *)st;
    /* Everything read before was parsed already; answers to it still go
     * out when the peer only half-closed. */
    c->close_when_flushed = true;
    if (status != UV_EOF || cp__http_decoder_mid_request(&c->dec))
        conn_close(c);
    else
        conn_flush(c);
}

/* The cap keeps CPROC_RESERVED_CONNECTIONS of its connections for nodes
 * this node sends to or links to, so a client holding idle sockets cannot
 * lock them out. Call after counting the new connection. */
static bool conn_admitted(uint32_t ip)
{
    if (T.inbound > T.cfg.max_connections)
        return false;
    if (T.inbound + cp__limits.reserved_connections <= T.cfg.max_connections)
        return true;
    return cp__peer_known_ip(ip);
}

/* The server's half of the sweep: closes connections whose timeout ran
 * out. */
void cp__server_sweep(uint64_t now)
{
    for (cp__inconn_t *c = T.conns, *next; c; c = next) {
        next = c->next;
        if (c->closing)
            continue;
        /* Not read because of the node's own backlog: no clock runs. */
        if (c->net_paused)
            continue;
        cp__conn_view_t v = {
            .handshaking = cp__stream_handshaking(&c->st),
            .mid_request = cp__http_decoder_mid_request(&c->dec),
            .body_len = c->dec.body.len,
            .waiting = c->slots_head != NULL,
            .crowded = T.inbound > T.cfg.max_connections / 2,
        };
        cp__conn_verdict_t verdict = cp__conn_clock_check(&c->clock, &v, &cp__limits, now);
        if (verdict != CP__CONN_OK) {
            cp__conn_clock_count(verdict);
            conn_close(c);
            continue;
        }
        /* A quiet connection gives back a burst's buffers. */
        if (c->out.len == 0 && c->out.cap > CP__STREAM_KEEP_BYTES)
            cp__buf_close(&c->out);
        cp__stream_trim(&c->st);
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    cp__inconn_t *c = calloc(1, sizeof *c);
    if (!c)
        return;
    cp__stream_init(&c->st);
    c->st.on_data = conn_data;
    c->st.on_end = conn_end;
    c->st.on_drained = conn_drained;
    c->st.on_closed = conn_closed;
    cp__buf_init(&c->out);
    cp__http_decoder_init(&c->dec, &T.cfg.limits, on_request, c);
    c->dec.on_too_large = on_too_large;
    cp__conn_clock_init(&c->clock, uv_now(cp__loop()));
    c->next = T.conns;
    if (T.conns)
        T.conns->pprev = &c->next;
    c->pprev = &T.conns;
    T.conns = c;
    T.inbound++;
    if (uv_accept(server, (uv_stream_t *)&c->st.tcp) < 0) {
        conn_close(c);
        return;
    }
    struct sockaddr_storage ss = {0};
    int len = sizeof ss;
    if (uv_tcp_getpeername(&c->st.tcp, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == AF_INET)
        c->peer_ip = ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr);
    if (!conn_admitted(c->peer_ip)) {
        static const char msg[] = "too many connections";
        atomic_fetch_add(&cp__limits_stats.connections_refused, 1);
        conn_answer(c, 503, "Content-Type: text/plain\r\n", msg, sizeof msg - 1, true);
        conn_flush(c);
        return;
    }
    atomic_fetch_add(&T.connections_in, 1);
    uv_tcp_nodelay(&c->st.tcp, 1);
    c->peer_port = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port) : 0;
    if (cp__transport_filter_stream(&c->st, true, c->peer_ip, c->peer_port) ||
        cp__stream_start(&c->st))
        conn_close(c);
}

/* "address already in use", from libuv's text for a UV_E* code. */
static const char *os_reason(int uv_rc)
{
    switch (uv_rc) {
    case UV_EADDRINUSE: return "address already in use";
    case UV_EADDRNOTAVAIL: return "no local interface has this address";
    case UV_EACCES: return "permission denied (ports below 1024 need privileges)";
    default: return uv_strerror(uv_rc);
    }
}

int cp__server_start(char *err)
{
    char ip[16];
    cp__wire_format_ip(ip, T.cfg.bind_ip);
    int rc = uv_tcp_init(cp__loop(), &T.listener);
    if (rc < 0) {
        snprintf(err, CP__START_ERRLEN, "cannot create a socket: %s", os_reason(rc));
        return CP_EIO;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(T.cfg.bind_ip);
    sa.sin_port = htons(T.cfg.bind_port);
    rc = uv_tcp_bind(&T.listener, (const struct sockaddr *)&sa, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&T.listener, 511, on_connection);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (rc == 0 && (rc = uv_tcp_getsockname(&T.listener, (struct sockaddr *)&ss, &len)) < 0)
        snprintf(err, CP__START_ERRLEN, "cannot read the listening address: %s", os_reason(rc));
    else if (rc < 0)
        snprintf(err, CP__START_ERRLEN, "cannot listen on %s:%u: %s", ip,
                 (unsigned)T.cfg.bind_port, os_reason(rc));
    if (rc < 0) {
        uv_close((uv_handle_t *)&T.listener, NULL);
        return CP_EIO;
    }
    uint16_t bound = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    T.ip = T.cfg.advertise_ip;
    T.port = T.cfg.advertise_port >= 0 ? (uint16_t)T.cfg.advertise_port : bound;
    T.inbound = 0;
    T.conns = NULL;
    char adv[16];
    cp__wire_format_ip(adv, T.ip);
    cp_log(CP_LOG_INFO, "listening on %s:%u (advertised as %s:%u)%s", ip, (unsigned)bound, adv,
           (unsigned)T.port,
           T.cfg.bind_ip == CP__DEFAULT_BIND_IP && !getenv("LIBPROCESS_IP") && !getenv("CPROC_IP")
               ? "; set LIBPROCESS_IP to accept other hosts"
               : "");
    return 0;
}

void cp__server_quiesce(void)
{
    cp__node_inbound_unwatch();
    inbound_watching = false;
    uv_close((uv_handle_t *)&T.listener, NULL);
    while (T.conns)
        conn_close(T.conns);
}

void cp__server_fini(void)
{
    while (orphans) {
        cp__http_slot_t *s = orphans;
        orphans = s->next;
        cp__http_slot_free(s);
    }
}

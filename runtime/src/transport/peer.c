/* Peer lifetime: a peer with no traffic and no link is forgotten.
 *
 * Why no reference count: senders on other threads reach a peer only
 * through the peer table, and only with cp__transport.mu held; the loop
 * thread reaches it through the dirty list (under the same mutex), the
 * kick list (built and walked within one on_wake call) and its outbound
 * connection's back pointer. The sweep runs on the loop thread, between
 * those callbacks, and frees a peer only when it is in none of them: it
 * unlinks the peer from the table under the mutex (no sender can find it
 * afterwards), requires it off the dirty list, and detaches the
 * connection before closing it (its callbacks then see no peer).
 *
 * "No traffic": no send or link touched the peer for CPROC_PEER_IDLE_TIMEOUT_MS
 * (each touch stamps the sweep count), nothing is queued or being written,
 * and its connection, if any, is idle. Its connection is closed and every
 * buffer freed; a later send makes a fresh peer.
 */
#include <stdlib.h>

#include "cproc/error.h"
#include "transport/limits.h"
#include "transport/peer_stats.h"
#include "transport/transport_internal.h"
#include "transport/wire.h"

#define T cp__transport

uint64_t cp__peer_epoch;
_Atomic uint64_t cp__peers_live;

bool cp__peer_known_ip(uint32_t ip)
{
    bool found = false;
    pthread_mutex_lock(&T.mu);
    for (size_t b = 0; b < CP_PEER_BUCKETS && !found; b++)
        for (cp__peer_t *p = T.buckets[b]; p && !found; p = p->hash_next)
            found = p->ip == ip;
    pthread_mutex_unlock(&T.mu);
    return found;
}

int cp__peer_encode(cp__peer_t *p, const cp__buf_t *enc, const cp_upid_t *from,
                    const cp_upid_t *to, const char *name, const void *body, size_t len,
                    const char *headers, size_t hlen)
{
    size_t queued = p->pending.len + p->inflight;
    size_t max = cp__limits.peer_queue_bytes;
    int rc;
    if (queued && queued >= max)
        rc = CP_EFULL;
    else if (enc)
        rc = cp__buf_append(&p->pending, enc->data, enc->len);
    else
        rc = cp__wire_encode_message_headers(&p->pending, from, to, name, body, len, headers,
                                             hlen);
    /* One message always fits an empty queue, whatever its size. */
    if (rc == 0 && queued && p->pending.len + p->inflight > max) {
        p->pending.len = queued - p->inflight;
        rc = CP_EFULL;
    }
    if (rc == CP_EFULL)
        atomic_fetch_add(&cp__limits_stats.messages_full, 1);
    return rc;
}

/* Call with T.mu held. */
static bool peer_idle(const cp__peer_t *p, uint64_t ticks)
{
    if (cp__peer_epoch - p->epoch <= ticks)
        return false;
    if (p->dirty || p->relink || p->linked || p->pending.len || p->pending_msgs || p->inflight)
        return false;
    const cp__outconn_t *c = p->conn;
    if (c && (c->state != OUT_CONNECTED || cp__stream_busy(&c->st) || c->out_msgs))
        return false;
    /* A call waiting for a reply from that node keeps the connection: its
     * breaking is how the call learns that the node died. */
    return !cp__calls_pending_to(p->ip, p->port);
}

/* A peer quiet since the last sweep gives back a burst's buffers. Call
 * with T.mu held, on the loop thread (spare and conn are its own). */
static void peer_trim(cp__peer_t *p)
{
    if (p->pending.len == 0 && p->pending.cap > CP__STREAM_KEEP_BYTES)
        cp__buf_close(&p->pending);
    if (p->spare.cap > CP__STREAM_KEEP_BYTES)
        cp__buf_close(&p->spare);
    if (p->conn && p->conn->state == OUT_CONNECTED)
        cp__stream_trim(&p->conn->st);
}

void cp__peer_sweep(uint64_t now)
{
    (void)now;
    uint64_t tick = cp__limits_tick_ms();
    uint64_t ms = cp__limits.peer_idle_ms;
    cp__peer_t *gone = NULL;
    pthread_mutex_lock(&T.mu);
    cp__peer_epoch++;
    if (ms) {
        uint64_t ticks = (ms + tick - 1) / tick;
        for (size_t b = 0; b < CP_PEER_BUCKETS; b++) {
            for (cp__peer_t **pp = &T.buckets[b]; *pp;) {
                cp__peer_t *p = *pp;
                if (!peer_idle(p, ticks)) {
                    if (cp__peer_epoch - p->epoch > 1)
                        peer_trim(p);
                    pp = &p->hash_next;
                    continue;
                }
                *pp = p->hash_next;
                p->hash_next = gone;
                gone = p;
            }
        }
    }
    pthread_mutex_unlock(&T.mu);
    while (gone) {
        cp__peer_t *p = gone;
        gone = p->hash_next;
        if (p->conn) {
            p->conn->peer = NULL;
            cp__stream_close(&p->conn->st);
        }
        cp__buf_close(&p->pending);
        cp__buf_close(&p->spare);
        cp__peer_stats_unref(p->stats);
        cp__resend_clear(&p->resend); /* unreachable now: no lock needed */
        free(p);
        atomic_fetch_sub(&cp__peers_live, 1);
        atomic_fetch_add(&cp__limits_stats.peers_expired, 1);
    }
    /* The per-peer figures idle as long before they go. */
    if (ms)
        cp__peer_stats_sweep((ms + tick - 1) / tick);
}

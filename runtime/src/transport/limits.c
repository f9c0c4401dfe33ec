/* The transport's bounds and timeouts: reading them, and the sweep timer
 * that applies the timeouts (see limits.h). */
#include "transport/limits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "core/env.h"
#include "core/node.h"
#include "core/transport_ops.h"
#include "cproc/error.h"
#include "transport/resend.h"
#include "transport/transport_internal.h"

cp__limits_t cp__limits;
cp__limits_stats_t cp__limits_stats;

static uv_timer_t sweep_timer;
static bool sweep_running;
static uint64_t tick_ms = 1000;

/* Numbers go through the runtime's one parser (core/env.h). */
static int read_u64(const char *suffix, uint64_t min, uint64_t max, uint64_t *out, char *err)
{
    return cp__env_u64(suffix, min, max, out, NULL, err);
}

static int read_ms(const char *suffix, uint64_t *out, char *err)
{
    /* A day is more than any of these timeouts needs. */
    return read_u64(suffix, 0, 86400000u, out, err);
}

static int read_size(const char *suffix, size_t *out, char *err)
{
    uint64_t v = *out;
    int rc = read_u64(suffix, 1, (uint64_t)1 << 40, &v, err);
    *out = (size_t)v;
    return rc;
}

uint64_t cp__limits_tick_ms(void)
{
    return tick_ms;
}

/* A quarter of the shortest timeout, from 5 ms to 1 s: a connection
 * outlives its timeout by at most a quarter of it (or a second). */
static void choose_tick(void)
{
    uint64_t t[] = {cp__limits.peer_idle_ms, cp__limits.idle_ms, cp__limits.header_ms,
                    cp__limits.body_ms, cp__limits.tls_ms, cp__limits.send_ms};
    uint64_t min = 0;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i] && (!min || t[i] < min))
            min = t[i];
    tick_ms = min ? min / 4 : 1000;
    if (tick_ms < 5)
        tick_ms = 5;
    if (tick_ms > 1000)
        tick_ms = 1000;
}

int cp__limits_read(size_t max_connections, char *err)
{
    cp__limits_t *l = &cp__limits;
    l->peer_idle_ms = CP__LIMITS_DEFAULT_PEER_IDLE_MS;
    l->idle_ms = CP__LIMITS_DEFAULT_IDLE_MS;
    l->header_ms = CP__LIMITS_DEFAULT_HEADER_MS;
    l->body_ms = CP__LIMITS_DEFAULT_BODY_MS;
    l->tls_ms = CP__LIMITS_DEFAULT_TLS_MS;
    l->send_ms = CP__LIMITS_DEFAULT_SEND_MS;
    l->inbound_bytes = CP__LIMITS_DEFAULT_INBOUND_BYTES;
    l->peer_queue_bytes = CP__LIMITS_DEFAULT_PEER_QUEUE_BYTES;
    l->answer_bytes = CP__LIMITS_DEFAULT_ANSWER_BYTES;
    l->resend_bytes = CP__RESEND_DEFAULT_BYTES;
    l->reserved_connections = max_connections / 8;
    int rc;
    uint64_t resend = l->resend_bytes;
    if ((rc = read_ms("PEER_IDLE_TIMEOUT_MS", &l->peer_idle_ms, err)) ||
        (rc = read_ms("IDLE_TIMEOUT_MS", &l->idle_ms, err)) ||
        (rc = read_ms("HEADER_TIMEOUT_MS", &l->header_ms, err)) ||
        (rc = read_ms("BODY_TIMEOUT_MS", &l->body_ms, err)) ||
        (rc = read_ms("TLS_HANDSHAKE_TIMEOUT_MS", &l->tls_ms, err)) ||
        (rc = read_ms("SEND_TIMEOUT_MS", &l->send_ms, err)) ||
        (rc = read_size("MAX_INBOUND_BYTES", &l->inbound_bytes, err)) ||
        (rc = read_size("MAX_PEER_QUEUE_BYTES", &l->peer_queue_bytes, err)) ||
        (rc = read_size("MAX_ANSWER_BYTES", &l->answer_bytes, err)) ||
        (rc = read_u64("REPLY_RESEND_BYTES", 0, (uint64_t)1 << 40, &resend, err)))
        return rc;
    l->resend_bytes = (size_t)resend;
    uint64_t reserved = l->reserved_connections;
    if ((rc = read_u64("RESERVED_CONNECTIONS", 0, max_connections ? max_connections - 1 : 0,
                       &reserved, err)))
        return rc;
    l->reserved_connections = (size_t)reserved;
    choose_tick();
    return 0;
}

static void on_sweep(uv_timer_t *t)
{
    uint64_t now = uv_now(t->loop);
    cp__server_sweep(now);
    cp__outconn_sweep(now);
    cp__peer_sweep(now);
}

int cp__limits_start(void)
{
    if (uv_timer_init(cp__loop(), &sweep_timer) < 0)
        return CP_EIO;
    if (uv_timer_start(&sweep_timer, on_sweep, tick_ms, tick_ms) < 0) {
        uv_close((uv_handle_t *)&sweep_timer, NULL);
        return CP_EIO;
    }
    /* The sweep alone must not keep the loop alive. */
    uv_unref((uv_handle_t *)&sweep_timer);
    sweep_running = true;
    return 0;
}

void cp__limits_stop(void)
{
    if (!sweep_running)
        return;
    sweep_running = false;
    uv_timer_stop(&sweep_timer);
    uv_close((uv_handle_t *)&sweep_timer, NULL);
    /* The transport frees every peer next. */
    atomic_store(&cp__peers_live, 0);
}

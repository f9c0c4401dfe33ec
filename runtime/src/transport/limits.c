/* The transport's bounds and timeouts: reading them, and the sweep timer
 * that applies the timeouts (see limits.h). */
#include "transport/limits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "core/node.h"
#include "core/transport_ops.h"
#include "cproc/error.h"

cp__limits_t cp__limits;
cp__limits_stats_t cp__limits_stats;

static uv_timer_t sweep_timer;
static bool sweep_running;
static uint64_t tick_ms = 1000;

/* CPROC_X, or LIBPROCESS_X which wins, as the transport's other variables. */
static const char *env(const char *suffix, char *name, size_t cap)
{
    snprintf(name, cap, "LIBPROCESS_%s", suffix);
    const char *v = getenv(name);
    if (v)
        return v;
    snprintf(name, cap, "CPROC_%s", suffix);
    return getenv(name);
}

static int read_u64(const char *suffix, uint64_t max, uint64_t *out, char *err)
{
    char name[96];
    const char *v = env(suffix, name, sizeof name);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || x > max) {
        snprintf(err, CP__START_ERRLEN, "%s=\"%s\" is not a whole number from 0 to %llu", name,
                 v, (unsigned long long)max);
        return CP_EINVAL;
    }
    *out = x;
    return 0;
}

static int read_ms(const char *suffix, uint64_t *out, char *err)
{
    /* A day is more than any of these timeouts needs. */
    return read_u64(suffix, 86400000u, out, err);
}

static int read_size(const char *suffix, size_t *out, char *err)
{
    uint64_t v = *out;
    int rc = read_u64(suffix, (uint64_t)1 << 40, &v, err);
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
                    cp__limits.body_ms, cp__limits.tls_ms};
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
    l->peer_queue_bytes = CP__LIMITS_DEFAULT_PEER_QUEUE_BYTES;
    l->answer_bytes = CP__LIMITS_DEFAULT_ANSWER_BYTES;
    l->reserved_connections = max_connections / 8;
    int rc;
    if ((rc = read_ms("PEER_IDLE_TIMEOUT_MS", &l->peer_idle_ms, err)) ||
        (rc = read_ms("IDLE_TIMEOUT_MS", &l->idle_ms, err)) ||
        (rc = read_ms("HEADER_TIMEOUT_MS", &l->header_ms, err)) ||
        (rc = read_ms("BODY_TIMEOUT_MS", &l->body_ms, err)) ||
        (rc = read_ms("TLS_HANDSHAKE_TIMEOUT_MS", &l->tls_ms, err)) ||
        (rc = read_size("MAX_PEER_QUEUE_BYTES", &l->peer_queue_bytes, err)) ||
        (rc = read_size("MAX_ANSWER_BYTES", &l->answer_bytes, err)))
        return rc;
    uint64_t reserved = l->reserved_connections;
    if ((rc = read_u64("RESERVED_CONNECTIONS", max_connections ? max_connections - 1 : 0,
                       &reserved, err)))
        return rc;
    l->reserved_connections = (size_t)reserved;
    if (l->peer_queue_bytes == 0 || l->answer_bytes == 0) {
        snprintf(err, CP__START_ERRLEN, "CPROC_%s=\"0\" is too small (at least 1 byte)",
                 l->peer_queue_bytes == 0 ? "MAX_PEER_QUEUE_BYTES" : "MAX_ANSWER_BYTES");
        return CP_EINVAL;
    }
    choose_tick();
    return 0;
}

static void on_sweep(uv_timer_t *t)
{
    uint64_t now = uv_now(t->loop);
    cp__server_sweep(now);
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

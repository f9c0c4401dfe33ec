/* GET /metrics/snapshot (JSON), /metrics/prometheus (text 0.0.4),
 * /system/stats.json and /logging/toggle, as libprocess serves them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/node.h"
#include "cproc/clock.h"
#include "cproc/error.h"
#include "cproc/log.h"
#include "cproc/metrics.h"
#include "metrics/format.h"
#include "metrics/metrics_http.h"
#include "metrics/system.h"
#include "transport/wire.h"

static void answer(cp__http_slot_t *s, int status, const char *type, const char *body, size_t len)
{
    char headers[128];
    snprintf(headers, sizeof headers, "Content-Type: %s\r\n", type);
    if (cp__wire_encode_response(&s->bytes, status, headers, body, len, s->close))
        s->close = true;
    cp__http_slot_complete(s);
}

static void answer_text(cp__http_slot_t *s, int status, const char *text)
{
    answer(s, status, "text/plain", text, strlen(text));
}

static bool path_is(const cp__http_request_t *req, const char *p)
{
    size_t n = strlen(p);
    return req->path_len == n && memcmp(req->path, p, n) == 0;
}

/* ---- snapshots -------------------------------------------------------- */

typedef struct pending {
    cp__http_slot_t *slot;
    const char *type; /* Content-Type */
    cp_future_t *f;
} pending_t;

static void reply_on_loop(void *arg)
{
    pending_t *p = arg;
    if (cp_future_is_ready(p->f)) {
        const char *text = cp_future_value(p->f);
        answer(p->slot, 200, p->type, text, strlen(text));
    } else {
        answer_text(p->slot, 500, "metrics snapshot failed");
    }
    cp_future_unref(p->f);
    free(p);
}

static void snapshot_done(cp_future_t *f, void *arg)
{
    const pending_t *req = arg;
    pending_t *p = malloc(sizeof *p);
    if (!p)
        return; /* the connection waits until it is closed */
    *p = *req;
    p->f = cp_future_ref(f);
    if (cp__on_loop_thread()) {
        reply_on_loop(p);
    } else if (cp__loop_post(reply_on_loop, p) != 0) {
        cp_future_unref(p->f); /* stopping: the slot goes with the server */
        free(p);
    }
}

/* Reads the `timeout` parameter; answers 400 and returns false when bad. */
static bool timeout_param(cp__http_slot_t *s, const cp__http_request_t *req, uint64_t *timeout)
{
    const char *v;
    size_t vlen;
    if (cp__query_get(req->query, req->query_len, "timeout", &v, &vlen) &&
        cp__duration_parse(v, vlen, timeout) != 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "Invalid timeout '%.*s': expected a duration like 5secs",
                 (int)(vlen > 64 ? 64 : vlen), v);
        answer_text(s, 400, msg);
        return false;
    }
    return true;
}

/* Answers with f's text once it completes. Takes f. */
static void answer_later(cp__http_slot_t *s, cp_future_t *f, const char *type)
{
    pending_t *p = f ? calloc(1, sizeof *p) : NULL;
    if (!p) {
        cp_future_unref(f);
        answer_text(s, 500, "out of memory");
        return;
    }
    p->slot = s;
    p->type = type;
    cp_future_on_any(f, snapshot_done, p, free);
    cp_future_unref(f);
}

static void serve_snapshot(cp__http_slot_t *s, const cp__http_request_t *req,
                           cp_metrics_format_t format)
{
    uint64_t timeout = UINT64_MAX;
    if (timeout_param(s, req, &timeout))
        answer_later(s, cp_metrics_snapshot(timeout, format),
                     format == CP_METRICS_PROMETHEUS ? "text/plain; version=0.0.4; charset=utf-8"
                                                     : "application/json");
}

/* A busy process must not hold the answer forever. */
#define PROCESSES_TIMEOUT_NS (5 * CP_NS_PER_SEC)

static void serve_processes(cp__http_slot_t *s, const cp__http_request_t *req)
{
    uint64_t timeout = PROCESSES_TIMEOUT_NS;
    if (timeout_param(s, req, &timeout))
        answer_later(s, cp__processes_snapshot(timeout), "application/json");
}

/* ---- /system/stats.json ------------------------------------------------ */

static void serve_system(cp__http_slot_t *s)
{
    cp__system_t sys;
    if (cp__system_read(&sys) != 0) {
        answer_text(s, 500, "cannot read the system's figures");
        return;
    }
    char b[4][40], body[512];
    cp__fmt_double(b[0], sizeof b[0], sys.load_15min);
    cp__fmt_double(b[1], sizeof b[1], sys.load_1min);
    cp__fmt_double(b[2], sizeof b[2], sys.load_5min);
    cp__fmt_double(b[3], sizeof b[3], sys.cpus_total);
    int n = snprintf(body, sizeof body,
                     "{\"avg_load_15min\":%s,\"avg_load_1min\":%s,\"avg_load_5min\":%s,"
                     "\"cpus_total\":%s,\"mem_free_bytes\":%.0f,\"mem_total_bytes\":%.0f}",
                     b[0], b[1], b[2], b[3], sys.mem_free_bytes, sys.mem_total_bytes);
    answer(s, 200, "application/json", body, (size_t)n);
}

/* ---- /logging/toggle ------------------------------------------------------ */

/* Loop thread only: the level to go back to and which toggle is current. */
static struct cp__log_toggle {
    bool active;
    cp_log_level_t original;
    uint64_t generation;
    uint64_t timer_id;
} cp__log_toggle;

static void toggle_revert(void *arg)
{
    if ((uint64_t)(uintptr_t)arg != cp__log_toggle.generation || !cp__log_toggle.active)
        return;
    cp__log_toggle.active = false;
    cp_log_set_level(cp__log_toggle.original);
}

static void toggle_arg_free(void *arg)
{
    /* At runtime stop the timer is dropped without firing: revert then
     * too. A replaced timer has an old generation and does nothing. */
    toggle_revert(arg);
}

static int parse_level(const char *v, size_t len, cp_log_level_t *out)
{
    char buf[16];
    if (len == 0 || len >= sizeof buf)
        return CP_EINVAL;
    memcpy(buf, v, len);
    buf[len] = 0;
    if (len == 1 && buf[0] >= '0' && buf[0] <= '4') {
        *out = (cp_log_level_t)(buf[0] - '0');
        return 0;
    }
    return cp_log_parse_level(buf, out);
}

static void serve_toggle(cp__http_slot_t *s, const cp__http_request_t *req)
{
    const char *lv, *dv;
    size_t ll, dl;
    if (!cp__query_get(req->query, req->query_len, "level", &lv, &ll)) {
        answer_text(s, 400, "Expected 'level' query parameter");
        return;
    }
    if (!cp__query_get(req->query, req->query_len, "duration", &dv, &dl)) {
        answer_text(s, 400, "Expected 'duration' query parameter");
        return;
    }
    cp_log_level_t level;
    uint64_t ns;
    if (parse_level(lv, ll, &level) != 0) {
        answer_text(s, 400, "Invalid level: expected off|error|warn|info|debug or 0..4");
        return;
    }
    if (cp__duration_parse(dv, dl, &ns) != 0) {
        answer_text(s, 400, "Invalid duration: expected a duration like 10secs");
        return;
    }
    if (cp__log_toggle.active) {
        cp__log_toggle.generation++; /* the old timer now does nothing */
        cp_timer_cancel(cp__log_toggle.timer_id);
    } else {
        cp__log_toggle.original = cp_log_get_level();
    }
    cp__log_toggle.active = true;
    cp__log_toggle.generation++;
    cp_log_set_level(level);
    uint64_t id = 0;
    if (cp_timer_start(ns, toggle_revert, (void *)(uintptr_t)cp__log_toggle.generation,
                       toggle_arg_free, &id) != 0) {
        answer_text(s, 500, "cannot start the timer");
        return;
    }
    cp__log_toggle.timer_id = id;
    char msg[128];
    snprintf(msg, sizeof msg, "log level %d for %.*s\n", (int)level, (int)(dl > 32 ? 32 : dl), dv);
    answer_text(s, 200, msg);
}

int cp__metrics_http_serve(cp__http_slot_t *s, const cp__http_request_t *req)
{
    if (path_is(req, "/metrics/snapshot"))
        serve_snapshot(s, req, CP_METRICS_JSON);
    else if (path_is(req, "/metrics/prometheus"))
        serve_snapshot(s, req, CP_METRICS_PROMETHEUS);
    else if (path_is(req, "/system/stats.json"))
        serve_system(s);
    else if (path_is(req, "/logging/toggle"))
        serve_toggle(s, req);
    else if (path_is(req, "/__processes__"))
        serve_processes(s, req);
    else
        return CP_ENOENT;
    return 0;
}

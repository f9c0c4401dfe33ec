/* cp_metrics_snapshot(): reads every metric, asks the pull gauges inside
 * their processes (bounded by the timeout), then adds the runtime's own
 * figures and the system's on the event-loop thread, and formats. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "core/node.h"
#include "cproc/clock.h"
#include "cproc/dispatch.h"
#include "cproc/error.h"
#include "cproc/mailbox.h"
#include "cproc/runtime.h"
#include "metrics/format.h"
#include "metrics/loop_lag.h"
#include "metrics/metrics_internal.h"
#include "metrics/queue_depth.h"
#include "metrics/system.h"
#include "transport/transport_internal.h"

typedef struct snap {
    atomic_uint refs;
    pthread_mutex_t mu;
    bool finished;  /* under mu: later pull answers are ignored */
    size_t pending; /* under mu: pulls not answered, plus one while starting */
    bool has_timer; /* under mu */
    uint64_t timer_id;
    cp_promise_t *promise;
    cp_metrics_format_t format;
    cp_metric_t **list;
    size_t n;
    double *pulled; /* per metric: a pull gauge's answer */
    bool *have;
    uint64_t posted_at;
    cp__qd_t *qd; /* queue depths; NULL when out of memory or not running */
} snap_t;

static void snap_unref(void *p)
{
    snap_t *s = p;
    if (atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    for (size_t i = 0; i < s->n; i++)
        cp_metric_unref(s->list[i]);
    free(s->list);
    free(s->pulled);
    free(s->have);
    cp__qd_free(s->qd);
    cp_promise_free(s->promise); /* abandons when never completed */
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static void add_metrics(snap_t *s, cp__fams_t *f)
{
    static const cp__fam_type_t types[] = {CP__FAM_COUNTER, CP__FAM_GAUGE, CP__FAM_GAUGE,
                                           CP__FAM_SUMMARY, CP__FAM_SUMMARY};
    for (size_t i = 0; i < s->n; i++) {
        cp_metric_t *m = s->list[i];
        if (m->kind == CP_METRIC_PULL_GAUGE && !s->have[i])
            continue; /* gone, or too slow */
        cp__fam_t *x = cp__fams_add(f, m->name, strlen(m->name), m->help, types[m->kind]);
        if (!x)
            return;
        x->has_value = true;
        x->value = m->kind == CP_METRIC_PULL_GAUGE ? s->pulled[i] : cp__metric_load(m);
        x->has_stats = cp__metric_stats(m, &x->st);
        x->keeps_stats = m->ring != NULL;
        if (x->type == CP__FAM_SUMMARY && !x->has_stats && !cp__metric_sampled(m))
            x->has_value = false; /* no sample yet: only the count (0) shows */
    }
}

static void gauge(cp__fams_t *f, const char *name, double v, const char *help)
{
    cp__fam_t *x = cp__fams_add(f, name, strlen(name), help, CP__FAM_GAUGE);
    if (x) {
        x->has_value = true;
        x->value = v;
    }
}

/* Builds the text and completes the promise. `runtime`: on the loop thread
 * of a running runtime, so its figures can be read. */
static void format(snap_t *s, bool runtime)
{
    cp__fams_t f = {0};
    int rc = 0;
    if (runtime) {
        cp__buf_t rj;
        cp__buf_init(&rj);
        rc = cp__transport_metrics_json(&rj);
        if (!rc)
            rc = cp__buf_append(&rj, "", 1); /* strtod reads up to a NUL */
        if (!rc)
            rc = cp__fams_from_json(&f, rj.data, rj.len - 1);
        cp__buf_close(&rj);
        cp__runtime_figures(&f);
        if (s->qd)
            cp__qd_figures(s->qd, &f);
        cp__peer_figures(&f);
        gauge(&f, "runtime/event_loop_lag_ms", (double)(cp__metrics_now() - s->posted_at) / 1e6,
              "Time the snapshot waited for the event-loop thread, in milliseconds");
        gauge(&f, "runtime/event_loop_delay_ms", cp__loop_lag_ms(),
              "Largest delay of the event loop's 100 ms timer over the last 1 to 2 s, in milliseconds");
        gauge(&f, "runtime/worker_threads", (double)cp_runtime_num_workers(),
              "Worker threads running processes");
        cp__fam_t *x = cp__fams_add(&f, "runtime/mailbox_rejected", 24,
                                    "Events refused by full bounded mailboxes", CP__FAM_COUNTER);
        if (x) {
            x->has_value = true;
            x->value = (double)cp_mailbox_rejected_total();
        }
        x = cp__fams_add(&f, "runtime/mailbox_dropped", 23,
                         "Oldest events dropped by drop-oldest mailboxes", CP__FAM_COUNTER);
        if (x) {
            x->has_value = true;
            x->value = (double)cp_mailbox_dropped_total();
        }
    }
    cp__system_t sys;
    if (cp__system_read(&sys) == 0) {
        gauge(&f, "system/cpus_total", sys.cpus_total, "Number of CPUs online");
        gauge(&f, "system/load_15min", sys.load_15min, "Load average over 15 minutes");
        gauge(&f, "system/load_1min", sys.load_1min, "Load average over 1 minute");
        gauge(&f, "system/load_5min", sys.load_5min, "Load average over 5 minutes");
        gauge(&f, "system/mem_free_bytes", sys.mem_free_bytes, "Free memory (free plus buffers), in bytes");
        gauge(&f, "system/mem_total_bytes", sys.mem_total_bytes, "Total memory, in bytes");
    }
    add_metrics(s, &f);
    cp__buf_t out;
    cp__buf_init(&out);
    if (!rc && f.oom)
        rc = CP_ENOMEM;
    if (!rc)
        rc = s->format == CP_METRICS_PROMETHEUS ? cp__fams_prometheus(&f, &out)
                                                : cp__fams_json(&f, &out);
    if (!rc)
        rc = cp__buf_append(&out, "", 1); /* the NUL */
    cp__fams_free(&f);
    if (rc) {
        cp__buf_close(&out);
        cp_promise_fail(s->promise, "metrics snapshot: %s", cp_strerror(rc));
        return;
    }
    if (cp_promise_set(s->promise, out.data) != 0)
        cp__buf_close(&out);
}

static void format_on_loop(void *arg)
{
    format(arg, true);
    snap_unref(arg);
}

static void finish(snap_t *s)
{
    pthread_mutex_lock(&s->mu);
    bool first = !s->finished;
    s->finished = true;
    bool cancel = s->has_timer;
    pthread_mutex_unlock(&s->mu);
    if (!first)
        return;
    if (cancel)
        cp_timer_cancel(s->timer_id); /* CP_ENOENT when it is firing: fine */
    if (!cp_runtime_running()) {
        format(s, false);
        return;
    }
    atomic_fetch_add(&s->refs, 1);
    s->posted_at = cp__metrics_now();
    if (cp__loop_post(format_on_loop, s) != 0)
        snap_unref(s); /* stopping: the future is abandoned */
}

static void one_less(snap_t *s)
{
    pthread_mutex_lock(&s->mu);
    bool last = --s->pending == 0;
    pthread_mutex_unlock(&s->mu);
    if (last)
        finish(s);
}

static void on_timeout(void *arg)
{
    finish(arg);
}

/* One queue-depth ask reported (queue_depth.h). */
static void qd_done(void *arg)
{
    one_less(arg);
    snap_unref(arg);
}

/* ---- pull gauges ---------------------------------------------------------- */

typedef struct pull {
    atomic_uint refs;
    atomic_bool done;
    snap_t *s;
    size_t i;
} pull_t;

static void pull_unref(void *p)
{
    pull_t *pl = p;
    if (atomic_fetch_sub(&pl->refs, 1) != 1)
        return;
    snap_unref(pl->s);
    free(pl);
}

static void pull_done(cp_future_t *f, void *arg)
{
    pull_t *pl = arg;
    if (atomic_exchange(&pl->done, true))
        return;
    snap_t *s = pl->s;
    if (cp_future_is_ready(f)) {
        pthread_mutex_lock(&s->mu);
        if (!s->finished) {
            s->pulled[pl->i] = *(double *)cp_future_value(f);
            s->have[pl->i] = true;
        }
        pthread_mutex_unlock(&s->mu);
    }
    one_less(s);
}

static cp_future_t *pull_run(cp_process_t *self, void *args)
{
    cp_metric_t *m = *(cp_metric_t **)args;
    double *v = malloc(sizeof *v);
    if (!v)
        return cp_future_failed("out of memory");
    *v = m->fn(self, m->arg);
    return cp_future_ready(v, free);
}

static void pull_args_free(void *args)
{
    cp_metric_unref(*(cp_metric_t **)args);
}

static void start_pull(snap_t *s, size_t i)
{
    cp_metric_t *m = cp_metric_ref(s->list[i]);
    pull_t *pl = malloc(sizeof *pl);
    cp_future_t *f = pl ? cp_dispatch_future(&m->pid, pull_run, &m, sizeof m, pull_args_free)
                        : NULL;
    if (!f) {
        if (!pl)
            cp_metric_unref(m);
        free(pl);
        return;
    }
    atomic_init(&pl->refs, 2);
    atomic_init(&pl->done, false);
    pl->s = s;
    pl->i = i;
    atomic_fetch_add(&s->refs, 1);
    pthread_mutex_lock(&s->mu);
    s->pending++;
    pthread_mutex_unlock(&s->mu);
    cp_future_on_any(f, pull_done, pl, pull_unref);
    cp_future_on_abandoned(f, pull_done, pl, pull_unref);
    cp_future_unref(f);
}

/* How long a snapshot without a shorter timeout waits for a busy process
 * to count its queue: a stuck process must not hold the answer long. */
#define QD_BOUND_NS (CP_NS_PER_SEC)

cp_future_t *cp_metrics_snapshot(uint64_t timeout_ns, cp_metrics_format_t format_)
{
    snap_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    pthread_mutex_init(&s->mu, NULL);
    s->format = format_;
    s->pending = 1;
    s->promise = cp_promise_new(free);
    bool oom = !s->promise;
    if (!oom)
        s->list = cp__metrics_list(&s->n, &oom);
    if (!oom && s->n) {
        s->pulled = calloc(s->n, sizeof *s->pulled);
        s->have = calloc(s->n, sizeof *s->have);
        oom = !s->pulled || !s->have;
    }
    if (oom) {
        snap_unref(s);
        return NULL;
    }
    cp_future_t *f = cp_promise_future(s->promise);
    bool running = cp_runtime_running();
    for (size_t i = 0; running && i < s->n; i++)
        if (s->list[i]->kind == CP_METRIC_PULL_GAUGE)
            start_pull(s, i);
    /* Queue depths: each ask holds the snapshot as a pull does, for at
     * most the timeout, and without one for QD_BOUND_NS. */
    s->qd = running ? cp__qd_new() : NULL;
    if (s->qd) {
        size_t asks = cp__qd_asks(s->qd);
        atomic_fetch_add(&s->refs, (unsigned)asks);
        pthread_mutex_lock(&s->mu);
        s->pending += asks;
        pthread_mutex_unlock(&s->mu);
        cp__qd_start(s->qd, timeout_ns < QD_BOUND_NS ? timeout_ns : QD_BOUND_NS, qd_done, s);
    }
    pthread_mutex_lock(&s->mu);
    bool waiting = s->pending > 1;
    pthread_mutex_unlock(&s->mu);
    if (waiting && timeout_ns != UINT64_MAX) {
        atomic_fetch_add(&s->refs, 1);
        uint64_t id;
        if (cp_timer_start(timeout_ns, on_timeout, s, snap_unref, &id) == 0) {
            pthread_mutex_lock(&s->mu);
            s->has_timer = true;
            s->timer_id = id;
            pthread_mutex_unlock(&s->mu);
        }
    }
    one_less(s);
    snap_unref(s);
    return f;
}

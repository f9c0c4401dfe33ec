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
#include "metrics/ask.h"
#include "metrics/format.h"
#include "metrics/loop_lag.h"
#include "metrics/metrics_internal.h"
#include "metrics/queue_depth.h"
#include "metrics/system.h"
#include "transport/transport_internal.h"

typedef struct snap {
    cp__ask_t *ask; /* owns this struct */
    cp_promise_t *promise;
    cp_metrics_format_t format;
    cp_metric_t **list;
    size_t n;
    double *pulled; /* per metric: a pull gauge's answer (under the ask's lock) */
    bool *have;
    uint64_t posted_at;
    cp__qd_t *qd; /* queue depths; NULL when out of memory or not running */
} snap_t;

static void snap_free(void *p)
{
    snap_t *s = p;
    for (size_t i = 0; i < s->n; i++)
        cp_metric_unref(s->list[i]);
    free(s->list);
    free(s->pulled);
    free(s->have);
    cp__qd_free(s->qd);
    cp_promise_free(s->promise); /* abandons when never completed */
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
    snap_t *s = arg;
    format(s, true);
    cp__ask_unref(s->ask);
}

/* Every pull answered or the timeout passed: format on the loop thread. */
static void finish(void *arg)
{
    snap_t *s = arg;
    if (!cp_runtime_running()) {
        format(s, false);
        return;
    }
    cp__ask_ref(s->ask);
    s->posted_at = cp__metrics_now();
    if (cp__loop_post(format_on_loop, s) != 0)
        cp__ask_unref(s->ask); /* stopping: the future is abandoned */
}

/* A pull gauge answered. Under the ask's lock. */
static void answer(void *arg, size_t i, cp_future_t *f)
{
    snap_t *s = arg;
    if (cp_future_is_ready(f)) {
        s->pulled[i] = *(double *)cp_future_value(f);
        s->have[i] = true;
    }
}

static const cp__ask_ops_t ops = {answer, finish, snap_free};

/* The queue depths are in (queue_depth.h). */
static void qd_done(void *arg)
{
    cp__ask_release(arg);
}

/* ---- pull gauges ---------------------------------------------------------- */

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
    cp__ask_one(s->ask, i, &m->pid, pull_run, &m, sizeof m, pull_args_free);
}

/* How long a snapshot without a shorter timeout waits for a busy process
 * to count its queue: a stuck process must not hold the answer long. */
#define QD_BOUND_NS (CP_NS_PER_SEC)

cp_future_t *cp_metrics_snapshot(uint64_t timeout_ns, cp_metrics_format_t format_)
{
    snap_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->format = format_;
    s->promise = cp_promise_new(free);
    bool oom = !s->promise;
    if (!oom)
        s->list = cp__metrics_list(&s->n, &oom);
    if (!oom && s->n) {
        s->pulled = calloc(s->n, sizeof *s->pulled);
        s->have = calloc(s->n, sizeof *s->have);
        oom = !s->pulled || !s->have;
    }
    if (!oom)
        s->ask = cp__ask_new(&ops, s);
    if (!s->ask) {
        snap_free(s);
        return NULL;
    }
    cp_future_t *f = cp_promise_future(s->promise);
    bool running = cp_runtime_running();
    for (size_t i = 0; running && i < s->n; i++)
        if (s->list[i]->kind == CP_METRIC_PULL_GAUGE)
            start_pull(s, i);
    /* Queue depths: held as one pull, for at most the timeout, and
     * without one for QD_BOUND_NS. */
    s->qd = running ? cp__qd_new() : NULL;
    if (s->qd) {
        cp__ask_hold(s->ask);
        cp__qd_start(s->qd, timeout_ns < QD_BOUND_NS ? timeout_ns : QD_BOUND_NS, qd_done, s->ask);
    }
    cp__ask_start(s->ask, timeout_ns);
    cp__ask_unref(s->ask);
    return f;
}

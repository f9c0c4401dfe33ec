/* Figures about processes that the snapshot adds beside the transport's:
 * per process type, how many processes have events waiting; and the
 * per-type sums that processes/<type>/queued shares. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/introspect.h"
#include "metrics/format.h"

void cp__per_type_gauges(cp__fams_t *f, const cp__proc_info_t *list, const double *value, size_t n,
                         const char *what, const char *help)
{
    typedef struct {
        const char *type; /* borrowed from list, len bytes */
        size_t len;
        double sum;
    } sum_t;
    /* At most one type per process; the list per type is short. */
    sum_t *sums = n ? malloc(n * sizeof *sums) : NULL;
    size_t ns = 0;
    if (n && !sums)
        f->oom = true;
    for (size_t i = 0; sums && i < n; i++) {
        size_t len = cp__process_type_len(list[i].id, list[i].id_len), j = 0;
        while (j < ns && (sums[j].len != len || memcmp(sums[j].type, list[i].id, len) != 0))
            j++;
        if (j == ns)
            sums[ns++] = (sum_t){list[i].id, len, 0};
        sums[j].sum += value[i];
    }
    for (size_t j = 0; j < ns; j++) {
        char name[320];
        int len =
            snprintf(name, sizeof name, "processes/%.*s/%s", (int)sums[j].len, sums[j].type, what);
        cp__fam_t *x = len > 0 && (size_t)len < sizeof name
                           ? cp__fams_add(f, name, (size_t)len, help, CP__FAM_GAUGE)
                           : NULL;
        if (x) {
            x->has_value = true;
            x->value = sums[j].sum;
        }
    }
    free(sums);
}

static void figure(cp__fams_t *f, const char *name, double v, const char *help, cp__fam_type_t kind)
{
    cp__fam_t *x = cp__fams_add(f, name, strlen(name), help, kind);
    if (x) {
        x->has_value = true;
        x->value = v;
    }
}

/* Worker utilisation: the fraction of wall time each worker spent running
 * processes since the previous snapshot (the first: since the runtime
 * started). A turn counts when it ends. */
#define MAX_WORKER_FIGURES 256
static pthread_mutex_t util_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t last_busy[MAX_WORKER_FIGURES], last_at, last_start;

static void worker_figures(cp__fams_t *f)
{
    uint64_t busy[MAX_WORKER_FIGURES], now, start;
    unsigned n = cp__sched_busy(busy, MAX_WORKER_FIGURES, &now, &start);
    pthread_mutex_lock(&util_mu);
    if (last_start != start) { /* a new runtime: start over */
        memset(last_busy, 0, sizeof last_busy);
        last_at = last_start = start;
    }
    uint64_t wall = now > last_at ? now - last_at : 0;
    double sum = 0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t d = busy[i] > last_busy[i] ? busy[i] - last_busy[i] : 0;
        double u = wall > 0 ? (double)d / (double)wall : 0;
        if (u > 1)
            u = 1;
        sum += u;
        char name[64];
        snprintf(name, sizeof name, "runtime/workers/%u/utilization", i);
        figure(f, name, u, "Fraction of time this worker ran processes since the previous snapshot",
               CP__FAM_GAUGE);
        snprintf(name, sizeof name, "runtime/workers/%u/busy_ms", i);
        figure(f, name, (double)busy[i] / 1e6,
               "Time this worker ran processes since the runtime started, in milliseconds",
               CP__FAM_COUNTER);
        last_busy[i] = busy[i];
    }
    last_at = now;
    pthread_mutex_unlock(&util_mu);
    figure(f, "runtime/worker_utilization", n > 0 ? sum / n : 0,
           "Mean fraction of time the workers ran processes since the previous snapshot",
           CP__FAM_GAUGE);
}

static void loop_turn_figures(cp__fams_t *f)
{
    uint64_t run, revoked;
    cp__loop_turns_counts(&run, &revoked);
    figure(f, "runtime/loop_turns", (double)run,
           "Turns run on the event-loop thread (cp_process_set_loop_turns)", CP__FAM_COUNTER);
    figure(f, "runtime/loop_turns_revoked", (double)revoked,
           "Processes whose loop turns were turned off by slow turns", CP__FAM_COUNTER);
}

void cp__runtime_figures(cp__fams_t *f)
{
    worker_figures(f);
    loop_turn_figures(f);
    cp__proc_info_t *list;
    size_t total;
    if (cp__processes_list(&list, &total) != 0) {
        f->oom = true;
        return;
    }
    double *waiting = total ? malloc(total * sizeof *waiting) : NULL;
    if (total && !waiting)
        f->oom = true;
    for (size_t i = 0; waiting && i < total; i++)
        waiting[i] = list[i].queued;
    if (waiting)
        cp__per_type_gauges(f, list, waiting, total, "waiting",
                            "Processes of this type with events waiting");
    free(waiting);
    cp__processes_list_free(list, total);
    cp__fam_t *x = cp__fams_add(f, "runtime/processes", 17, "Live processes", CP__FAM_GAUGE);
    if (x) {
        x->has_value = true;
        x->value = (double)total;
    }
}

/* Figures about processes that the snapshot adds beside the transport's:
 * per process type, how many processes have events waiting. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/introspect.h"
#include "metrics/format.h"

typedef struct type_count {
    char *type;
    size_t len;
    double waiting;
} type_count_t;

typedef struct by_type {
    type_count_t *v;
    size_t n, cap;
    bool oom;
} by_type_t;

/* A process's type: its id without a generated "(N)" suffix, as the
 * transport's processes/<type>/count. */
size_t cp__process_type_len(const char *id, size_t n)
{
    if (n > 0 && id[n - 1] == ')') {
        const char *open = memrchr(id, '(', n);
        if (open != NULL && open != id)
            return (size_t)(open - id);
    }
    return n;
}

static void count(by_type_t *g, const char *id, size_t id_len, bool queued)
{
    if (g->oom)
        return;
    size_t len = cp__process_type_len(id, id_len);
    for (size_t i = 0; i < g->n; i++) {
        if (g->v[i].len == len && memcmp(g->v[i].type, id, len) == 0) {
            g->v[i].waiting += queued;
            return;
        }
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 16;
        type_count_t *v = realloc(g->v, cap * sizeof *v);
        if (!v) {
            g->oom = true;
            return;
        }
        g->v = v;
        g->cap = cap;
    }
    char *t = strndup(id, len);
    if (!t) {
        g->oom = true;
        return;
    }
    g->v[g->n++] = (type_count_t){t, len, queued};
}

static void figure(cp__fams_t *f, const char *name, double v, const char *help,
                   cp__fam_type_t kind)
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
        figure(f, name, u,
               "Fraction of time this worker ran processes since the previous snapshot",
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

void cp__runtime_figures(cp__fams_t *f)
{
    worker_figures(f);
    by_type_t g = {0};
    cp__proc_info_t *list;
    size_t total;
    if (cp__processes_list(&list, &total) != 0) {
        f->oom = true;
        return;
    }
    for (size_t i = 0; i < total; i++)
        count(&g, list[i].id, list[i].id_len, list[i].queued);
    cp__processes_list_free(list, total);
    for (size_t i = 0; i < g.n; i++) {
        char name[320];
        int n = snprintf(name, sizeof name, "processes/%s/waiting", g.v[i].type);
        cp__fam_t *x = n > 0 && (size_t)n < sizeof name
                           ? cp__fams_add(f, name, (size_t)n,
                                          "Processes of this type with events waiting",
                                          CP__FAM_GAUGE)
                           : NULL;
        if (x) {
            x->has_value = true;
            x->value = g.v[i].waiting;
        }
        free(g.v[i].type);
    }
    free(g.v);
    cp__fam_t *x = cp__fams_add(f, "runtime/processes", 17, "Live processes", CP__FAM_GAUGE);
    if (x) {
        x->has_value = true;
        x->value = (double)total;
    }
    if (g.oom)
        f->oom = true;
}

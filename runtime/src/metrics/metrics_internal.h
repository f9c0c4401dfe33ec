/* Internal: the metrics registry as the snapshot and the endpoints see it. */
#ifndef CPROC_METRICS_INTERNAL_H
#define CPROC_METRICS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cproc/metrics.h"

typedef struct cp__sample {
    uint64_t t; /* monotonic ns */
    double v;
} cp__sample_t;

struct cp_metric {
    atomic_uint refs;
    cp_metric_kind_t kind;
    char *name;
    char *help;
    _Atomic uint64_t bits; /* the value, a double's bits */
    /* A counter without statistics: once two threads met on `bits` (a
     * compare-and-swap failed), its whole-number adds go to shards, one
     * per thread (core/counter.h), and its value is `bits` plus their
     * sum. NULL until then. */
    struct cp__counter *_Atomic shards;
    /* Samples for statistics (NULL ring: none), under mu. */
    pthread_mutex_t mu;
    cp__sample_t *ring;
    size_t cap, head, len;
    uint64_t window_ns;
    /* Pull gauges. */
    cp_upid_t pid;
    cp_metric_pull_fn fn;
    void *arg;
    cp_free_fn arg_free;
};

/* Statistics over a metric's samples, libprocess's Statistics. */
typedef struct cp__stats {
    uint64_t count;
    double min, max, sum, p50, p90, p95, p99, p999;
} cp__stats_t;

/* Fills *st from m's samples in the window; false when there are none
 * (JSON shows statistics from two samples on, as libprocess). Takes m->mu. */
bool cp__metric_stats(cp_metric_t *m, cp__stats_t *st);

/* True once m has had a sample (timers, histograms: its value is the last
 * one, kept after the samples age out of the window). Takes m->mu. */
bool cp__metric_sampled(cp_metric_t *m);

/* New references to every registered metric (*n of them, malloc'd array;
 * NULL and 0 when none or out of memory: *oom tells). */
cp_metric_t **cp__metrics_list(size_t *n, bool *oom);

double cp__metric_load(const cp_metric_t *m);

/* The monotonic clock, in ns. */
uint64_t cp__metrics_now(void);

#endif

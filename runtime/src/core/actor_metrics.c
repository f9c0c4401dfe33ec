/* Per-method metrics of generated actors (cproc/actor_metrics.h), built on
 * the public metrics API only. */
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cproc/actor_metrics.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Latency is sampled: one handler run in `sample_every` per thread. */
static _Atomic unsigned sample_every = CP_METHOD_SAMPLE_DEFAULT;
static _Thread_local unsigned tick __attribute__((tls_model("initial-exec")));

void cp_method_latency_sampling(unsigned every)
{
    atomic_store_explicit(&sample_every, every > 0 ? every : 1, memory_order_relaxed);
}

uint64_t cp_method_start(void)
{
    unsigned every = atomic_load_explicit(&sample_every, memory_order_relaxed);
    if (tick++ % every != 0)
        return 0;
    uint64_t t = now_ns();
    return t != 0 ? t : 1;
}

static cp_metric_t *one(cp_metric_kind_t kind, const cp_actor_metrics_t *am, const char *method,
                        const char *what, const char *help)
{
    char name[256];
    int n = snprintf(name, sizeof name, "actor/%s/%s/%s", am->actor, method, what);
    if (n < 0 || (size_t)n >= sizeof name)
        return NULL;
    cp_metric_options_t o = {.help = help};
    cp_metric_t *m = NULL;
    if (cp_metric_new(kind, name, &o, &m) != 0)
        return NULL;
    return m;
}

void cp_actor_metrics_register(cp_actor_metrics_t *am)
{
    int expect = 0;
    if (__atomic_load_n(&am->registered, __ATOMIC_ACQUIRE) == 2)
        return;
    if (!__atomic_compare_exchange_n(&am->registered, &expect, 1, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&am->registered, __ATOMIC_ACQUIRE) != 2)
            sched_yield();
        return;
    }
    for (size_t i = 0; i < am->n_methods; i++) {
        const char *me = am->methods[i];
        cp_method_metrics_t *mm = &am->m[i];
        mm->received = one(CP_METRIC_COUNTER, am, me, "received", "Messages or calls received");
        mm->failed = one(CP_METRIC_COUNTER, am, me, "failed",
                         "Messages that did not unpack, or calls that failed");
        mm->discarded = one(CP_METRIC_COUNTER, am, me, "discarded",
                            "Messages no handler took, or calls discarded");
        mm->latency = one(CP_METRIC_TIMER, am, me, "latency_ms", "Handler latency");
    }
    __atomic_store_n(&am->registered, 2, __ATOMIC_RELEASE);
}

void cp_method_done(cp_method_metrics_t *mm, uint64_t start, int outcome)
{
    cp_metric_increment(mm->received);
    if (outcome == CP_METHOD_OK) {
        if (start != 0)
            cp_metric_record_ns(mm->latency, now_ns() - start);
    } else {
        cp_metric_increment(outcome == CP_METHOD_FAILED ? mm->failed : mm->discarded);
    }
}

typedef struct tracked {
    cp_method_metrics_t *mm;
    uint64_t start;
} tracked_t;

static void track_done(cp_future_t *f, void *arg)
{
    tracked_t *t = arg;
    if (t->start != 0)
        cp_metric_record_ns(t->mm->latency, now_ns() - t->start);
    if (cp_future_is_failed(f))
        cp_metric_increment(t->mm->failed);
    else if (cp_future_is_discarded(f))
        cp_metric_increment(t->mm->discarded);
}

void cp_method_track(cp_method_metrics_t *mm, uint64_t start, cp_future_t *f)
{
    cp_metric_increment(mm->received);
    if (f == NULL)
        return;
    if (!cp_future_is_pending(f)) {
        tracked_t t = {mm, start};
        track_done(f, &t);
        return;
    }
    tracked_t *t = malloc(sizeof *t);
    if (t == NULL)
        return;
    *t = (tracked_t){mm, start};
    (void)cp_future_on_any(f, track_done, t, free); /* frees t on error */
}

/* processes/<type>/queued: events waiting per process type, measured at
 * snapshot time (queue_depth.h says how and why). */
#include "metrics/queue_depth.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/introspect.h"
#include "core/node.h"
#include "cproc/clock.h"
#include "cproc/dispatch.h"
#include "cproc/mailbox.h"
#include "cproc/runtime.h"

typedef struct qd_proc {
    char *id;        /* the whole id while it is to be asked, then NULL */
    size_t type_len; /* of id's prefix; `type` below */
    char *type;
    bool ask;
    bool reported; /* under mu: its done() is running or ran */
    double depth;  /* under mu */
} qd_proc_t;

struct cp__qd {
    atomic_uint refs;
    pthread_mutex_t mu;
    bool closed; /* under mu: figures taken */
    bool has_timer;
    uint64_t timer_id; /* under mu */
    qd_proc_t *v;
    size_t n, cap, asks;
    bool oom;
    void (*done)(void *arg);
    void *arg;
};

static void qd_unref(void *p)
{
    cp__qd_t *q = p;
    if (atomic_fetch_sub(&q->refs, 1) != 1)
        return;
    for (size_t i = 0; i < q->n; i++) {
        free(q->v[i].id);
        free(q->v[i].type);
    }
    free(q->v);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

void cp__qd_free(cp__qd_t *q)
{
    if (q)
        qd_unref(q);
}

/* Under the process table's lock: copies only. */
static void gather(void *arg, const char *id, size_t id_len, int state, bool queued,
                   uint64_t events)
{
    cp__qd_t *q = arg;
    if (q->oom)
        return;
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 64;
        qd_proc_t *v = realloc(q->v, cap * sizeof *v);
        if (!v) {
            q->oom = true;
            return;
        }
        q->v = v;
        q->cap = cap;
    }
    qd_proc_t *p = &q->v[q->n];
    memset(p, 0, sizeof *p);
    p->type_len = cp__process_type_len(id, id_len);
    p->type = strndup(id, p->type_len);
    p->id = queued ? strndup(id, id_len) : NULL;
    p->ask = queued;
    if (!p->type || (queued && !p->id)) {
        free(p->type);
        free(p->id);
        q->oom = true;
        return;
    }
    q->n++;
}

cp__qd_t *cp__qd_new(void)
{
    cp__qd_t *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    atomic_init(&q->refs, 1);
    pthread_mutex_init(&q->mu, NULL);
    cp__processes_each(gather, q);
    if (q->oom) {
        qd_unref(q);
        return NULL;
    }
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    for (size_t i = 0; i < q->n; i++) {
        qd_proc_t *p = &q->v[i];
        if (!p->ask)
            continue;
        /* A bounded mailbox counts its events itself: no need to ask. */
        cp_upid_t pid;
        cp_mailbox_stats_t st;
        if (cp_upid_make(p->id, ip, port, &pid) == 0 && cp_mailbox_stats(&pid, &st) == 0 &&
            st.bound) {
            p->depth = st.queued;
            p->ask = false;
        }
        if (p->ask)
            q->asks++;
    }
    return q;
}

size_t cp__qd_asks(const cp__qd_t *q)
{
    return q->asks;
}

/* ---- asking ------------------------------------------------------------- */

typedef struct ask {
    atomic_uint refs;
    cp__qd_t *q;
    size_t i;
} ask_t;

static void ask_unref(void *p)
{
    ask_t *a = p;
    if (atomic_fetch_sub(&a->refs, 1) != 1)
        return;
    qd_unref(a->q);
    free(a);
}

/* Reports process i once, with its depth. */
static void report(cp__qd_t *q, size_t i, double depth)
{
    qd_proc_t *p = &q->v[i];
    pthread_mutex_lock(&q->mu);
    bool first = !p->reported;
    p->reported = true;
    if (first && !q->closed)
        p->depth = depth;
    pthread_mutex_unlock(&q->mu);
    if (first)
        q->done(q->arg);
}

static void count_one(void *arg, cp__event_type_t type, const char *name, size_t name_len)
{
    (*(uint64_t *)arg)++;
}

/* Inside the process: the events queued behind this dispatch. */
static cp_future_t *count_inside(cp_process_t *self, void *args)
{
    uint64_t *n = malloc(sizeof *n);
    if (!n)
        return cp_future_failed("out of memory");
    *n = 0;
    cp__mailbox_walk(self, count_one, n);
    return cp_future_ready(n, free);
}

static void answered(cp_future_t *f, void *arg)
{
    ask_t *a = arg;
    if (cp_future_is_ready(f))
        report(a->q, a->i, (double)*(uint64_t *)cp_future_value(f));
    else if (cp_future_is_abandoned(f))
        report(a->q, a->i, 0); /* ended: nothing waits any more */
    else
        report(a->q, a->i, 1); /* failed (out of memory): the lower bound */
}

/* The bound passed: whoever has not answered counts 1. Loop thread. */
static void bound_passed(void *arg)
{
    cp__qd_t *q = arg;
    for (size_t i = 0; i < q->n; i++)
        if (q->v[i].ask)
            report(q, i, 1);
}

void cp__qd_start(cp__qd_t *q, uint64_t bound_ns, void (*done)(void *arg), void *arg)
{
    q->done = done;
    q->arg = arg;
    if (!q->asks)
        return;
    /* The timer first: an answer may come before the loop below ends. */
    atomic_fetch_add(&q->refs, 1);
    uint64_t id;
    if (cp_timer_start(bound_ns, bound_passed, q, qd_unref, &id) == 0) {
        pthread_mutex_lock(&q->mu);
        q->has_timer = true;
        q->timer_id = id;
        pthread_mutex_unlock(&q->mu);
    }
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    for (size_t i = 0; i < q->n; i++) {
        qd_proc_t *p = &q->v[i];
        if (!p->ask)
            continue;
        cp_upid_t pid;
        ask_t *a = malloc(sizeof *a);
        cp_future_t *f = NULL;
        if (a && cp_upid_make(p->id, ip, port, &pid) == 0)
            f = cp_dispatch_future(&pid, count_inside, NULL, 0, NULL);
        if (!f) {
            free(a);
            report(q, i, 1);
            continue;
        }
        atomic_init(&a->refs, 2);
        a->q = q;
        a->i = i;
        atomic_fetch_add(&q->refs, 1);
        cp_future_on_any(f, answered, a, ask_unref);
        cp_future_on_abandoned(f, answered, a, ask_unref);
        cp_future_unref(f);
    }
}

void cp__qd_figures(cp__qd_t *q, cp__fams_t *f)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    bool cancel = q->has_timer;
    q->has_timer = false;
    uint64_t id = q->timer_id;
    /* Sum per type: the list is short per type, as runtime_figures.c's. */
    typedef struct {
        const char *type;
        double sum;
    } sum_t;
    sum_t *sums = q->n ? malloc(q->n * sizeof *sums) : NULL;
    size_t ns = 0;
    if (q->n && !sums)
        f->oom = true;
    for (size_t i = 0; sums && i < q->n; i++) {
        qd_proc_t *p = &q->v[i];
        /* Not answered yet: the lower bound, as the bound's timer would. */
        double d = p->ask && !p->reported ? 1 : p->depth;
        size_t j = 0;
        while (j < ns && strcmp(sums[j].type, p->type) != 0)
            j++;
        if (j == ns)
            sums[ns++] = (sum_t){p->type, 0};
        sums[j].sum += d;
    }
    for (size_t j = 0; j < ns; j++) {
        char name[320];
        int n = snprintf(name, sizeof name, "processes/%s/queued", sums[j].type);
        cp__fam_t *x = n > 0 && (size_t)n < sizeof name
                           ? cp__fams_add(f, name, (size_t)n,
                                          "Events waiting in the mailboxes of processes of this "
                                          "type, measured when the snapshot reached each process",
                                          CP__FAM_GAUGE)
                           : NULL;
        if (x) {
            x->has_value = true;
            x->value = sums[j].sum;
        }
    }
    pthread_mutex_unlock(&q->mu);
    free(sums);
    if (cancel)
        cp_timer_cancel(id); /* CP_ENOENT when it fired: fine */
}

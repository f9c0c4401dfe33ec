/* The metrics registry and the metrics themselves. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/counter.h"
#include "cproc/error.h"
#include "metrics/metrics_internal.h"

#define DEFAULT_CAPACITY 1000
#define MAX_NAME 255

/* The one registry of the program: an open-addressing table by name. */
static struct cp__metrics_registry {
    pthread_mutex_t mu;
    cp_metric_t **slots; /* NULL, TOMB or a metric */
    size_t cap, count, used;
} cp__metrics = {.mu = PTHREAD_MUTEX_INITIALIZER};

static cp_metric_t tomb_storage;
#define TOMB (&tomb_storage)

uint64_t cp__metrics_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The slot holding `name`, or where it would go. Under the lock. */
static size_t find_slot(const char *name, bool *found)
{
    size_t mask = cp__metrics.cap - 1, i = hash_name(name) & mask, tomb = SIZE_MAX;
    for (;;) {
        cp_metric_t *m = cp__metrics.slots[i];
        if (!m) {
            *found = false;
            return tomb != SIZE_MAX ? tomb : i;
        }
        if (m == TOMB) {
            if (tomb == SIZE_MAX)
                tomb = i;
        } else if (strcmp(m->name, name) == 0) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
}

static int grow(void)
{
    size_t cap = cp__metrics.cap ? cp__metrics.cap * 2 : 64;
    if (cp__metrics.count * 2 < cp__metrics.cap)
        cap = cp__metrics.cap; /* mostly tombstones: rehash in place */
    cp_metric_t **old = cp__metrics.slots;
    size_t old_cap = cp__metrics.cap;
    cp__metrics.slots = calloc(cap, sizeof *cp__metrics.slots);
    if (!cp__metrics.slots) {
        cp__metrics.slots = old;
        return CP_ENOMEM;
    }
    cp__metrics.cap = cap;
    cp__metrics.used = cp__metrics.count;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i] && old[i] != TOMB) {
            bool found;
            cp__metrics.slots[find_slot(old[i]->name, &found)] = old[i];
        }
    }
    free(old);
    return 0;
}

static bool name_ok(const char *name)
{
    if (!name || !*name || strlen(name) > MAX_NAME)
        return false;
    for (const char *c = name; *c; c++)
        if (*c < 0x21 || *c > 0x7e || *c == '"' || *c == '\\')
            return false;
    return true;
}

static void store(cp_metric_t *m, double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    atomic_store_explicit(&m->bits, b, memory_order_relaxed);
}

double cp__metric_load(const cp_metric_t *m)
{
    uint64_t b = atomic_load_explicit(&m->bits, memory_order_relaxed);
    double v;
    memcpy(&v, &b, sizeof v);
    cp__counter_t *sh = atomic_load_explicit(&m->shards, memory_order_acquire);
    return sh ? v + (double)cp__counter_sum(sh) : v;
}

static void metric_free(cp_metric_t *m)
{
    if (m->arg_free)
        m->arg_free(m->arg);
    pthread_mutex_destroy(&m->mu);
    free(atomic_load_explicit(&m->shards, memory_order_relaxed));
    free(m->ring);
    free(m->name);
    free(m->help);
    free(m);
}

cp_metric_t *cp_metric_ref(cp_metric_t *m)
{
    if (m)
        atomic_fetch_add(&m->refs, 1);
    return m;
}

void cp_metric_unref(cp_metric_t *m)
{
    if (m && atomic_fetch_sub(&m->refs, 1) == 1)
        metric_free(m);
}

static int metric_make(cp_metric_kind_t kind, const char *name, const cp_metric_options_t *o,
                       cp_metric_t **made)
{
    if (!name_ok(name) || (unsigned)kind > CP_METRIC_HISTOGRAM)
        return CP_EINVAL;
    if (o && o->help && strpbrk(o->help, "\r\n"))
        return CP_EINVAL;
    cp_metric_t *m = calloc(1, sizeof *m);
    if (!m)
        return CP_ENOMEM;
    atomic_init(&m->refs, 1);
    pthread_mutex_init(&m->mu, NULL);
    m->kind = kind;
    m->name = strdup(name);
    m->help = o && o->help ? strdup(o->help) : NULL;
    bool stats = kind == CP_METRIC_TIMER || kind == CP_METRIC_HISTOGRAM ||
                 (o && o->statistics && kind != CP_METRIC_PULL_GAUGE);
    if (stats) {
        m->cap = o && o->capacity ? o->capacity : DEFAULT_CAPACITY;
        m->window_ns = o ? o->window_ns : 0;
        m->ring = m->cap <= SIZE_MAX / sizeof *m->ring ? malloc(m->cap * sizeof *m->ring) : NULL;
    }
    if (!m->name || (o && o->help && !m->help) || (stats && !m->ring)) {
        metric_free(m);
        return CP_ENOMEM;
    }
    store(m, kind == CP_METRIC_PULL_GAUGE ? NAN : 0.0);
    *made = m;
    return 0;
}

static int metric_register(cp_metric_t *m, cp_metric_t **out)
{
    pthread_mutex_lock(&cp__metrics.mu);
    int rc = 0;
    if ((cp__metrics.used + 1) * 4 > cp__metrics.cap * 3)
        rc = grow();
    bool found = false;
    size_t i = rc ? 0 : find_slot(m->name, &found);
    if (!rc && found)
        rc = CP_EEXIST;
    if (!rc) {
        if (!cp__metrics.slots[i])
            cp__metrics.used++;
        cp__metrics.slots[i] = m;
        cp__metrics.count++;
        if (out)
            atomic_fetch_add(&m->refs, 1);
    }
    pthread_mutex_unlock(&cp__metrics.mu);
    if (rc) {
        m->arg_free = NULL; /* the caller's error path frees arg */
        metric_free(m);
        return rc;
    }
    if (out)
        *out = m;
    return 0;
}

int cp_metric_new(cp_metric_kind_t kind, const char *name, const cp_metric_options_t *opts,
                  cp_metric_t **out)
{
    if (kind == CP_METRIC_PULL_GAUGE)
        return CP_EINVAL;
    cp_metric_t *m;
    int rc = metric_make(kind, name, opts, &m);
    return rc ? rc : metric_register(m, out);
}

int cp_metric_pull_gauge_new(const char *name, const cp_metric_options_t *opts,
                             const cp_upid_t *pid, cp_metric_pull_fn fn, void *arg,
                             cp_free_fn arg_free, cp_metric_t **out)
{
    cp_metric_t *m = NULL;
    int rc = pid && fn ? metric_make(CP_METRIC_PULL_GAUGE, name, opts, &m) : CP_EINVAL;
    if (!rc) {
        m->pid = *pid;
        m->fn = fn;
        m->arg = arg;
        rc = metric_register(m, out);
        if (!rc)
            m->arg_free = arg_free;
    }
    if (rc && arg_free)
        arg_free(arg);
    return rc;
}

int cp_metrics_remove(const char *name)
{
    if (!name)
        return CP_ENOENT;
    pthread_mutex_lock(&cp__metrics.mu);
    bool found = false;
    size_t i = cp__metrics.cap ? find_slot(name, &found) : 0;
    cp_metric_t *m = NULL;
    if (found) {
        m = cp__metrics.slots[i];
        cp__metrics.slots[i] = TOMB;
        cp__metrics.count--;
    }
    pthread_mutex_unlock(&cp__metrics.mu);
    if (!m)
        return CP_ENOENT;
    cp_metric_unref(m);
    return 0;
}

size_t cp_metrics_count(void)
{
    pthread_mutex_lock(&cp__metrics.mu);
    size_t n = cp__metrics.count;
    pthread_mutex_unlock(&cp__metrics.mu);
    return n;
}

cp_metric_t **cp__metrics_list(size_t *n, bool *oom)
{
    *oom = false;
    pthread_mutex_lock(&cp__metrics.mu);
    size_t k = 0;
    cp_metric_t **list = cp__metrics.count ? malloc(cp__metrics.count * sizeof *list) : NULL;
    if (cp__metrics.count && !list)
        *oom = true;
    for (size_t i = 0; list && i < cp__metrics.cap; i++) {
        cp_metric_t *m = cp__metrics.slots[i];
        if (m && m != TOMB) {
            atomic_fetch_add(&m->refs, 1);
            list[k++] = m;
        }
    }
    pthread_mutex_unlock(&cp__metrics.mu);
    *n = k;
    return list;
}

/* ---- values ------------------------------------------------------------- */

static void add_sample(cp_metric_t *m, double v)
{
    if (!m->ring)
        return;
    uint64_t now = cp__metrics_now();
    pthread_mutex_lock(&m->mu);
    size_t at = (m->head + m->len) % m->cap;
    if (m->len == m->cap)
        m->head = (m->head + 1) % m->cap;
    else
        m->len++;
    m->ring[at].t = now;
    m->ring[at].v = v;
    pthread_mutex_unlock(&m->mu);
}

/* Adds delta to the value with a compare-and-swap; false when another
 * thread changed it first and `once` said not to retry. */
static bool add_bits(cp_metric_t *m, double delta, bool once, double *sum)
{
    uint64_t old = atomic_load_explicit(&m->bits, memory_order_relaxed), nb;
    double v;
    do {
        memcpy(&v, &old, sizeof v);
        v += delta;
        memcpy(&nb, &v, sizeof nb);
        if (atomic_compare_exchange_weak_explicit(&m->bits, &old, nb, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *sum = v;
            return true;
        }
    } while (!once);
    return false;
}

static void add_value(cp_metric_t *m, double delta)
{
    double v;
    add_bits(m, delta, false, &v);
    add_sample(m, v);
}

/* Whole numbers a shard adds exactly (doubles are exact up to 2^53). The
 * shards hold a total below 2^63, far beyond any count of events. */
static bool whole(double d)
{
    return d >= 0 && d <= 9007199254740992.0 && d == (double)(int64_t)d;
}

/* Makes m's shards, which it had none of a moment ago, or returns those
 * another thread made first; NULL when memory ran out. */
static cp__counter_t *make_shards(cp_metric_t *m)
{
    cp__counter_t *sh = NULL;
    cp__counter_t *made = aligned_alloc(_Alignof(cp__counter_t), sizeof *made);
    if (!made)
        return NULL;
    memset(made, 0, sizeof *made);
    if (atomic_compare_exchange_strong_explicit(&m->shards, &sh, made, memory_order_acq_rel,
                                                memory_order_acquire))
        return made;
    free(made); /* another thread made them first */
    return sh;
}

/* A counter without statistics: one compare-and-swap while no other
 * thread adds at the same time, a shard of this thread's after that (a
 * counter that every worker bumps, such as a method's `received`, would
 * otherwise move its cache line between the cores on every add). */
static void counter_add(cp_metric_t *m, double delta)
{
    double v;
    if (whole(delta)) {
        cp__counter_t *sh = atomic_load_explicit(&m->shards, memory_order_acquire);
        if (!sh && add_bits(m, delta, true, &v))
            return;
        if (sh || (sh = make_shards(m)) != NULL) {
            cp__counter_add(sh, (int64_t)delta);
            return;
        }
    }
    add_bits(m, delta, false, &v); /* a fraction, or no memory for shards */
}

void cp_metric_increment(cp_metric_t *m)
{
    cp_metric_add(m, 1.0);
}

void cp_metric_add(cp_metric_t *m, double delta)
{
    if (!m || isnan(delta))
        return;
    if (m->kind == CP_METRIC_COUNTER && delta >= 0 && !m->ring)
        counter_add(m, delta);
    else if (m->kind == CP_METRIC_GAUGE || (m->kind == CP_METRIC_COUNTER && delta >= 0))
        add_value(m, delta);
}

void cp_metric_set(cp_metric_t *m, double v)
{
    if (!m || m->kind != CP_METRIC_GAUGE)
        return;
    store(m, v);
    add_sample(m, v);
}

void cp_metric_observe(cp_metric_t *m, double v)
{
    if (!m || (m->kind != CP_METRIC_HISTOGRAM && m->kind != CP_METRIC_TIMER))
        return;
    store(m, v);
    add_sample(m, v);
}

void cp_metric_record_ns(cp_metric_t *m, uint64_t ns)
{
    if (m && m->kind == CP_METRIC_TIMER)
        cp_metric_observe(m, (double)ns / 1e6);
}

typedef struct timing {
    cp_metric_t *m;
    uint64_t start;
} timing_t;

static void timing_done(cp_future_t *f, void *arg)
{
    timing_t *t = arg;
    cp_metric_record_ns(t->m, cp__metrics_now() - t->start);
}

static void timing_free(void *arg)
{
    timing_t *t = arg;
    cp_metric_unref(t->m);
    free(t);
}

int cp_metric_time(cp_metric_t *m, cp_future_t *f)
{
    if (!m || !f || m->kind != CP_METRIC_TIMER)
        return CP_EINVAL;
    timing_t *t = malloc(sizeof *t);
    if (!t)
        return CP_ENOMEM;
    t->m = cp_metric_ref(m);
    t->start = cp__metrics_now();
    return cp_future_on_any(f, timing_done, t, timing_free);
}

bool cp__metric_sampled(cp_metric_t *m)
{
    if (!m->ring)
        return false;
    pthread_mutex_lock(&m->mu);
    bool any = m->len > 0;
    pthread_mutex_unlock(&m->mu);
    return any;
}

double cp_metric_value(cp_metric_t *m)
{
    return m ? cp__metric_load(m) : NAN;
}

/* ---- statistics ---------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* libprocess's Statistics: linear interpolation between the two ranks
 * around p * (n - 1). */
static double percentile(const double *v, size_t n, double p)
{
    double pos = p * (double)(n - 1);
    size_t lo = (size_t)pos;
    if (lo + 1 >= n)
        return v[n - 1];
    double frac = pos - (double)lo;
    return v[lo] + frac * (v[lo + 1] - v[lo]);
}

bool cp__metric_stats(cp_metric_t *m, cp__stats_t *st)
{
    if (!m->ring)
        return false;
    uint64_t now = cp__metrics_now();
    pthread_mutex_lock(&m->mu);
    double *v = m->len ? malloc(m->len * sizeof *v) : NULL;
    size_t n = 0;
    for (size_t i = 0; v && i < m->len; i++) {
        const cp__sample_t *s = &m->ring[(m->head + i) % m->cap];
        if (m->window_ns == 0 || now - s->t <= m->window_ns)
            v[n++] = s->v;
    }
    pthread_mutex_unlock(&m->mu);
    if (n == 0) {
        free(v);
        return false;
    }
    qsort(v, n, sizeof *v, cmp_double);
    st->count = n;
    st->min = v[0];
    st->max = v[n - 1];
    st->sum = 0;
    for (size_t i = 0; i < n; i++)
        st->sum += v[i];
    st->p50 = percentile(v, n, 0.5);
    st->p90 = percentile(v, n, 0.9);
    st->p95 = percentile(v, n, 0.95);
    st->p99 = percentile(v, n, 0.99);
    st->p999 = percentile(v, n, 0.999);
    free(v);
    return true;
}

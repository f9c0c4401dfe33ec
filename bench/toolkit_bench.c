/* cproc-bench-toolkit: the async primitives, subprocesses and metrics.
 * Prints one JSON object per line:
 *   {"bench": NAME, "value": NUMBER, "unit": UNIT, ...params}
 *
 * Usage: cproc-bench-toolkit [NAME...]   (no name: run them all)
 * Never run as a timed test; results are kept in docs/benchmarks.md.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cproc/cproc.h"

/* ---- queue_put_get: items through one queue, producer → consumer ---- */

typedef struct qctx {
    cp_queue_t *q;
    long items, got;
} qctx_t;

static cp_future_t *q_iterate(void *arg)
{
    return cp_queue_get(((qctx_t *)arg)->q);
}

static cp_future_t *q_body(void *item, void *arg)
{
    qctx_t *c = arg;
    return ++c->got == c->items ? cp_loop_break(NULL, NULL) : cp_loop_continue();
}

static cp_future_t *consume(cp_process_t *self, void *args)
{
    return cp_loop(q_iterate, q_body, *(qctx_t **)args, NULL);
}

static void produce(cp_process_t *self, void *args)
{
    qctx_t *c = *(qctx_t **)args;
    for (long i = 0; i < 1000; i++)
        cp_queue_put(c->q, (void *)(intptr_t)(i + 1));
}

static void bench_queue_put_get(void)
{
    long items = bench_env_long("BENCH_ITEMS", 2000000) / 1000 * 1000;
    qctx_t c = {.q = cp_queue_new(NULL), .items = items};
    qctx_t *cp = &c;
    cp_upid_t prod, cons;
    cp_process_spawn(NULL, NULL, NULL, &prod);
    cp_process_spawn(NULL, NULL, NULL, &cons);
    uint64_t start = bench_now_ns();
    cp_future_t *done = cp_dispatch_future(&cons, consume, &cp, sizeof cp, NULL);
    for (long i = 0; i < items / 1000; i++)
        cp_dispatch(&prod, produce, &cp, sizeof cp, NULL);
    cp_future_wait(done, UINT64_MAX);
    double secs = (double)(bench_now_ns() - start) / 1e9;
    printf("{\"bench\": \"queue_put_get\", \"value\": %.0f, \"unit\": \"items/s\", "
           "\"items\": %ld, \"received\": %ld}\n",
           (double)items / secs, items, c.got);
    cp_future_unref(done);
    cp_process_terminate(&prod, false);
    cp_process_terminate(&cons, false);
    cp_process_wait(&prod, CP_WAIT_FOREVER);
    cp_process_wait(&cons, CP_WAIT_FOREVER);
    cp_queue_free(c.q);
}

/* ---- mutex_lock_unlock ------------------------------------------------ */

typedef struct mctx {
    cp_mutex_t *m;
    cp_upid_t pid;
    long left;
    long *inside; /* shared counter the critical section touches */
} mctx_t;

static cp_future_t *critical(cp_process_t *self, void *value, void *arg)
{
    (*((mctx_t *)arg)->inside)++;
    return cp_future_ready(NULL, NULL);
}

static cp_future_t *m_iterate(void *arg)
{
    mctx_t *c = arg;
    return cp_mutex_run(c->m, &c->pid, critical, c, NULL);
}

static cp_future_t *m_body(void *item, void *arg)
{
    mctx_t *c = arg;
    return --c->left == 0 ? cp_loop_break(NULL, NULL) : cp_loop_continue();
}

static cp_future_t *contend(cp_process_t *self, void *args)
{
    return cp_loop(m_iterate, m_body, *(mctx_t **)args, NULL);
}

static void bench_mutex_lock_unlock(void)
{
    long n = bench_env_long("BENCH_LOCKS", 5000000);
    cp_mutex_t *m = cp_mutex_new();
    uint64_t start = bench_now_ns();
    for (long i = 0; i < n; i++) {
        cp_future_t *f = cp_mutex_lock(m);
        cp_mutex_unlock(m);
        cp_future_unref(f);
    }
    double secs = (double)(bench_now_ns() - start) / 1e9;
    printf("{\"bench\": \"mutex_lock_unlock\", \"value\": %.0f, \"unit\": \"lock+unlock/s\", "
           "\"contenders\": 1, \"locks\": %ld}\n",
           (double)n / secs, n);

    enum { P = 8 };
    long per = bench_env_long("BENCH_CONTENDED_LOCKS", 400000) / P;
    long inside = 0;
    mctx_t c[P];
    cp_future_t *done[P];
    start = bench_now_ns();
    for (int i = 0; i < P; i++) {
        c[i] = (mctx_t){.m = m, .left = per, .inside = &inside};
        cp_process_spawn(NULL, NULL, NULL, &c[i].pid);
        mctx_t *cp = &c[i];
        done[i] = cp_dispatch_future(&c[i].pid, contend, &cp, sizeof cp, NULL);
    }
    for (int i = 0; i < P; i++)
        cp_future_wait(done[i], UINT64_MAX);
    secs = (double)(bench_now_ns() - start) / 1e9;
    printf("{\"bench\": \"mutex_lock_unlock\", \"value\": %.0f, \"unit\": \"lock+unlock/s\", "
           "\"contenders\": %d, \"locks\": %ld, \"critical_sections\": %ld, \"workers\": %u}\n",
           (double)(per * P) / secs, P, per * P, inside, cp_runtime_num_workers());
    for (int i = 0; i < P; i++) {
        cp_future_unref(done[i]);
        cp_process_terminate(&c[i].pid, false);
        cp_process_wait(&c[i].pid, CP_WAIT_FOREVER);
    }
    cp_mutex_free(m);
}

/* ---- pipe_throughput: 4 KiB writes through a bounded pipe ------------- */

typedef struct pctx {
    cp_pipe_writer_t *w;
    long writes;
} pctx_t;

static void *pipe_writer(void *arg)
{
    pctx_t *c = arg;
    static char chunk[4096];
    for (long i = 0; i < c->writes; i++) {
        cp_future_t *f = cp_pipe_write(c->w, chunk, sizeof chunk);
        if (cp_future_is_pending(f))
            cp_future_wait(f, UINT64_MAX);
        cp_future_unref(f);
    }
    cp_pipe_writer_close(c->w);
    return NULL;
}

static void bench_pipe_throughput(void)
{
    long mib = bench_env_long("BENCH_PIPE_MIB", 1024);
    long bound = bench_env_long("BENCH_PIPE_BOUND", 65536);
    cp_pipe_reader_t *r;
    pctx_t c = {.writes = mib * 256};
    cp_pipe_new((size_t)bound, &r, &c.w);
    pthread_t t;
    uint64_t start = bench_now_ns();
    pthread_create(&t, NULL, pipe_writer, &c);
    uint64_t total = 0;
    for (;;) {
        cp_future_t *f = cp_pipe_read(r);
        if (cp_future_is_pending(f))
            cp_future_wait(f, UINT64_MAX);
        size_t len = ((const cp_pipe_data_t *)cp_future_value(f))->len;
        cp_future_unref(f);
        if (len == 0)
            break;
        total += len;
    }
    pthread_join(t, NULL);
    double secs = (double)(bench_now_ns() - start) / 1e9;
    printf("{\"bench\": \"pipe_throughput\", \"value\": %.0f, \"unit\": \"MB/s\", "
           "\"write_bytes\": 4096, \"bound\": %ld, \"bytes\": %llu}\n",
           (double)total / 1e6 / secs, bound, (unsigned long long)total);
    cp_pipe_reader_free(r);
    cp_pipe_writer_free(c.w);
}

/* ---- subprocess_spawn: /bin/true, spawn and reap ---------------------- */

static void bench_subprocess_spawn(void)
{
    long n = bench_env_long("BENCH_SUBPROCESSES", 2000);
    const char *argv[] = {"/bin/true", NULL};
    cp_subprocess_options_t o = {.argv = argv};
    uint64_t start = bench_now_ns();
    long ok = 0;
    for (long i = 0; i < n; i++) {
        cp_subprocess_t *sp;
        if (cp_subprocess_spawn(&o, &sp) != 0)
            continue;
        cp_future_t *f = cp_subprocess_status(sp);
        cp_future_wait(f, UINT64_MAX);
        ok += cp_future_is_ready(f) &&
              ((const cp_subprocess_exit_t *)cp_future_value(f))->exit_code == 0;
        cp_future_unref(f);
        cp_subprocess_unref(sp);
    }
    double secs = (double)(bench_now_ns() - start) / 1e9;
    printf("{\"bench\": \"subprocess_spawn\", \"value\": %.0f, \"unit\": \"spawn+exit/s\", "
           "\"spawns\": %ld, \"exited_0\": %ld}\n",
           (double)n / secs, n, ok);
}

/* ---- metrics_snapshot: 100,000 metrics --------------------------------- */

static void bench_metrics_snapshot(void)
{
    long n = bench_env_long("BENCH_METRICS", 100000);
    char name[64];
    for (long i = 0; i < n; i++) {
        snprintf(name, sizeof name, "bench/metric_%ld", i);
        cp_metric_t *m;
        cp_metric_new(CP_METRIC_COUNTER, name, NULL, &m);
        cp_metric_add(m, (double)i);
        cp_metric_unref(m);
    }
    static const char *const fmt_names[] = {"json", "prometheus"};
    for (int fmt = 0; fmt < 2; fmt++) {
        uint64_t best = UINT64_MAX;
        size_t bytes = 0;
        for (int rep = 0; rep < 5; rep++) {
            uint64_t t0 = bench_now_ns();
            cp_future_t *f = cp_metrics_snapshot(UINT64_MAX, (cp_metrics_format_t)fmt);
            cp_future_wait(f, UINT64_MAX);
            uint64_t dt = bench_now_ns() - t0;
            bytes = strlen(cp_future_value(f));
            cp_future_unref(f);
            if (dt < best)
                best = dt;
        }
        printf("{\"bench\": \"metrics_snapshot\", \"value\": %.1f, \"unit\": \"ms\", "
               "\"metrics\": %ld, \"format\": \"%s\", \"bytes\": %zu, \"of\": \"best of 5\"}\n",
               (double)best / 1e6, n, fmt_names[fmt], bytes);
    }
    for (long i = 0; i < n; i++) {
        snprintf(name, sizeof name, "bench/metric_%ld", i);
        cp_metrics_remove(name);
    }
}

static const struct {
    const char *name;
    void (*run)(void);
} benches[] = {
    {"queue_put_get", bench_queue_put_get},
    {"mutex_lock_unlock", bench_mutex_lock_unlock},
    {"pipe_throughput", bench_pipe_throughput},
    {"subprocess_spawn", bench_subprocess_spawn},
    {"metrics_snapshot", bench_metrics_snapshot},
};

int main(int argc, char **argv)
{
    const char *names[sizeof benches / sizeof benches[0]];
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
        names[i] = benches[i].name;
    bench_check_args(argc, argv, names, sizeof names / sizeof names[0]);
    int rc = cp_runtime_start(NULL);
    if (rc != 0) {
        fprintf(stderr, "cproc-bench-toolkit: cannot start the runtime: %s\n", cp_strerror(rc));
        return 1;
    }
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++) {
        int wanted = argc == 1;
        for (int a = 1; a < argc; a++)
            wanted |= strcmp(argv[a], benches[i].name) == 0;
        if (wanted) {
            benches[i].run();
            fflush(stdout);
        }
    }
    cp_runtime_stop();
    return 0;
}

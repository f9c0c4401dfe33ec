/* cproc-bench: local runtime benchmarks. Prints one JSON object per line:
 *   {"bench": NAME, "value": NUMBER, "unit": UNIT, ...params}
 *
 * Usage: cproc-bench [NAME...]   (no name: run them all)
 * Never run as a timed test; results are kept in docs/benchmarks.md.
 */
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cproc/cproc.h"

static void wait_for(cp_future_t *f)
{
    cp_future_wait(f, UINT64_MAX);
}

static cp_future_t *nothing(cp_process_t *self, void *args)
{
    return cp_future_ready(NULL, NULL);
}

/* ---- dispatch_throughput ------------------------------------------- */

/* One counter per cache line: processes on different workers must not
 * share one (the benchmark measures the runtime, not false sharing). */
typedef struct {
    _Alignas(64) uint64_t n;
} counter_t;

static void count_dispatch(cp_process_t *self, void *args)
{
    counter_t *c = cp_process_data(self);
    c->n++;
}

static void bench_dispatch_throughput(void)
{
    long procs = bench_env_long("BENCH_PROCESSES", 2 * (long)cp_runtime_num_workers());
    long total = bench_env_long("BENCH_DISPATCHES", 10000000);
    cp_upid_t *pids = calloc((size_t)procs, sizeof(*pids));
    counter_t *counts = aligned_alloc(64, (size_t)procs * sizeof(*counts));
    memset(counts, 0, (size_t)procs * sizeof(*counts));
    for (long i = 0; i < procs; i++)
        cp_process_spawn(NULL, NULL, &counts[i], &pids[i]);

    uint64_t start = bench_now_ns();
    for (long i = 0; i < total; i++)
        cp_dispatch(&pids[i % procs], count_dispatch, NULL, 0, NULL);
    /* Mailboxes are FIFO: a final dispatch per process marks the end. */
    for (long i = 0; i < procs; i++) {
        cp_future_t *f = cp_dispatch_future(&pids[i], nothing, NULL, 0, NULL);
        wait_for(f);
        cp_future_unref(f);
    }
    double secs = (double)(bench_now_ns() - start) / 1e9;
    uint64_t seen = 0;
    for (long i = 0; i < procs; i++)
        seen += counts[i].n;
    printf("{\"bench\": \"dispatch_throughput\", \"value\": %.0f, \"unit\": \"dispatches/s\", "
           "\"processes\": %ld, \"dispatches\": %ld, \"delivered\": %llu, \"workers\": %u}\n",
           (double)total / secs, procs, total, (unsigned long long)seen,
           cp_runtime_num_workers());
    for (long i = 0; i < procs; i++) {
        cp_process_terminate(&pids[i], false);
        cp_process_wait(&pids[i], CP_WAIT_FOREVER);
    }
    free(pids);
    free(counts);
}

/* ---- ping_pong_local ----------------------------------------------- */

typedef struct player {
    uint64_t received;
    uint64_t target; /* messages this player must receive */
    cp_promise_t *done;
} player_t;

static void on_ping(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    player_t *p = cp_process_data(self);
    p->received++;
    if (p->received == p->target) {
        cp_promise_set(p->done, NULL);
        return;
    }
    if (p->received < p->target)
        cp_process_send(self, msg->from, "ping", NULL, 0);
}

static void install_ping(cp_process_t *self)
{
    cp_process_install(self, "ping", on_ping, NULL, NULL);
}

static void bench_ping_pong_local(void)
{
    long pairs = bench_env_long("BENCH_PAIRS", (long)cp_runtime_num_workers());
    long in_flight = bench_env_long("BENCH_IN_FLIGHT", 1000);
    long per_pair = bench_env_long("BENCH_ROUND_TRIPS", 2000000) / pairs;
    long n = 2 * pairs;
    player_t *players = calloc((size_t)n, sizeof(*players));
    cp_upid_t *pids = calloc((size_t)n, sizeof(*pids));
    cp_future_t **done = calloc((size_t)n, sizeof(*done));
    static const cp_process_ops_t ops = {.initialize = install_ping};
    for (long i = 0; i < n; i++) {
        /* The second of a pair counts the round trips and stops the flow
         * (a message it does not answer dies); the first always answers. */
        players[i].target = i % 2 == 1 ? (uint64_t)per_pair : UINT64_MAX;
        players[i].done = cp_promise_new(NULL);
        done[i] = cp_promise_future(players[i].done);
        cp_process_spawn(NULL, &ops, &players[i], &pids[i]);
    }
    uint64_t start = bench_now_ns();
    for (long pair = 0; pair < pairs; pair++)
        for (long k = 0; k < in_flight; k++)
            cp_send(&pids[2 * pair], &pids[2 * pair + 1], "ping", NULL, 0);
    for (long i = 1; i < n; i += 2)
        wait_for(done[i]);
    double secs = (double)(bench_now_ns() - start) / 1e9;
    double round_trips = (double)per_pair * (double)pairs;
    printf("{\"bench\": \"ping_pong_local\", \"value\": %.0f, \"unit\": \"round_trips/s\", "
           "\"pairs\": %ld, \"in_flight\": %ld, \"round_trips\": %.0f, \"workers\": %u}\n",
           round_trips / secs, pairs, in_flight, round_trips, cp_runtime_num_workers());
    for (long i = 0; i < n; i++) {
        cp_process_terminate(&pids[i], false);
        cp_process_wait(&pids[i], CP_WAIT_FOREVER);
        cp_future_unref(done[i]);
        cp_promise_free(players[i].done);
    }
    free(players);
    free(pids);
    free(done);
}

/* ---- throughput_performance ------------------------------------------ */

/* libprocess's Process_BENCHMARK_ThroughputPerformance, message for
 * message: as many client/destination pairs as workers; "run" makes a
 * client send min(1000, repeat) pings; a destination answers each ping
 * with a pong; a client answers each pong with a ping until it has sent
 * its share, and counts the latch down once it has all its pongs. The
 * latch starts at the number of clients (libprocess starts it one lower,
 * which stops the clock when all but one client are done). */
typedef struct tp_latch {
    _Atomic long count;
    cp_promise_t *done;
} tp_latch_t;

/* Each client's state on cache lines of its own, as libprocess's client
 * processes are separate objects: in one array, one client's counters
 * share a line with the next client's destination pid. */
typedef struct tp_client {
    _Alignas(64) cp_upid_t destination;
    tp_latch_t *latch;
    long repeat;
    long sent;
    long received;
} tp_client_t;

static void tp_destination_ping(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    cp_process_send(self, msg->from, "pong", NULL, 0);
}

static void tp_destination_init(cp_process_t *self)
{
    cp_process_install(self, "ping", tp_destination_ping, NULL, NULL);
}

static void tp_client_pong(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    tp_client_t *c = cp_process_data(self);
    c->received += 1;
    if (c->sent < c->repeat) {
        cp_process_send(self, &c->destination, "ping", NULL, 0);
        c->sent += 1;
    } else if (c->received >= c->repeat) {
        if (atomic_fetch_sub(&c->latch->count, 1) == 1)
            cp_promise_set(c->latch->done, NULL);
    }
}

static void tp_client_run(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    tp_client_t *c = cp_process_data(self);
    for (long l = 0; l < (c->repeat < 1000 ? c->repeat : 1000); l++) {
        cp_process_send(self, &c->destination, "ping", NULL, 0);
        c->sent += 1;
    }
}

static void tp_client_init(cp_process_t *self)
{
    cp_process_install(self, "pong", tp_client_pong, NULL, NULL);
    cp_process_install(self, "run", tp_client_run, NULL, NULL);
}

static void bench_throughput_performance(void)
{
    long clients = bench_env_long("BENCH_CLIENTS", (long)cp_runtime_num_workers());
    long repeat = bench_env_long("BENCH_ROUND_TRIPS", 30000L * 500L);
    long per_client = repeat / clients;
    static const cp_process_ops_t client_ops = {.initialize = tp_client_init};
    static const cp_process_ops_t destination_ops = {.initialize = tp_destination_init};
    tp_latch_t latch = {.done = cp_promise_new(NULL)};
    atomic_init(&latch.count, clients);
    cp_future_t *done = cp_promise_future(latch.done);
    tp_client_t *state = aligned_alloc(64, (size_t)clients * sizeof(*state));
    memset(state, 0, (size_t)clients * sizeof(*state));
    cp_upid_t *cpids = calloc((size_t)clients, sizeof(*cpids));
    cp_upid_t *dpids = calloc((size_t)clients, sizeof(*dpids));
    for (long i = 0; i < clients; i++) {
        cp_process_spawn(NULL, &destination_ops, NULL, &dpids[i]);
        state[i].destination = dpids[i];
        state[i].latch = &latch;
        state[i].repeat = per_client;
        cp_process_spawn(NULL, &client_ops, &state[i], &cpids[i]);
    }
    uint64_t start = bench_now_ns();
    for (long i = 0; i < clients; i++)
        cp_send(NULL, &cpids[i], "run", NULL, 0);
    wait_for(done);
    double secs = (double)(bench_now_ns() - start) / 1e9;
    printf("{\"bench\": \"throughput_performance\", \"value\": %.0f, \"unit\": \"round_trips/s\", "
           "\"clients\": %ld, \"round_trips\": %ld, \"seconds\": %.3f, \"workers\": %u}\n",
           (double)repeat / secs, clients, repeat, secs, cp_runtime_num_workers());
    for (long i = 0; i < clients; i++) {
        cp_process_terminate(&cpids[i], false);
        cp_process_wait(&cpids[i], CP_WAIT_FOREVER);
    }
    for (long i = 0; i < clients; i++) {
        cp_process_terminate(&dpids[i], false);
        cp_process_wait(&dpids[i], CP_WAIT_FOREVER);
    }
    cp_future_unref(done);
    cp_promise_free(latch.done);
    free(state);
    free(cpids);
    free(dpids);
}

/* ---- dispatch_future_latency --------------------------------------- */

static void bench_dispatch_future_latency(void)
{
    long rounds = bench_env_long("BENCH_ROUNDS", 200000);
    cp_upid_t pid;
    cp_process_spawn(NULL, NULL, NULL, &pid);
    uint64_t *lat = malloc((size_t)rounds * sizeof(*lat));
    for (long i = 0; i < rounds; i++) {
        uint64_t t0 = bench_now_ns();
        cp_future_t *f = cp_dispatch_future(&pid, nothing, NULL, 0, NULL);
        wait_for(f);
        lat[i] = bench_now_ns() - t0;
        cp_future_unref(f);
    }
    qsort(lat, (size_t)rounds, sizeof(*lat), bench_cmp_u64);
    printf("{\"bench\": \"dispatch_future_latency\", \"value\": %llu, \"unit\": \"ns\", "
           "\"stat\": \"p50\", \"p99_ns\": %llu, \"rounds\": %ld}\n",
           (unsigned long long)lat[rounds / 2], (unsigned long long)lat[rounds * 99 / 100],
           rounds);
    cp_process_terminate(&pid, false);
    cp_process_wait(&pid, CP_WAIT_FOREVER);
    free(lat);
}

/* ---- spawn_terminate ------------------------------------------------ */

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static void bench_spawn_terminate(void)
{
    long n = bench_env_long("BENCH_SPAWNS", 1000000);
    cp_upid_t *pids = malloc((size_t)n * sizeof(*pids));
    /* The benchmark's own array of 272-byte UPIDs (272 MB for a million)
     * is touched before the clock starts: its first-touch page faults are
     * not the runtime's cost. */
    memset(pids, 0, (size_t)n * sizeof(*pids));
    size_t before = heap_in_use();
    uint64_t start = bench_now_ns();
    long spawned = 0;
    for (long i = 0; i < n; i++)
        if (cp_process_spawn(NULL, NULL, NULL, &pids[spawned]) == 0)
            spawned++;
    /* Every process has run its (empty) initialize once it answers. */
    for (long i = 0; i < spawned; i += spawned / 16 + 1) {
        cp_future_t *f = cp_dispatch_future(&pids[i], nothing, NULL, 0, NULL);
        wait_for(f);
        cp_future_unref(f);
    }
    double spawn_secs = (double)(bench_now_ns() - start) / 1e9;
    size_t after = heap_in_use();
    start = bench_now_ns();
    for (long i = 0; i < spawned; i++)
        cp_process_terminate(&pids[i], false);
    for (long i = 0; i < spawned; i++)
        cp_process_wait(&pids[i], CP_WAIT_FOREVER);
    double term_secs = (double)(bench_now_ns() - start) / 1e9;
    printf("{\"bench\": \"spawn_terminate\", \"value\": %.0f, \"unit\": \"spawns/s\", "
           "\"processes\": %ld, \"spawn_seconds\": %.3f, \"terminates_per_s\": %.0f, "
           "\"bytes_per_idle_process\": %.0f}\n",
           (double)spawned / spawn_secs, spawned, spawn_secs, (double)spawned / term_secs,
           (double)(after - before) / (double)spawned);
    free(pids);
}

static const struct {
    const char *name;
    void (*run)(void);
} benches[] = {
    {"dispatch_throughput", bench_dispatch_throughput},
    {"ping_pong_local", bench_ping_pong_local},
    {"throughput_performance", bench_throughput_performance},
    {"dispatch_future_latency", bench_dispatch_future_latency},
    {"spawn_terminate", bench_spawn_terminate},
};

int main(int argc, char **argv)
{
    const char *names[sizeof benches / sizeof benches[0]];
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
        names[i] = benches[i].name;
    bench_check_args(argc, argv, names, sizeof names / sizeof names[0]);
    int rc = cp_runtime_start(NULL);
    if (rc != 0) {
        fprintf(stderr, "cproc-bench: cannot start the runtime: %s\n", cp_strerror(rc));
        return 1;
    }
    size_t n = sizeof(benches) / sizeof(benches[0]);
    for (size_t i = 0; i < n; i++) {
        bool wanted = argc == 1;
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

/* cproc-bench-rpc: typed calls (the stubs cproc-gen emits) per second.
 * Prints one JSON object per line:
 *   rpc_local    calls to actors in this runtime, no serialization
 *                (BENCH_CALLS, default 2,000,000; BENCH_IN_FLIGHT, 256;
 *                BENCH_SERVERS, 2)
 *   rpc_remote   calls to an actor in a forked node over 127.0.0.1, with 1
 *                and with 64 in flight (BENCH_REMOTE_CALLS, 500,000 at 64;
 *                a tenth of it, at least 20,000, one at a time); then the
 *                same to an actor with `option loop_turns = true` (EchoLoop
 *                in rpc.actor), whose requests run on the server node's
 *                event-loop thread: lines with "loop_turns": true
 * Usage: cproc-bench-rpc [rpc_local] [rpc_remote]
 *
 * The driver keeps N calls in flight, spread over the servers: each
 * completion (a callback on the thread that completes the call) starts the
 * next call to the same server. Every call has the default deadline and is
 * measured from cp_call to completion. Each server's share keeps its own
 * counters and timestamps, so the driver's bookkeeping shares no cache
 * line between the workers.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "rpc.actor.h"

/* ---- the server ------------------------------------------------------ */

static Bench__Res response = BENCH__RES__INIT;

static Bench__Res_Future echo_call(cp_process_t *self, void *state, const cp_upid_t *caller,
                                   const Bench__Req *request)
{
    /* A shared, read-only response: nothing to allocate or free. */
    return bench__res__future_ready(&response, NULL);
}

static const Bench__Echo_Handlers handlers = {.call = echo_call};
static const Bench__EchoLoop_Handlers loop_handlers = {.call = echo_call};

/* ---- the driver ------------------------------------------------------ */

#define MAX_SERVERS 8

/* One server's share of the calls: its own counters and its own slice of
 * the timestamps, on cache lines of their own, so that the completions on
 * one worker do not write lines the other worker's completions write. */
typedef struct share {
    _Alignas(128) Bench__Echo_Pid server;
    uint64_t base, total; /* its calls are numbered base .. base + total - 1 */
    _Atomic uint64_t issued, completed, failed;
} share_t;

typedef struct driver {
    share_t share[MAX_SERVERS];
    unsigned servers;
    bool loop_turns; /* the servers are EchoLoop actors */
    _Alignas(128) _Atomic unsigned finished_shares;
    uint64_t *sent_at, *rtt;
    cp_promise_t *finished;
} driver_t;

static driver_t *D;
static Bench__Req request = BENCH__REQ__INIT;

static void keep(void *request_unused)
{
    (void)request_unused; /* the request is static: handed over, never freed */
}

static void issue(share_t *s);

/* arg: the call's number times MAX_SERVERS plus its share's index. */
static void completed(cp_future_t *f, void *arg)
{
    uint64_t seq = (uint64_t)(uintptr_t)arg / MAX_SERVERS;
    share_t *s = &D->share[(uintptr_t)arg % MAX_SERVERS];
    if (!cp_future_is_ready(f))
        atomic_fetch_add(&s->failed, 1);
    D->rtt[seq] = bench_now_ns() - D->sent_at[seq];
    if (atomic_fetch_add_explicit(&s->completed, 1, memory_order_relaxed) + 1 < s->total)
        issue(s);
    else if (atomic_fetch_add(&D->finished_shares, 1) + 1 == D->servers)
        cp_promise_set(D->finished, NULL);
}

/* Starts the share's next call; its completion starts another, so each
 * server keeps its part of the calls in flight. */
static void issue(share_t *s)
{
    uint64_t n = atomic_fetch_add_explicit(&s->issued, 1, memory_order_relaxed);
    if (n >= s->total)
        return;
    uint64_t seq = s->base + n;
    D->sent_at[seq] = bench_now_ns();
    Bench__Res_Future f =
        D->loop_turns
            ? bench__echo_loop__call(bench__echo_loop__pid(s->server.upid), &request, keep, NULL)
            : bench__echo__call(s->server, &request, keep, NULL);
    cp_future_on_any(f.future, completed, (void *)(uintptr_t)(seq * MAX_SERVERS + (s - D->share)),
                     NULL);
    bench__res__future_unref(f);
}

static void run(const char *name, const Bench__Echo_Pid *servers, unsigned n, uint64_t total,
                uint64_t in_flight, bool loop_turns)
{
    driver_t *d = aligned_alloc(128, sizeof *d);
    memset(d, 0, sizeof *d);
    d->servers = n;
    d->loop_turns = loop_turns;
    uint64_t base = 0;
    for (unsigned i = 0; i < n; i++) {
        share_t *s = &d->share[i];
        s->server = servers[i];
        s->base = base;
        s->total = total / n + (i < total % n);
        base += s->total;
    }
    d->sent_at = calloc(total, sizeof(uint64_t));
    d->rtt = calloc(total, sizeof(uint64_t));
    d->finished = cp_promise_new(NULL);
    cp_future_t *done = cp_promise_future(d->finished);
    D = d;
    uint64_t start = bench_now_ns();
    for (uint64_t i = 0; i < in_flight && i < total; i++)
        issue(&d->share[i % n]);
    if (!cp_future_wait(done, 120 * CP_NS_PER_SEC)) {
        fprintf(stderr, "%s: did not finish\n", name);
        exit(1);
    }
    double secs = (double)(bench_now_ns() - start) / 1e9;
    uint64_t failed = 0;
    for (unsigned i = 0; i < n; i++)
        failed += atomic_load(&d->share[i].failed);
    qsort(d->rtt, total, sizeof(uint64_t), bench_cmp_u64);
    printf("{\"bench\": \"%s\", \"value\": %.0f, \"unit\": \"calls/s\", \"calls\": %llu, "
           "\"servers\": %u, \"in_flight\": %llu, \"p50_us\": %.1f, \"p99_us\": %.1f, "
           "\"failed\": %llu, \"loop_turns\": %s}\n",
           name, (double)total / secs, (unsigned long long)total, n,
           (unsigned long long)in_flight, (double)d->rtt[total / 2] / 1e3,
           (double)d->rtt[total * 99 / 100] / 1e3, (unsigned long long)failed,
           loop_turns ? "true" : "false");
    fflush(stdout);
    cp_future_unref(done);
    cp_promise_free(d->finished);
    free(d->sent_at);
    free(d->rtt);
    free(d);
}

/* BENCH_SERVERS servers (default 2: one per worker, as libprocess's
 * ThroughputPerformance runs one pair per core), each with its share of
 * the calls in flight. */
static void bench_rpc_local(void)
{
    Bench__Echo_Pid servers[MAX_SERVERS];
    long n = bench_env_long("BENCH_SERVERS", 2);
    unsigned count = n < 1 ? 1 : n > MAX_SERVERS ? MAX_SERVERS : (unsigned)n;
    for (unsigned i = 0; i < count; i++)
        if (bench__echo__spawn(NULL, &handlers, NULL, NULL, &servers[i]) != 0)
            exit(1);
    run("rpc_local", servers, count, (uint64_t)bench_env_long("BENCH_CALLS", 2000000),
        (uint64_t)bench_env_long("BENCH_IN_FLIGHT", 256), false);
    for (unsigned i = 0; i < count; i++) {
        cp_process_terminate(&servers[i].upid, false);
        cp_process_wait(&servers[i].upid, CP_WAIT_FOREVER);
    }
}

/* The server node, with an Echo and an EchoLoop: runs until the parent
 * closes the pipe. */
static int server_main(int report_fd, int quit_fd)
{
    setenv("LIBPROCESS_IP", "127.0.0.1", 1);
    setenv("LIBPROCESS_PORT", "0", 1);
    if (cp_runtime_start(NULL) != 0)
        return 1;
    Bench__Echo_Pid server;
    Bench__EchoLoop_Pid server_loop;
    if (bench__echo__spawn("echo", &handlers, NULL, NULL, &server) != 0 ||
        bench__echo_loop__spawn("echo_loop", &loop_handlers, NULL, NULL, &server_loop) != 0)
        return 1;
    if (write(report_fd, &server, sizeof(server)) != sizeof(server) ||
        write(report_fd, &server_loop, sizeof(server_loop)) != sizeof(server_loop))
        return 1;
    char c;
    while (read(quit_fd, &c, 1) > 0)
        ;
    cp_runtime_stop();
    return 0;
}

typedef struct node {
    pid_t child;
    int quit_fd;
    Bench__Echo_Pid server;
    Bench__Echo_Pid server_loop; /* an EchoLoop's pid, as the driver keeps it */
} node_t;

/* Forks the server node; before the parent starts any thread. */
static void node_fork(node_t *n)
{
    int report[2], quit[2];
    if (pipe(report) != 0 || pipe(quit) != 0)
        exit(1);
    n->child = fork();
    if (n->child == 0) {
        close(report[0]);
        close(quit[1]);
        _exit(server_main(report[1], quit[0]));
    }
    close(report[1]);
    close(quit[0]);
    n->quit_fd = quit[1];
    Bench__EchoLoop_Pid loop;
    if (read(report[0], &n->server, sizeof(n->server)) != sizeof(n->server) ||
        read(report[0], &loop, sizeof(loop)) != sizeof(loop)) {
        fprintf(stderr, "rpc_remote: the server node did not start\n");
        exit(1);
    }
    close(report[0]);
    n->server_loop.upid = loop.upid;
}

static void bench_rpc_remote(node_t *n)
{
    uint64_t total = (uint64_t)bench_env_long("BENCH_REMOTE_CALLS", 500000);
    uint64_t one = total / 10 > 20000 ? total / 10 : 20000;
    run("rpc_remote", &n->server, 1, one, 1, false);
    run("rpc_remote", &n->server, 1, total, 64, false);
    run("rpc_remote", &n->server_loop, 1, one, 1, true);
    run("rpc_remote", &n->server_loop, 1, total, 64, true);
    close(n->quit_fd);
    waitpid(n->child, NULL, 0);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    static const char *const names[] = {"rpc_local", "rpc_remote"};
    bench_check_args(argc, argv, names, sizeof names / sizeof names[0]);
    bool all = argc < 2;
    bool remote = all, local = all;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "rpc_local") == 0) {
            local = true;
        } else {
            remote = true; /* rpc_remote: bench_check_args took the rest */
        }
    }
    node_t node;
    if (remote)
        node_fork(&node);
    setenv("LIBPROCESS_IP", "127.0.0.1", 1);
    setenv("LIBPROCESS_PORT", "0", 1);
    if (cp_runtime_start(NULL) != 0)
        return 1;
    if (local)
        bench_rpc_local();
    if (remote)
        bench_rpc_remote(&node);
    cp_runtime_stop();
    return 0;
}

/* cproc-bench-remote: messages between two OS processes over loopback.
 * Prints one JSON object per line, like cproc-bench:
 *   remote_throughput   one-way 100-byte messages/s over one connection
 *   remote_ping_pong    round trips/s and p50/p99 latency, 1 and 64 in flight,
 *                       after raw_tcp_ping_pong (the floor: plain TCP, same body)
 *
 * Usage: cproc-bench-remote [NAME...]
 * The program forks a peer node (a sink that counts and an echo that
 * answers) on 127.0.0.1, then measures from the parent node.
 */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "tcp_floor.h"
#include "cproc/cproc.h"

/* ---- the peer node -------------------------------------------------- */

typedef struct sink {
    uint64_t received, expected;
} sink_t;

/* "bench.expect" carries the count to wait for (8 bytes); "bench.data" is
 * counted; when the count is reached the sink answers "bench.done". */
static void sink_expect(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    sink_t *s = cp_process_data(self);
    s->received = 0;
    memcpy(&s->expected, msg->body, sizeof(s->expected));
}

static void sink_data(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    sink_t *s = cp_process_data(self);
    if (++s->received == s->expected)
        cp_process_send(self, msg->from, "bench.done", NULL, 0);
}

static void sink_init(cp_process_t *self)
{
    cp_process_install(self, "bench.expect", sink_expect, NULL, NULL);
    cp_process_install(self, "bench.data", sink_data, NULL, NULL);
}

static void echo_ping(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    cp_process_send(self, msg->from, "bench.pong", msg->body, msg->len);
}

static void echo_init(cp_process_t *self)
{
    cp_process_install(self, "bench.ping", echo_ping, NULL, NULL);
}

/* The same echo, with its turns on the event-loop thread. */
static void echo_loop_init(cp_process_t *self)
{
    echo_init(self);
    cp_process_set_loop_turns(self, true);
}

/* Runs the peer until the parent closes the pipe. */
static int peer_main(int report_fd, int quit_fd)
{
    setenv("LIBPROCESS_IP", "127.0.0.1", 1);
    setenv("LIBPROCESS_PORT", "0", 1);
    if (cp_runtime_start(NULL) != 0)
        return 1;
    static const cp_process_ops_t sink_ops = {.initialize = sink_init};
    static const cp_process_ops_t echo_ops = {.initialize = echo_init};
    static const cp_process_ops_t echo_loop_ops = {.initialize = echo_loop_init};
    sink_t *sink = calloc(1, sizeof(*sink));
    cp_process_spawn("sink", &sink_ops, sink, NULL);
    cp_process_spawn("echo", &echo_ops, NULL, NULL);
    cp_process_spawn("echo_loop", &echo_loop_ops, NULL, NULL);
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    if (write(report_fd, &port, sizeof(port)) != sizeof(port))
        return 1;
    char c;
    while (read(quit_fd, &c, 1) > 0)
        ;
    cp_runtime_stop();
    free(sink);
    return 0;
}

/* ---- the measuring node -------------------------------------------- */

typedef struct pinger {
    cp_upid_t echo;
    uint64_t count, window, sent, received;
    uint64_t *sent_at, *rtt;
    char body[100];
    cp_promise_t *done;
    bool loop_turns;
} pinger_t;

static void pinger_send(cp_process_t *self, pinger_t *p)
{
    memcpy(p->body, &p->sent, sizeof(p->sent));
    p->sent_at[p->sent++] = bench_now_ns();
    cp_process_send(self, &p->echo, "bench.ping", p->body, sizeof(p->body));
}

static void pinger_pong(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    pinger_t *p = cp_process_data(self);
    uint64_t seq;
    memcpy(&seq, msg->body, sizeof(seq));
    p->rtt[p->received++] = bench_now_ns() - p->sent_at[seq];
    if (p->sent < p->count)
        pinger_send(self, p);
    else if (p->received == p->count)
        cp_promise_set(p->done, NULL);
}

static void pinger_init(cp_process_t *self)
{
    pinger_t *p = cp_process_data(self);
    cp_process_install(self, "bench.pong", pinger_pong, NULL, NULL);
    cp_process_set_loop_turns(self, p->loop_turns);
    while (p->sent < p->window && p->sent < p->count)
        pinger_send(self, p);
}

/* With loop_turns, both ends (the pinger here, `echo_loop` at the peer)
 * run their turns on their node's event-loop thread. */
static void bench_ping_pong(const cp_upid_t *echo, uint64_t window, uint64_t count, bool loop_turns)
{
    pinger_t *p = calloc(1, sizeof(*p));
    p->loop_turns = loop_turns;
    p->echo = *echo;
    p->count = count;
    p->window = window;
    p->sent_at = calloc(count, sizeof(uint64_t));
    p->rtt = calloc(count, sizeof(uint64_t));
    p->done = cp_promise_new(NULL);
    cp_future_t *done = cp_promise_future(p->done);
    static const cp_process_ops_t ops = {.initialize = pinger_init};
    uint64_t start = bench_now_ns();
    cp_upid_t pid;
    cp_process_spawn(NULL, &ops, p, &pid);
    if (!cp_future_wait(done, 60 * CP_NS_PER_SEC)) {
        fprintf(stderr, "remote_ping_pong: no answer from the peer\n");
        exit(1);
    }
    double secs = (double)(bench_now_ns() - start) / 1e9;
    qsort(p->rtt, count, sizeof(uint64_t), bench_cmp_u64);
    printf("{\"bench\": \"remote_ping_pong\", \"value\": %.0f, \"unit\": \"round_trips/s\", "
           "\"in_flight\": %llu, \"p50_us\": %.1f, \"p99_us\": %.1f, \"round_trips\": %llu, "
           "\"body_bytes\": 100, \"loop_turns\": %s}\n",
           (double)count / secs, (unsigned long long)window, (double)p->rtt[count / 2] / 1e3,
           (double)p->rtt[count * 99 / 100] / 1e3, (unsigned long long)count,
           loop_turns ? "true" : "false");
    fflush(stdout);
    cp_process_terminate(&pid, false);
    cp_process_wait(&pid, CP_WAIT_FOREVER);
    cp_future_unref(done);
    cp_promise_free(p->done);
    free(p->sent_at);
    free(p->rtt);
    free(p);
}

static void source_done(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    cp_promise_set(cp_process_data(self), NULL);
}

static void source_init(cp_process_t *self)
{
    cp_process_install(self, "bench.done", source_done, NULL, NULL);
}

static void bench_throughput(const cp_upid_t *sink, uint64_t count)
{
    cp_promise_t *done = cp_promise_new(NULL);
    cp_future_t *finished = cp_promise_future(done);
    static const cp_process_ops_t ops = {.initialize = source_init};
    cp_upid_t source;
    cp_process_spawn(NULL, &ops, done, &source);
    cp_send(&source, sink, "bench.expect", &count, sizeof(count));
    char body[100];
    memset(body, 'x', sizeof(body));
    uint64_t start = bench_now_ns();
    for (uint64_t i = 0; i < count; i++) {
        /* A full peer queue (CPROC_MAX_PEER_QUEUE_BYTES) refuses the
         * message: wait for the loop to drain it and try again. */
        while (cp_send(&source, sink, "bench.data", body, sizeof(body)) == CP_EFULL)
            sched_yield();
    }
    if (!cp_future_wait(finished, 120 * CP_NS_PER_SEC)) {
        fprintf(stderr, "remote_throughput: the sink did not get every message\n");
        exit(1);
    }
    double secs = (double)(bench_now_ns() - start) / 1e9;
    printf("{\"bench\": \"remote_throughput\", \"value\": %.0f, \"unit\": \"messages/s\", "
           "\"messages\": %llu, \"body_bytes\": 100, \"connections\": 1}\n",
           (double)count / secs, (unsigned long long)count);
    fflush(stdout);
    cp_process_terminate(&source, false);
    cp_process_wait(&source, CP_WAIT_FOREVER);
    cp_future_unref(finished);
    cp_promise_free(done);
}

static bool wanted(int argc, char **argv, const char *name)
{
    if (argc == 1)
        return true;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"remote_throughput", "remote_ping_pong",
                                        "remote_ping_pong_loop"};
    bench_check_args(argc, argv, names, sizeof names / sizeof names[0]);
    int report[2], quit[2];
    if (pipe(report) != 0 || pipe(quit) != 0)
        return 1;
    pid_t child = fork();
    if (child == 0) {
        close(report[0]);
        close(quit[1]);
        _exit(peer_main(report[1], quit[0]));
    }
    close(report[1]);
    close(quit[0]);
    uint16_t port;
    if (read(report[0], &port, sizeof(port)) != sizeof(port)) {
        fprintf(stderr, "cproc-bench-remote: the peer node did not start\n");
        return 1;
    }

    setenv("LIBPROCESS_IP", "127.0.0.1", 1);
    setenv("LIBPROCESS_PORT", "0", 1);
    if (cp_runtime_start(NULL) != 0)
        return 1;
    cp_upid_t sink, echo, echo_loop;
    cp_upid_make("sink", 0x7f000001u, port, &sink);
    cp_upid_make("echo", 0x7f000001u, port, &echo);
    cp_upid_make("echo_loop", 0x7f000001u, port, &echo_loop);

    if (wanted(argc, argv, "remote_throughput"))
        bench_throughput(&sink, (uint64_t)bench_env_long("BENCH_MESSAGES", 2000000));
    /* remote_ping_pong_loop: the same with loop turns at both ends. */
    bool workers = wanted(argc, argv, "remote_ping_pong");
    bool loop = wanted(argc, argv, "remote_ping_pong_loop");
    if (workers || loop) {
        uint64_t n1 = (uint64_t)bench_env_long("BENCH_ROUND_TRIPS_1", 20000);
        uint64_t n64 = (uint64_t)bench_env_long("BENCH_ROUND_TRIPS_64", 1000000);
        /* The floor, measured in the same run: raw TCP, same body size. */
        bench_tcp_floor(100, n1);
        if (workers) {
            bench_ping_pong(&echo, 1, n1, false);
            bench_ping_pong(&echo, 64, n64, false);
        }
        if (loop) {
            bench_ping_pong(&echo_loop, 1, n1, true);
            bench_ping_pong(&echo_loop, 64, n64, true);
        }
    }

    cp_runtime_stop();
    close(quit[1]);
    int status;
    waitpid(child, &status, 0);
    return 0;
}

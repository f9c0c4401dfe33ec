/* ping: sends pingpong.Ping messages to a pong, keeps a window of them in
 * flight, checks that every Pong comes back once and in order, and prints
 * a JSON summary with round trips per second and latency percentiles.
 *
 *   ping --to pong@127.0.0.1:5050 [--count N] [--size B] [--window W]
 *        [--ip IP] [--port PORT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pingpong.actor.h"

typedef struct ping_state {
    Pingpong__Ponger_Pid pong;
    uint64_t count, window, sent, received, out_of_order;
    uint8_t *payload;
    size_t size;
    uint64_t *sent_at; /* per seq, ns */
    uint64_t *rtt;     /* per seq, ns */
    cp_promise_t *done;
} ping_state_t;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void send_next(cp_process_t *self, ping_state_t *s)
{
    Pingpong__Ping ping = PINGPONG__PING__INIT;
    ping.seq = s->sent;
    ping.payload.data = s->payload;
    ping.payload.len = s->size;
    s->sent_at[s->sent] = now_ns();
    s->sent++;
    int rc = pingpong__ponger__send_ping(s->pong, &ping, NULL);
    if (rc != 0)
        cp_promise_fail(s->done, "send failed: %s", cp_strerror(rc));
}

static void start(cp_process_t *self, void *state)
{
    ping_state_t *s = state;
    /* Hear about it if pong dies or its connection breaks. */
    cp_process_link(self, &s->pong.upid);
    while (s->sent < s->count && s->sent < s->window)
        send_next(self, s);
}

static void on_pong(cp_process_t *self, void *state, const cp_upid_t *from,
                    const Pingpong__Pong *pong)
{
    ping_state_t *s = state;
    if (pong->seq != s->received || pong->payload.len != s->size)
        s->out_of_order++;
    if (pong->seq < s->count)
        s->rtt[pong->seq] = now_ns() - s->sent_at[pong->seq];
    /* main() watches progress from another thread. */
    __atomic_store_n(&s->received, s->received + 1, __ATOMIC_RELAXED);
    if (s->sent < s->count)
        send_next(self, s);
    if (s->received == s->count)
        cp_promise_set(s->done, NULL);
}

static void pong_exited(cp_process_t *self, void *state, const cp_upid_t *pid)
{
    ping_state_t *s = state;
    cp_promise_fail(s->done, "pong went away after %llu of %llu pongs",
                    (unsigned long long)s->received, (unsigned long long)s->count);
}

static const Pingpong__Pinger_Handlers handlers = {
    .initialize = start,
    .exited = pong_exited,
    .on_pong = on_pong,
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void usage(void)
{
    fprintf(stderr, "usage: ping --to PONG_UPID [--count N] [--size B] [--window W] "
                    "[--ip IP] [--port PORT]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *to = NULL;
    unsigned long long count = 100000, size = 64, window = 64;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--to") == 0)
            to = argv[++i];
        else if (strcmp(argv[i], "--count") == 0)
            count = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--size") == 0)
            size = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--window") == 0)
            window = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--ip") == 0)
            setenv("LIBPROCESS_IP", argv[++i], 1);
        else if (strcmp(argv[i], "--port") == 0)
            setenv("LIBPROCESS_PORT", argv[++i], 1);
        else
            usage();
    }
    if (to == NULL || count == 0 || window == 0 || size > 64u * 1024 * 1024)
        usage();
    /* Without --ip the node listens on 127.0.0.1 (the runtime's default). */

    cp_upid_t pong;
    if (cp_upid_parse(to, &pong) != 0) {
        fprintf(stderr, "ping: '%s' is not a UPID (id@ip:port)\n", to);
        return 2;
    }
    int rc = cp_runtime_start(NULL);
    if (rc != 0) {
        /* The runtime logged the sentence already, unless its log is off. */
        if (!cp_log_enabled(CP_LOG_ERROR))
            fprintf(stderr, "ping: cannot start: %s\n", cp_runtime_start_error());
        return 1;
    }

    ping_state_t *s = calloc(1, sizeof(*s));
    s->pong = pingpong__ponger__pid(pong);
    s->count = count;
    s->window = window;
    s->size = size;
    s->payload = calloc(1, size + 1);
    s->sent_at = calloc(count, sizeof(uint64_t));
    s->rtt = calloc(count, sizeof(uint64_t));
    s->done = cp_promise_new(NULL);
    cp_future_t *done = cp_promise_future(s->done);
    if (s->payload == NULL || s->sent_at == NULL || s->rtt == NULL) {
        fprintf(stderr, "ping: out of memory\n");
        return 1;
    }
    memset(s->payload, 'p', size);

    uint64_t start_ns = now_ns();
    Pingpong__Pinger_Pid me;
    rc = pingpong__pinger__spawn("ping", &handlers, s, NULL, &me);
    if (rc != 0) {
        fprintf(stderr, "ping: cannot spawn: %s\n", cp_strerror(rc));
        return 1;
    }

    /* Give up when nothing arrives for 10 s. */
    uint64_t seen = 0;
    while (!cp_future_wait(done, 10 * CP_NS_PER_SEC)) {
        uint64_t received = __atomic_load_n(&s->received, __ATOMIC_RELAXED);
        if (received == seen) {
            cp_promise_fail(s->done, "no pong for 10 s after %llu of %llu",
                            (unsigned long long)received, count);
            break;
        }
        seen = received;
    }
    double secs = (double)(now_ns() - start_ns) / 1e9;
    int status = 0;
    if (cp_future_is_ready(done)) {
        qsort(s->rtt, count, sizeof(uint64_t), cmp_u64);
        /* Ask pong how many pings it has seen, through the typed rpc; the
         * call ends by itself at its deadline (10 s here). */
        Pingpong__StatsRequest request = PINGPONG__STATS_REQUEST__INIT;
        cp_call_opts_t opts = {.timeout_ns = 10 * CP_NS_PER_SEC};
        Pingpong__Stats_Future stats = pingpong__ponger__get_stats(s->pong, &request, NULL, &opts);
        pingpong__stats__future_wait(stats, CP_WAIT_FOREVER);
        const Pingpong__Stats *st = pingpong__stats__future_value(stats);
        printf("{\"count\": %llu, \"size\": %llu, \"window\": %llu, \"seconds\": %.3f, "
               "\"round_trips_per_s\": %.0f, \"p50_us\": %.1f, \"p99_us\": %.1f, "
               "\"lost\": %llu, \"out_of_order\": %llu, \"pong_pings_total\": %lld}\n",
               count, size, window, secs, (double)count / secs,
               (double)s->rtt[count / 2] / 1e3, (double)s->rtt[count * 99 / 100] / 1e3,
               (unsigned long long)(count - s->received), (unsigned long long)s->out_of_order,
               st != NULL ? (long long)st->pings : -1LL);
        pingpong__stats__future_unref(stats);
        status = s->out_of_order == 0 ? 0 : 1;
    } else {
        fprintf(stderr, "ping: %s\n",
                cp_future_is_failed(done) ? cp_future_failure(done) : "did not finish");
        status = 1;
    }
    cp_future_unref(done);
    cp_runtime_stop();
    cp_promise_free(s->done);
    free(s->payload);
    free(s->sent_at);
    free(s->rtt);
    free(s);
    return status;
}

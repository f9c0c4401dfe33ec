/* pong: answers every pingpong.Ping with a pingpong.Pong (same seq and
 * payload) sent back to the sender, counts the pings, and reports the
 * count through the GetStats rpc and GET /pong/stats.
 *
 *   pong --ip 127.0.0.1 --port 5050
 *
 * Prints its UPID (pong@ip:port) on the first line, then runs until
 * SIGINT or SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pingpong.actor.h"

typedef struct pong_state {
    uint64_t pings;
} pong_state_t;

static void on_ping(cp_process_t *self, void *state, const cp_upid_t *from,
                    const Pingpong__Ping *ping)
{
    pong_state_t *s = state;
    s->pings++;
    Pingpong__Pong pong = PINGPONG__PONG__INIT;
    pong.seq = ping->seq;
    pong.payload = ping->payload;
    pingpong__pinger__send_pong(pingpong__pinger__pid(*from), &pong, NULL);
}

static Pingpong__Stats_Future get_stats(cp_process_t *self, void *state, const cp_upid_t *from,
                                        const Pingpong__StatsRequest *request)
{
    pong_state_t *s = state;
    Pingpong__Stats *stats = malloc(sizeof(*stats));
    if (stats == NULL)
        return pingpong__stats__future_failed("out of memory");
    pingpong__stats__init(stats);
    stats->pings = s->pings;
    return pingpong__stats__future_ready(stats, pingpong__stats__free);
}

static cp_future_t *route_stats(cp_process_t *self, void *state, const cp_http_request_t *req)
{
    pong_state_t *s = state;
    char body[64];
    int len = snprintf(body, sizeof(body), "{\"pings\": %llu}\n", (unsigned long long)s->pings);
    return cp_future_ready(cp_http_response_new(200, "application/json", body, (size_t)len),
                           cp_http_response_free);
}

static const Pingpong__Ponger_Handlers handlers = {
    .on_ping = on_ping,
    .get_stats = get_stats,
    .route_stats = route_stats,
};

static void usage(void)
{
    fprintf(stderr, "usage: pong [--ip IP] [--port PORT]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--ip") == 0)
            setenv("LIBPROCESS_IP", argv[++i], 1);
        else if (i + 1 < argc && strcmp(argv[i], "--port") == 0)
            setenv("LIBPROCESS_PORT", argv[++i], 1);
        else
            usage();
    }

    /* Block the stop signals before any runtime thread exists, then wait
     * for them on this thread. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    int rc = cp_runtime_start(NULL);
    if (rc != 0) {
        /* The runtime logged the sentence already, unless its log is off. */
        if (!cp_log_enabled(CP_LOG_ERROR))
            fprintf(stderr, "pong: cannot start: %s\n", cp_runtime_start_error());
        return 1;
    }
    pong_state_t *state = calloc(1, sizeof(*state));
    Pingpong__Ponger_Pid pid;
    rc = pingpong__ponger__spawn("pong", &handlers, state, free, &pid);
    if (rc != 0) {
        fprintf(stderr, "pong: cannot spawn: %s\n", cp_strerror(rc));
        free(state);
        cp_runtime_stop();
        return 1;
    }
    char text[CP_UPID_STRLEN];
    cp_upid_format(&pid.upid, text, sizeof(text));
    printf("%s\n", text);
    fflush(stdout);

    int sig;
    sigwait(&stop, &sig);
    cp_runtime_stop();
    return 0;
}

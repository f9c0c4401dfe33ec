/* A small cproc node for the integration tests, run as its own OS process.
 *
 *   cproc_node serve          process "echo": answers "ping" with "pong"
 *                             (same body) to the sender, checks that "seq"
 *                             bodies count 0,1,2,... and answers "report"
 *                             with "count=N ok=B"; prints "ready PORT".
 *   cproc_node send PID N     sends N "seq" messages to PID, then "report",
 *                             prints the answer and exits.
 *   cproc_node ping PID       sends "ping" with body "hello" to PID and
 *                             prints "pong BODY" when it comes back.
 *   cproc_node rtt PID N W    N ping/pong round trips with W in flight;
 *                             prints "rtt n=N per_s=R p50_us=A p99_us=B".
 *   cproc_node link PID       links to PID, prints "linked", then "exited"
 *                             when the link breaks; "relink" on stdin links
 *                             again and prints "linked".
 *
 * serve and link run until stdin closes. The address comes from
 * LIBPROCESS_IP / LIBPROCESS_PORT like any node. Every line is flushed.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <time.h>

#include "cproc/cproc.h"

static void say(const char *word, const char *arg)
{
    printf("%s%s%s\n", word, *arg ? " " : "", arg);
    fflush(stdout);
}

typedef struct echo {
    unsigned long count;
    int ok;
    cp_promise_t *later; /* the answer to GET /echo/later, set by /now */
} echo_t;

static void echo_free(void *p)
{
    echo_t *e = p;
    if (e->later)
        cp_promise_free(e->later);
    free(e);
}

static cp_future_t *text(int status, const char *body)
{
    return cp_future_ready(cp_http_response_new(status, "text/plain", body, strlen(body)),
                           cp_http_response_free);
}

static cp_future_t *http_stats(cp_process_t *self, const cp_http_request_t *req, void *arg)
{
    echo_t *e = cp_process_data(self);
    char buf[64];
    snprintf(buf, sizeof buf, "count=%lu %s %s", e->count, req->route, req->path);
    return text(200, buf);
}

/* /later answers only once /now has run: pipelined after it, /now's
 * answer is ready first but must leave second. */
static cp_future_t *http_later(cp_process_t *self, const cp_http_request_t *req, void *arg)
{
    echo_t *e = cp_process_data(self);
    if (e->later)
        return text(409, "busy");
    e->later = cp_promise_new(cp_http_response_free);
    return cp_promise_future(e->later);
}

static cp_future_t *http_now(cp_process_t *self, const cp_http_request_t *req, void *arg)
{
    echo_t *e = cp_process_data(self);
    if (e->later) {
        cp_http_response_t *r = cp_http_response_new(200, "text/plain", "later", 5);
        if (cp_promise_set(e->later, r))
            cp_http_response_free(r);
        cp_promise_free(e->later);
        e->later = NULL;
    }
    return text(200, "now");
}

static void on_ping(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    cp_process_send(self, msg->from, "pong", msg->body, msg->len);
}

static void on_seq(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    echo_t *e = cp_process_data(self);
    char buf[32];
    size_t n = msg->len < sizeof buf - 1 ? msg->len : sizeof buf - 1;
    memcpy(buf, msg->body ? msg->body : "", n);
    buf[n] = '\0';
    if (strtoul(buf, NULL, 10) != e->count)
        e->ok = 0;
    e->count++;
}

static void on_report(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    echo_t *e = cp_process_data(self);
    char buf[64];
    int n = snprintf(buf, sizeof buf, "count=%lu ok=%d", e->count, e->ok);
    cp_process_send(self, msg->from, "report", buf, (size_t)n);
}

static void echo_init(cp_process_t *self)
{
    cp_process_install(self, "ping", on_ping, NULL, NULL);
    cp_process_install(self, "seq", on_seq, NULL, NULL);
    cp_process_install(self, "report", on_report, NULL, NULL);
    cp_http_route(self, "/stats", http_stats, NULL, NULL);
    cp_http_route(self, "/later", http_later, NULL, NULL);
    cp_http_route(self, "/now", http_now, NULL, NULL);
}

static const cp_process_ops_t echo_ops = {.initialize = echo_init, .destroy = echo_free};

/* The client side: one process that prints what comes back and ends. */
typedef struct client {
    cp_upid_t to;
    unsigned long n;
    unsigned long window;
    const char *mode;
    unsigned long sent, got;
    uint64_t start;
    uint64_t *lat;
} client_t;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void client_free(void *p)
{
    client_t *c = p;
    free(c->lat);
    free(c);
}

static void rtt_send(cp_process_t *self, client_t *c)
{
    char body[100] = {0};
    uint64_t t = now_ns();
    memcpy(body, &t, sizeof t);
    c->sent++;
    cp_process_send(self, &c->to, "ping", body, sizeof body);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void on_rtt_pong(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    client_t *c = cp_process_data(self);
    uint64_t t;
    if (msg->len < sizeof t)
        return;
    memcpy(&t, msg->body, sizeof t);
    c->lat[c->got++] = now_ns() - t;
    if (c->sent < c->n)
        rtt_send(self, c);
    if (c->got < c->n)
        return;
    double secs = (double)(now_ns() - c->start) / 1e9;
    qsort(c->lat, c->n, sizeof *c->lat, cmp_u64);
    printf("rtt n=%lu per_s=%.0f p50_us=%.1f p99_us=%.1f\n", c->n, (double)c->n / secs,
           (double)c->lat[c->n / 2] / 1e3, (double)c->lat[c->n * 99 / 100] / 1e3);
    fflush(stdout);
    cp_upid_t me = cp_process_pid(self);
    cp_process_terminate(&me, false);
}

static void on_answer(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    printf("%s %.*s\n", msg->name, (int)msg->len, msg->body ? (const char *)msg->body : "");
    fflush(stdout);
    cp_upid_t me = cp_process_pid(self);
    cp_process_terminate(&me, false);
}

static void client_init(cp_process_t *self)
{
    client_t *c = cp_process_data(self);
    cp_process_install(self, "report", on_answer, NULL, NULL);
    cp_process_install(self, "pong", on_answer, NULL, NULL);
    if (strcmp(c->mode, "rtt") == 0) {
        cp_process_install(self, "pong", on_rtt_pong, NULL, NULL);
        c->start = now_ns();
        for (unsigned long i = 0; i < c->window && c->sent < c->n; i++)
            rtt_send(self, c);
        return;
    }
    if (strcmp(c->mode, "ping") == 0) {
        cp_process_send(self, &c->to, "ping", "hello", 5);
        return;
    }
    char buf[32];
    for (unsigned long i = 0; i < c->n; i++) {
        int len = snprintf(buf, sizeof buf, "%lu", i);
        cp_process_send(self, &c->to, "seq", buf, (size_t)len);
    }
    cp_process_send(self, &c->to, "report", NULL, 0);
}

static const cp_process_ops_t client_ops = {.initialize = client_init, .destroy = client_free};

static void linker_init(cp_process_t *self)
{
    cp_process_link(self, cp_process_data(self));
    say("linked", "");
}

static void linker_exited(cp_process_t *self, const cp_upid_t *pid)
{
    say("exited", pid->id);
}

static void relink(cp_process_t *self, void *args)
{
    cp_process_unlink(self, cp_process_data(self));
    cp_process_link(self, cp_process_data(self));
    say("linked", "");
}

static const cp_process_ops_t linker_ops = {
    .initialize = linker_init, .exited = linker_exited, .destroy = free};

static cp_future_t *nothing(cp_process_t *self, void *args)
{
    return cp_future_ready(NULL, NULL);
}

/* True once `pid` ran initialize (its routes exist): events run in order,
 * so a dispatch completing means initialize is done. */
static bool initialized(const cp_upid_t *pid)
{
    cp_future_t *f = cp_dispatch_future(pid, nothing, NULL, 0, NULL);
    bool ok = f && cp_test_await(f, 60ull * 1000000000ull) && cp_future_is_ready(f);
    if (f)
        cp_future_unref(f);
    return ok;
}

static void wait_stdin(const cp_upid_t *linker)
{
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        if (linker && strncmp(line, "relink", 6) == 0)
            cp_dispatch(linker, relink, NULL, 0, NULL);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: cproc_node serve | send PID N | ping PID | link PID\n");
        return 2;
    }
    int rc = cp_runtime_start(NULL);
    if (rc) {
        fprintf(stderr, "cproc_node: cannot start: %s\n", cp_runtime_start_error());
        return 1;
    }
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    int status = 0;
    if (strcmp(argv[1], "serve") == 0) {
        echo_t *e = calloc(1, sizeof *e);
        e->ok = 1;
        cp_upid_t echo;
        if (!e || cp_process_spawn("echo", &echo_ops, e, &echo)) {
            free(e);
            status = 1;
        } else if (!initialized(&echo)) {
            status = 1;
        } else {
            char p[16];
            snprintf(p, sizeof p, "%u", port);
            say("ready", p);
            wait_stdin(NULL);
        }
    } else if (strcmp(argv[1], "rtt") == 0 && argc == 5) {
        client_t *c = calloc(1, sizeof *c);
        cp_upid_t pid;
        if (!c || cp_upid_parse(argv[2], &c->to)) {
            free(c);
            status = 2;
        } else {
            c->mode = argv[1];
            c->n = strtoul(argv[3], NULL, 10);
            c->window = strtoul(argv[4], NULL, 10);
            c->lat = calloc(c->n ? c->n : 1, sizeof *c->lat);
            if (!c->lat || !c->n || !c->window ||
                cp_process_spawn("client", &client_ops, c, &pid)) {
                client_free(c);
                status = 1;
            } else if (cp_process_wait(&pid, 300ull * 1000000000ull))
                status = 3;
        }
    } else if ((strcmp(argv[1], "send") == 0 && argc == 4) ||
               (strcmp(argv[1], "ping") == 0 && argc == 3)) {
        client_t *c = calloc(1, sizeof *c);
        cp_upid_t pid;
        if (!c || cp_upid_parse(argv[2], &c->to)) {
            free(c);
            status = 2;
        } else {
            c->mode = argv[1];
            c->n = argc == 4 ? strtoul(argv[3], NULL, 10) : 0;
            if (cp_process_spawn("client", &client_ops, c, &pid))
                status = 1;
            else if (cp_process_wait(&pid, 120ull * 1000000000ull))
                status = 3;
        }
    } else if (strcmp(argv[1], "link") == 0 && argc == 3) {
        cp_upid_t *to = malloc(sizeof *to);
        cp_upid_t pid;
        if (!to || cp_upid_parse(argv[2], to)) {
            free(to);
            status = 2;
        } else if (cp_process_spawn("linker", &linker_ops, to, &pid)) {
            status = 1;
        } else {
            wait_stdin(&pid);
        }
    } else {
        status = 2;
    }
    cp_runtime_stop();
    return status;
}

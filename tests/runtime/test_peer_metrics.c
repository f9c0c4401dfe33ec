/* Per-peer transport figures between two real nodes, and the queue depth
 * per process type.
 *
 * The second node is this same executable run as "--echo-node": a node
 * whose process "echo" answers every "ping" with a "pong" of the same
 * body. It prints its port, and stops when its stdin closes. Every wait
 * awaits a future or polls with a bound; nothing is timed.
 *
 * argv[1], argv[2]: the python and prometheus_check.py, as test_metrics.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cproc/cproc.h"
#include "cproc/testing.h"
#include "node.h"

#define BOUND_MS 60000
#define N        200

static const char *python, *check_script, *self_exe;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the echo node (child) ------------------------------------------------ */

static void on_ping(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    cp_process_send(self, msg->from, "pong", msg->body, msg->len);
}

static void echo_init(cp_process_t *self)
{
    cp_process_install(self, "ping", on_ping, NULL, NULL);
}

static const cp_process_ops_t echo_ops = {.initialize = echo_init};

static int echo_node(void)
{
    setenv("LIBPROCESS_IP", "127.0.0.1", 1);
    setenv("LIBPROCESS_PORT", "0", 1);
    if (cp_runtime_start(NULL) != 0 || cp_process_spawn("echo", &echo_ops, NULL, NULL) != 0)
        return 1;
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    printf("ready %u\n", (unsigned)port);
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0) {
    }
    cp_runtime_stop();
    return 0;
}

/* ---- driving it ------------------------------------------------------------ */

typedef struct node {
    pid_t pid;
    int in, out;
    unsigned port;
} node_t;

static void node_start(node_t *n)
{
    n->pid = test_node_spawn_self(self_exe, "--echo-node", &n->in, &n->out);
    char line[64];
    size_t len = 0;
    while (len == 0 || line[len - 1] != '\n') {
        struct pollfd p = {.fd = n->out, .events = POLLIN};
        assert_int_equal(poll(&p, 1, BOUND_MS), 1);
        ssize_t r = read(n->out, line + len, sizeof line - 1 - len);
        assert_true(r > 0);
        len += (size_t)r;
    }
    line[len] = 0;
    assert_int_equal(sscanf(line, "ready %u", &n->port), 1);
}

static void node_stop(node_t *n)
{
    close(n->in);
    int status = 0;
    assert_int_equal(waitpid(n->pid, &status, 0), n->pid);
    close(n->out);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static char *own_snapshot(void)
{
    cp_future_t *f = cp_metrics_snapshot(UINT64_MAX, CP_METRICS_JSON);
    CP_AWAIT_READY(f);
    char *s = strdup(cp_future_value(f));
    cp_future_unref(f);
    return s;
}

/* The value of transport/peers/127.0.0.1:<port>/<what>, -1 when absent. */
static double peer_figure(const char *json, unsigned port, const char *what)
{
    char key[128];
    snprintf(key, sizeof key, "\"transport/peers/127.0.0.1:%u/%s\":", port, what);
    const char *at = strstr(json, key);
    return at ? strtod(at + strlen(key), NULL) : -1;
}

/* ---- the pinger ------------------------------------------------------------- */

typedef struct pinger {
    cp_upid_t to;
    unsigned pongs;
    cp_promise_t *all; /* set at the N-th pong */
} pinger_t;

static void on_pong(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    pinger_t *p = cp_process_data(self);
    if (++p->pongs == N)
        cp_promise_set(p->all, NULL);
}

static void pinger_init(cp_process_t *self)
{
    pinger_t *p = cp_process_data(self);
    cp_process_install(self, "pong", on_pong, NULL, NULL);
    /* Bodies of 0 to 99 bytes: the byte counts are not a multiple of N. */
    char body[100];
    memset(body, 'b', sizeof body);
    for (unsigned i = 0; i < N; i++)
        assert_int_equal(cp_process_send(self, &p->to, "ping", body, i % 100), 0);
}

static const cp_process_ops_t pinger_ops = {.initialize = pinger_init};

static int stop(void **state)
{
    test_node_stop(state);
    unsetenv("CPROC_PEER_IDLE_TIMEOUT_MS");
    return 0;
}

/* N pings one way, N pongs back; returns the echo node's port. */
static void exchange(node_t *echo, pinger_t *p)
{
    node_start(echo);
    memset(p, 0, sizeof *p);
    assert_int_equal(cp_upid_make("echo", 0x7f000001, (uint16_t)echo->port, &p->to), 0);
    p->all = cp_promise_new(NULL);
    cp_future_t *all = cp_promise_future(p->all);
    assert_int_equal(cp_process_spawn("pinger", &pinger_ops, p, NULL), 0);
    CP_AWAIT_READY(all);
    cp_future_unref(all);
}

/* Both nodes count the same messages and bytes, each from its side. */
static void test_two_nodes_count_each_other_exactly(void **state)
{
    node_t echo;
    pinger_t p;
    exchange(&echo, &p);
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);

    /* A message counts as sent when its write completes, which may come
     * after its answer: poll, bounded, until both sides say N. */
    char *mine = NULL, *theirs = NULL;
    uint64_t end = now_ms() + BOUND_MS;
    for (;;) {
        free(mine);
        free(theirs);
        mine = own_snapshot();
        theirs = test_node_get((uint16_t)echo.port, "/metrics/snapshot");
        if ((peer_figure(mine, echo.port, "messages_sent") == N &&
             peer_figure(theirs, port, "messages_sent") == N) ||
            now_ms() > end)
            break;
        poll(NULL, 0, 5);
    }
    assert_true(peer_figure(mine, echo.port, "messages_sent") == N);
    assert_true(peer_figure(mine, echo.port, "messages_received") == N);
    assert_true(peer_figure(theirs, port, "messages_received") == N);
    assert_true(peer_figure(theirs, port, "messages_sent") == N);
    double sent = peer_figure(mine, echo.port, "bytes_sent");
    double back = peer_figure(theirs, port, "bytes_sent");
    /* Every byte one side wrote, the other read: the same requests. */
    assert_true(sent == peer_figure(theirs, port, "bytes_received"));
    assert_true(back == peer_figure(mine, echo.port, "bytes_received"));
    printf("to the echo node: %.0f messages, %.0f bytes; back: %.0f messages, %.0f bytes\n",
           peer_figure(mine, echo.port, "messages_sent"), sent,
           peer_figure(mine, echo.port, "messages_received"), back);
    /* Each message carries its body (0..99 bytes) and its headers. */
    double bodies = 0;
    for (unsigned i = 0; i < N; i++)
        bodies += i % 100;
    assert_true(sent > bodies + N * 50.0);
    assert_true(back > bodies + N * 50.0);
    /* The totals cover them. */
    char key[] = "\"transport/messages_sent\":";
    assert_true(strtod(strstr(mine, key) + strlen(key), NULL) >= N);
    free(mine);
    free(theirs);

    /* The real Prometheus parser reads the labelled families. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s %u peer 127.0.0.1:%u %d", python, check_script, (unsigned)port,
             echo.port, N);
    assert_int_equal(system(cmd), 0);
    char *prom = test_node_get((uint16_t)port, "/metrics/prometheus");
    char line[160];
    snprintf(line, sizeof line, "\ntransport_peer_messages_sent_total{peer=\"127.0.0.1:%u\"} %d\n",
             echo.port, N);
    assert_non_null(strstr(prom, line));
    assert_non_null(strstr(prom, "# TYPE transport_peer_bytes_received_total counter\n"));
    free(prom);

    cp_promise_free(p.all);
    node_stop(&echo);
}

static bool has_peer_figures(void)
{
    char *j = own_snapshot();
    bool has = strstr(j, "\"transport/peers/") != NULL;
    free(j);
    return has;
}

/* Once the peer is forgotten after idling, so are its figures. */
static void test_figures_go_when_the_peer_is_forgotten(void **state)
{
    cp_runtime_stop();
    /* Both nodes (the child inherits it) forget idle peers after 40 ms:
     * the echo node then closes its connection to this one. */
    setenv("CPROC_PEER_IDLE_TIMEOUT_MS", "40", 1);
    assert_int_equal(test_node_start(state), 0);
    node_t echo;
    pinger_t p;
    exchange(&echo, &p);
    assert_true(has_peer_figures());
    uint64_t end = now_ms() + BOUND_MS;
    while (has_peer_figures() && now_ms() < end)
        poll(NULL, 0, 10);
    assert_false(has_peer_figures());
    cp_promise_free(p.all);
    node_stop(&echo);
}

/* Forged senders cannot grow the table: past 4096 addresses, messages
 * count only in the totals and in transport/peers_untracked. */
static void test_per_peer_table_is_bounded(void **state)
{
    enum { SENDERS = 4096 + 5 };
    assert_int_equal(cp_process_spawn("sink", NULL, NULL, NULL), 0);
    char *j = own_snapshot();
    double untracked =
        test_node_json_value(j, "transport/peers_untracked"); /* a total: kept across runs */
    free(j);
    int fd = test_node_connect();
    /* Senders at 127.0.0.1:1 ... :SENDERS (no node listens there: the
     * sink answers nothing, so no outbound peer is made). */
    for (int i = 1; i <= SENDERS; i++) {
        char req[160];
        int n = snprintf(req, sizeof req,
                         "POST /sink/m HTTP/1.1\r\nLibprocess-From: s@127.0.0.1:%d\r\n"
                         "Content-Length: 0\r\n\r\n",
                         i);
        assert_int_equal(write(fd, req, (size_t)n), n);
    }
    /* Every message is answered 202 before the snapshot is taken. */
    size_t seen = 0;
    char buf[4096], tail[16] = "";
    uint64_t end = now_ms() + BOUND_MS;
    while (seen < SENDERS && now_ms() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, BOUND_MS), 1);
        ssize_t r = read(fd, buf, sizeof buf - 1);
        assert_true(r > 0);
        buf[r] = 0;
        /* Count "202 " across reads: join the last bytes of the previous. */
        char joined[sizeof tail + sizeof buf];
        snprintf(joined, sizeof joined, "%s%s", tail, buf);
        for (const char *s = joined; (s = strstr(s, "HTTP/1.1 202")) != NULL; s++)
            seen++;
        size_t len = strlen(joined), keep = len < 11 ? len : 11;
        memcpy(tail, joined + len - keep, keep);
        tail[keep] = 0;
    }
    assert_int_equal(seen, SENDERS);
    j = own_snapshot();
    assert_true(test_node_json_value(j, "transport/peers_untracked") - untracked == SENDERS - 4096);
    size_t keys = 0;
    for (const char *s = j; (s = strstr(s, "\"transport/peers/")) != NULL; s++)
        keys++;
    assert_int_equal(keys, 4096 * 4);
    assert_true(peer_figure(j, 1, "messages_received") == 1);
    assert_true(peer_figure(j, SENDERS, "messages_received") == -1);
    free(j);
    close(fd);
}

/* ---- queue depth -------------------------------------------------------------- */

static cp_promise_t *gate;

static void busy(cp_process_t *self, void *args)
{
    cp_future_t *g = *(cp_future_t **)args;
    cp_future_wait(g, CP_TEST_TIMEOUT_NS);
    cp_future_unref(g);
}

static void nothing(cp_process_t *self, void *args)
{
}

/* A process busy on a gate: what is queued ahead of the snapshot's ask
 * runs before it; what is queued behind it is what the process counts. */
static void test_queue_depth_per_type_counts_events_waiting(void **state)
{
    enum { K = 7 };
    cp_upid_t a, b, idle;
    assert_int_equal(cp_process_spawn("worker(1)", NULL, NULL, &a), 0);
    assert_int_equal(cp_process_spawn("worker(2)", NULL, NULL, &b), 0);
    assert_int_equal(cp_process_spawn("idler", NULL, NULL, &idle), 0);
    gate = cp_promise_new(NULL);
    cp_future_t *g = cp_promise_future(gate);
    assert_int_equal(cp_dispatch(&a, busy, &g, sizeof g, NULL), 0);
    /* Ahead of the ask: run before the process counts. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(cp_dispatch(&a, nothing, NULL, 0, NULL), 0);
    cp_future_t *f = cp_metrics_snapshot(60 * CP_NS_PER_SEC, CP_METRICS_JSON);
    /* Behind the ask: K events, K - 2 of them messages. */
    cp_upid_t from;
    cp_upid_make("sender", 0x7f000001, 1, &from);
    for (int i = 0; i < K - 2; i++)
        assert_int_equal(cp_send(&from, &a, "hello", "x", 1), 0);
    assert_int_equal(cp_dispatch(&a, nothing, NULL, 0, NULL), 0);
    assert_int_equal(cp_dispatch(&a, nothing, NULL, 0, NULL), 0);
    assert_true(cp_future_is_pending(f)); /* the ask waits behind the gate */
    cp_promise_set(gate, NULL);
    CP_AWAIT_READY(f);
    const char *j = cp_future_value(f);
    assert_true(test_node_json_value(j, "processes/worker/queued") == K);
    assert_true(test_node_json_value(j, "processes/idler/queued") == 0);
    cp_future_unref(f);
    cp_promise_free(gate);

    /* A bounded mailbox's own count, read from outside: exact even while
     * the process stays busy past the snapshot's timeout. */
    cp_upid_t c;
    assert_int_equal(cp_process_spawn_bounded("boxed", NULL, NULL, 100, CP_MAILBOX_REJECT, &c), 0);
    gate = cp_promise_new(NULL);
    g = cp_promise_future(gate);
    assert_int_equal(cp_dispatch(&c, busy, &g, sizeof g, NULL), 0);
    /* Wait until the busy handler has started: nothing else is queued. */
    cp_mailbox_stats_t st;
    uint64_t end = now_ms() + BOUND_MS;
    while (cp_mailbox_stats(&c, &st) == 0 && st.queued != 0 && now_ms() < end)
        poll(NULL, 0, 2);
    for (int i = 0; i < K; i++)
        assert_int_equal(cp_dispatch(&c, nothing, NULL, 0, NULL), 0);
    f = cp_metrics_snapshot(CP_NS_PER_SEC, CP_METRICS_JSON);
    CP_AWAIT_READY(f);
    j = cp_future_value(f);
    assert_true(test_node_json_value(j, "processes/boxed/queued") == K);
    cp_future_unref(f);
    cp_promise_set(gate, NULL);
    cp_promise_free(gate);
}

/* An unbounded process busy past the timeout counts 1: its mailbox was
 * not empty, and nothing more is known. */
static void test_queue_depth_of_a_process_busy_past_the_timeout(void **state)
{
    cp_clock_pause();
    cp_upid_t a;
    assert_int_equal(cp_process_spawn("stuck", NULL, NULL, &a), 0);
    gate = cp_promise_new(NULL);
    cp_future_t *g = cp_promise_future(gate);
    assert_int_equal(cp_dispatch(&a, busy, &g, sizeof g, NULL), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(cp_dispatch(&a, nothing, NULL, 0, NULL), 0);
    cp_future_t *f = cp_metrics_snapshot(CP_NS_PER_SEC, CP_METRICS_JSON);
    assert_true(cp_future_is_pending(f));
    cp_clock_advance(CP_NS_PER_SEC);
    CP_AWAIT_READY(f);
    assert_true(test_node_json_value(cp_future_value(f), "processes/stuck/queued") == 1);
    cp_future_unref(f);
    cp_promise_set(gate, NULL);
    cp_promise_free(gate);
    cp_clock_resume();
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--echo-node") == 0)
        return echo_node();
    self_exe = "/proc/self/exe";
    python = argc > 1 ? argv[1] : "/usr/bin/python3";
    check_script = argc > 2 ? argv[2] : "prometheus_check.py";
#define T(name) cmocka_unit_test_setup_teardown(name, test_node_start, stop)
    const struct CMUnitTest tests[] = {
        T(test_two_nodes_count_each_other_exactly),
        T(test_figures_go_when_the_peer_is_forgotten),
        T(test_per_peer_table_is_bounded),
        T(test_queue_depth_per_type_counts_events_waiting),
        T(test_queue_depth_of_a_process_busy_past_the_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

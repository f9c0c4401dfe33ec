/* What a new user found a node still did wrong, each reproduced with raw
 * loopback sockets from the test thread (or a thread of its own):
 *   - a peer that floods a slow handler grew the node without limit
 *     (inbound backpressure, CPROC_MAX_INBOUND_BYTES);
 *   - a peer that accepts and never reads held its queue forever (the
 *     send timeout, CPROC_SEND_TIMEOUT_MS), and the send counters
 *     disagreed with what happened;
 *   - stopping under a flood ran what was queued (stop terminates ahead
 *     of the queues);
 *   - sending-side failures were never logged.
 * Every wait is a poll with a bound; nothing asserts timing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/node.h"
#include "cproc/cproc.h"
#include "node.h"
#include "transport/limits.h"
#include "transport/transport_internal.h"

#define BOUND_MS 60000
#define T        cp__transport

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Polls cond() every few ms for at most BOUND_MS; true once it held. */
static bool eventually(bool (*cond)(void *), void *arg)
{
    uint64_t end = now_ms() + BOUND_MS;
    while (!cond(arg)) {
        if (now_ms() > end)
            return false;
        poll(NULL, 0, 2);
    }
    return true;
}

static const char *const all_vars[] = {
    "CPROC_MAX_INBOUND_BYTES",
    "CPROC_SEND_TIMEOUT_MS",
    "CPROC_LOG",
    "CPROC_MAX_PEER_QUEUE_BYTES",
};

static int teardown(void **state)
{
    test_node_stop(state);
    for (size_t i = 0; i < sizeof all_vars / sizeof all_vars[0]; i++)
        unsetenv(all_vars[i]);
    return 0;
}

/* ---- a slow handler ------------------------------------------------------ */

/* "slow" blocks in its first message until released; it counts every
 * message it runs. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static _Atomic uint64_t slow_runs;

static void slow_msg(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    atomic_fetch_add(&slow_runs, 1);
    pthread_mutex_lock(&gate_mu);
    while (!gate_open)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
}

static void slow_init(cp_process_t *self)
{
    cp_process_install(self, "m", slow_msg, NULL, NULL);
}

static void gate_set(bool open)
{
    pthread_mutex_lock(&gate_mu);
    gate_open = open;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static bool slow_running(void *arg)
{
    return atomic_load(&slow_runs) >= 1;
}

static cp_upid_t spawn_slow(void)
{
    static const cp_process_ops_t ops = {.initialize = slow_init};
    atomic_store(&slow_runs, 0);
    gate_set(false);
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("slow", &ops, NULL, &pid), 0);
    return pid;
}

/* `n` messages of `body` bytes to /slow/m in one buffer (malloc'd). */
static char *flood_batch(size_t n, size_t body, size_t *len)
{
    char head[160];
    int h = snprintf(head, sizeof head,
                     "POST /slow/m HTTP/1.1\r\nLibprocess-From: f@127.0.0.1:1\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     body);
    size_t one = (size_t)h + body;
    char *b = malloc(n * one);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        memcpy(b + i * one, head, (size_t)h);
        memset(b + i * one + h, 'x', body);
    }
    *len = n * one;
    return b;
}

/* Reads (and drops) whatever answers are there without blocking; false
 * once the node closed the connection. */
static bool drain_answers(int fd)
{
    static char buf[65536];
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r > 0)
            continue;
        return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
    }
}

static bool paused_inbound(void *arg)
{
    return atomic_load(&cp__limits_stats.reads_paused_inbound) >= 1;
}

static bool inbound_drained(void *arg)
{
    return cp__node_inbound_bytes() == 0;
}

static bool slow_ran_all_received(void *arg)
{
    return atomic_load(&slow_runs) >= *(uint64_t *)arg;
}

static bool received_more_than(void *arg)
{
    return atomic_load(&T.messages_received) > *(uint64_t *)arg;
}

/* Item 2: a peer that reads its 202s but sends faster than the handler
 * runs. The node stops reading it once CPROC_MAX_INBOUND_BYTES are queued,
 * so the bytes queued stay near the bound however much the peer sends;
 * /metrics is served meanwhile; once the handler drains the queue, the
 * peer is read again and other peers are served. */
static void test_inbound_flood_is_bounded(void **state)
{
    enum { MAX = 256 * 1024, BODY = 1000, BATCH = 64 };
    char max[32];
    snprintf(max, sizeof max, "%d", MAX);
    setenv("CPROC_MAX_INBOUND_BYTES", max, 1);
    assert_int_equal(test_node_start(NULL), 0);
    spawn_slow();
    int fd = test_node_connect();
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    size_t len;
    char *batch = flood_batch(BATCH, BODY, &len);
    /* Flood until the node stops reading for good: paused, and nothing
     * more is taken from the socket. A node without the bound would take
     * all of LIMIT. */
    const size_t LIMIT = (size_t)256 << 20;
    size_t total = 0, off = 0;
    for (;;) {
        assert_true(drain_answers(fd));
        ssize_t w = send(fd, batch + off, len - off, MSG_NOSIGNAL);
        if (w > 0) {
            off = (off + (size_t)w) % len;
            total += (size_t)w;
            assert_true(total < LIMIT);
            continue;
        }
        assert_true(w < 0 && errno == EAGAIN);
        uint64_t read_then = atomic_load(&T.bytes_received);
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        if (paused_inbound(NULL) && poll(&pf, 1, 200) == 0 &&
            atomic_load(&T.bytes_received) == read_then)
            break;
    }
    uint64_t queued = cp__node_inbound_bytes();
    printf("sent %zu bytes; queued %llu bytes (bound %d)\n", total, (unsigned long long)queued,
           MAX);
    /* The bound plus at most one read (64 KiB) of the delivering
     * connection, in event bytes. */
    assert_true(queued <= MAX + 128 * 1024);
    assert_true((long long)queued == test_node_metric("transport/inbound_bytes"));
    assert_true(test_node_metric("transport/reads_paused_inbound") >= 1);
    /* The handler runs again: the queue drains, the peer is read again. */
    uint64_t received = atomic_load(&T.messages_received);
    gate_set(true);
    assert_true(eventually(received_more_than, &received));
    /* Stop flooding; whatever was sent is run, and nothing stays counted. */
    free(batch);
    close(fd);
    assert_true(eventually(inbound_drained, NULL));
    uint64_t all = atomic_load(&T.messages_received);
    assert_true(eventually(slow_ran_all_received, &all));
    /* Another peer is served. */
    int fd2 = test_node_connect();
    static const char one[] = "POST /slow/m HTTP/1.1\r\nLibprocess-From: g@127.0.0.1:2\r\n"
                              "Content-Length: 0\r\n\r\n";
    test_node_send_all(fd2, one, sizeof one - 1);
    char buf[64] = {0};
    struct pollfd pf = {.fd = fd2, .events = POLLIN};
    assert_int_equal(poll(&pf, 1, BOUND_MS), 1);
    assert_true(recv(fd2, buf, sizeof buf - 1, 0) >= 12);
    assert_memory_equal(buf, "HTTP/1.1 202", 12);
    all++;
    assert_true(eventually(slow_ran_all_received, &all));
    close(fd2);
}

/* ---- stop under a flood ---------------------------------------------------- */

typedef struct flooder {
    int fd;
    _Atomic bool closed; /* the node closed the connection */
    _Atomic uint64_t sent;
} flooder_t;

static void *flood_thread(void *arg)
{
    flooder_t *f = arg;
    size_t len;
    char *batch = flood_batch(50, 10, &len);
    size_t off = 0;
    for (;;) {
        if (!drain_answers(f->fd))
            break;
        ssize_t w = send(f->fd, batch + off, len - off, MSG_NOSIGNAL);
        if (w > 0) {
            off = (off + (size_t)w) % len;
            atomic_fetch_add(&f->sent, (uint64_t)w);
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            break; /* reset or pipe: the node closed it */
        struct pollfd pf = {.fd = f->fd, .events = POLLIN | POLLOUT};
        poll(&pf, 1, 100);
    }
    atomic_store(&f->closed, true);
    free(batch);
    return NULL;
}

static void *stop_thread(void *arg)
{
    cp_runtime_stop();
    return NULL;
}

static bool flooder_closed(void *arg)
{
    return atomic_load(&((flooder_t *)arg)->closed);
}

static bool queued_at_least(void *arg)
{
    return atomic_load(&T.messages_received) >= *(uint64_t *)arg;
}

/* Item 4: stop while messages keep arriving runs nothing more than the
 * handler that was running: processes terminate ahead of their queues
 * (queued messages are dropped), the network is closed, and stop returns. */
static void test_stop_under_flood_runs_only_what_was_running(void **state)
{
    assert_int_equal(test_node_start(NULL), 0);
    spawn_slow();
    flooder_t f = {.fd = test_node_connect()};
    fcntl(f.fd, F_SETFL, fcntl(f.fd, F_GETFL) | O_NONBLOCK);
    pthread_t flood;
    assert_int_equal(pthread_create(&flood, NULL, flood_thread, &f), 0);
    /* The handler is inside its first message and more are queued. */
    assert_true(eventually(slow_running, NULL));
    uint64_t want = 1000;
    assert_true(eventually(queued_at_least, &want));
    pthread_t stopper;
    assert_int_equal(pthread_create(&stopper, NULL, stop_thread, NULL), 0);
    /* The node closing the flooder's connection means stop has passed its
     * first steps (terminate ahead, then quiesce the network). */
    assert_true(eventually(flooder_closed, &f));
    gate_set(true);
    pthread_join(stopper, NULL);
    pthread_join(flood, NULL);
    close(f.fd);
    assert_false(cp_runtime_running());
    printf("received %llu messages, ran %llu\n",
           (unsigned long long)atomic_load(&T.messages_received),
           (unsigned long long)atomic_load(&slow_runs));
    assert_int_equal(atomic_load(&slow_runs), 1);
    assert_int_equal(cp__node_inbound_bytes(), 0);
}

/* ---- the send timeout and the send counters -------------------------------- */

static cp_upid_t exited_from;
static _Atomic int exited_seen;

static void watcher_exited(cp_process_t *self, const cp_upid_t *pid)
{
    exited_from = *pid;
    atomic_store(&exited_seen, 1);
}

static void watcher_init(cp_process_t *self)
{
    cp_process_link(self, cp_process_data(self));
}

static bool got_exited(void *arg)
{
    return atomic_load(&exited_seen) == 1;
}

static bool send_timed_out(void *arg)
{
    return atomic_load(&cp__limits_stats.timeouts_send) >= 1;
}

typedef struct {
    uint64_t sent0, dropped0, accepted;
} tally_t;

static bool all_accounted(void *arg)
{
    tally_t *t = arg;
    return (atomic_load(&T.messages_sent) - t->sent0) +
               (atomic_load(&T.messages_dropped) - t->dropped0) ==
           t->accepted;
}

/* Item 3 and 5: a peer that accepts and never reads. With bytes queued
 * and nothing written for CPROC_SEND_TIMEOUT_MS the connection is closed
 * as lost: linkers get exited, the queue is freed, it is counted; every
 * message the node accepted is then either sent (written) or dropped,
 * never both, never neither. */
static void test_peer_that_never_reads_is_timed_out(void **state)
{
    setenv("CPROC_SEND_TIMEOUT_MS", "300", 1);
    assert_int_equal(test_node_start(NULL), 0);
    uint16_t port;
    int lfd = test_node_listen(&port);
    cp_upid_t to = {.ip = 0x7f000001, .port = port};
    snprintf(to.id, sizeof to.id, "sink");
    static const cp_process_ops_t wops = {.initialize = watcher_init, .exited = watcher_exited};
    static cp_upid_t linked;
    linked = to;
    cp_upid_t watcher;
    atomic_store(&exited_seen, 0);
    assert_int_equal(cp_process_spawn("watcher", &wops, &linked, &watcher), 0);
    tally_t t = {atomic_load(&T.messages_sent), atomic_load(&T.messages_dropped), 0};
    uint64_t lost = atomic_load(&T.connections_lost);
    /* More than loopback's socket buffers hold, so writing stalls. */
    static char body[4000];
    for (int i = 0; i < 16000; i++) {
        int rc = cp_send(NULL, &to, "blob", body, sizeof body);
        if (rc == CP_EFULL)
            break;
        assert_int_equal(rc, 0);
        t.accepted++;
    }
    assert_true(eventually(send_timed_out, NULL));
    assert_true(eventually(got_exited, NULL));
    assert_true(atomic_load(&T.connections_lost) > lost);
    assert_true(eventually(all_accounted, &t));
    assert_true(atomic_load(&T.messages_dropped) > t.dropped0);
    assert_true(test_node_metric("transport/timeouts_send") >= 1);
    /* The queue was freed with the connection. */
    pthread_mutex_lock(&T.mu);
    size_t queued = 0;
    for (size_t b = 0; b < CP_PEER_BUCKETS; b++)
        for (cp__peer_t *p = T.buckets[b]; p; p = p->hash_next)
            queued += p->pending.len + p->inflight;
    pthread_mutex_unlock(&T.mu);
    assert_int_equal(queued, 0);
    close(lfd);
}

/* Item 5: the 202 answers a peer writes on the node's outbound connection
 * count in bytes_received; a message counts as sent once written, with
 * its bytes. */
static void test_answers_on_outbound_connections_are_counted(void **state)
{
    assert_int_equal(test_node_start(NULL), 0);
    uint16_t port;
    int lfd = test_node_listen(&port);
    cp_upid_t to = {.ip = 0x7f000001, .port = port};
    snprintf(to.id, sizeof to.id, "sink");
    uint64_t received0 = atomic_load(&T.bytes_received);
    uint64_t sent0 = atomic_load(&T.messages_sent);
    uint64_t bytes0 = atomic_load(&T.bytes_sent);
    assert_int_equal(cp_send(NULL, &to, "hello", "abc", 3), 0);
    struct pollfd pf = {.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&pf, 1, BOUND_MS), 1);
    int c = accept(lfd, NULL, NULL);
    assert_true(c >= 0);
    /* Read the whole message (it ends with the last chunk). */
    char buf[1024];
    size_t len = 0;
    while (len < 5 || memcmp(buf + len - 5, "0\r\n\r\n", 5) != 0) {
        pf = (struct pollfd){.fd = c, .events = POLLIN};
        assert_int_equal(poll(&pf, 1, BOUND_MS), 1);
        ssize_t r = recv(c, buf + len, sizeof buf - len, 0);
        assert_true(r > 0);
        len += (size_t)r;
    }
    static const char ans[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
    test_node_send_all(c, ans, sizeof ans - 1);
    uint64_t want = received0 + sizeof ans - 1;
    uint64_t end = now_ms() + BOUND_MS;
    while (atomic_load(&T.bytes_received) < want && now_ms() < end)
        poll(NULL, 0, 2);
    assert_int_equal(atomic_load(&T.bytes_received), want);
    assert_int_equal(atomic_load(&T.messages_sent), sent0 + 1);
    assert_int_equal(atomic_load(&T.bytes_sent), bytes0 + len);
    close(c);
    close(lfd);
}

/* ---- sending-side failures are logged --------------------------------------- */

/* Runs with stderr going to a file; returns what was written (malloc'd). */
static int log_fd = -1, saved_stderr = -1;

static void capture_stderr(void)
{
    char path[] = "/tmp/cproc-test-log-XXXXXX";
    log_fd = mkstemp(path);
    assert_true(log_fd >= 0);
    unlink(path);
    fflush(stderr);
    saved_stderr = dup(2);
    dup2(log_fd, 2);
}

static char *captured(void)
{
    fflush(stderr);
    off_t n = lseek(log_fd, 0, SEEK_END);
    char *s = calloc(1, (size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(pread(log_fd, s, (size_t)n, 0), n);
    return s;
}

static void restore_stderr(void)
{
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    close(log_fd);
}

typedef struct {
    const char *needle;
} find_t;

static bool log_has(void *arg)
{
    char *s = captured();
    bool found = strstr(s, ((find_t *)arg)->needle) != NULL;
    free(s);
    return found;
}

/* Waits for the line; on failure shows what was logged instead. */
static void expect_log(find_t *f)
{
    if (eventually(log_has, f))
        return;
    char *s = captured();
    printf("wanted \"%s\"; the log has:\n%s\n", f->needle, s);
    free(s);
    fail();
}

/* The level letter of the logged line holding `needle` ("cproc W ..."). */
static char log_level_of(const char *needle)
{
    char *s = captured();
    const char *at = strstr(s, needle);
    assert_non_null(at);
    const char *line = at;
    while (line > s && line[-1] != '\n')
        line--;
    char level = strncmp(line, "cproc ", 6) == 0 ? line[6] : '?';
    free(s);
    return level;
}

/* Item 6: a refused connect (its message dropped) is logged at warn, a
 * connection the peer closes with nothing waiting at info, each naming the
 * peer. */
static void test_sending_failures_are_logged(void **state)
{
    setenv("CPROC_LOG", "info", 1);
    capture_stderr();
    assert_int_equal(test_node_start(NULL), 0);
    /* Refused: a port bound and not listening. */
    int rfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(0x7f000001);
    assert_int_equal(bind(rfd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(rfd, (struct sockaddr *)&sa, &sl), 0);
    cp_upid_t to = {.ip = 0x7f000001, .port = ntohs(sa.sin_port)};
    snprintf(to.id, sizeof to.id, "sink");
    assert_int_equal(cp_send(NULL, &to, "hello", NULL, 0), 0);
    char want[128];
    snprintf(want, sizeof want,
             "sending to 127.0.0.1:%u: cannot connect (connection refused); 1 message not yet "
             "written is dropped",
             (unsigned)to.port);
    find_t f = {want};
    expect_log(&f);
    assert_int_equal(log_level_of(want), 'W');
    close(rfd);
    /* Closed by the peer after it read the message. */
    uint16_t port;
    int lfd = test_node_listen(&port);
    to.port = port;
    assert_int_equal(cp_send(NULL, &to, "hello", NULL, 0), 0);
    struct pollfd pf = {.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&pf, 1, BOUND_MS), 1);
    int c = accept(lfd, NULL, NULL);
    assert_true(c >= 0);
    /* Read the message first: closing with unread bytes would reset. */
    char got[1024];
    size_t n = 0;
    while (n < 4 || memcmp(got + n - 4, "\r\n\r\n", 4) != 0) {
        pf = (struct pollfd){.fd = c, .events = POLLIN};
        assert_int_equal(poll(&pf, 1, BOUND_MS), 1);
        ssize_t r = recv(c, got + n, sizeof got - n, 0);
        assert_true(r > 0);
        n += (size_t)r;
    }
    close(c);
    snprintf(want, sizeof want,
             "sending to 127.0.0.1:%u: the peer closed the connection; nothing was waiting to "
             "be written",
             (unsigned)port);
    expect_log(&f);
    assert_int_equal(log_level_of(want), 'I'); /* nothing lost: not a warning */
    /* A peer over its connection cap answers 503 and closes. */
    assert_int_equal(cp_send(NULL, &to, "hello", NULL, 0), 0);
    pf = (struct pollfd){.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&pf, 1, BOUND_MS), 1);
    c = accept(lfd, NULL, NULL);
    assert_true(c >= 0);
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n";
    test_node_send_all(c, busy, sizeof busy - 1);
    snprintf(want, sizeof want,
             "sending to 127.0.0.1:%u: the peer answered 503 Service Unavailable (over its "
             "connection cap)",
             (unsigned)port);
    expect_log(&f);
    close(c);
    close(lfd);
    cp_runtime_stop();
    restore_stderr();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_inbound_flood_is_bounded, teardown),
        cmocka_unit_test_teardown(test_stop_under_flood_runs_only_what_was_running, teardown),
        cmocka_unit_test_teardown(test_peer_that_never_reads_is_timed_out, teardown),
        cmocka_unit_test_teardown(test_answers_on_outbound_connections_are_counted, teardown),
        cmocka_unit_test_teardown(test_sending_failures_are_logged, teardown),
    };
    if (getenv("TEST_FILTER"))
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The transport's bounds: peers forgotten after idling (memory returns),
 * the per-peer outbound bound (CP_EFULL), backpressure on a connection
 * whose client does not read its answers. Driven from the test thread
 * over raw loopback sockets; every wait is a poll with a bound.
 *
 * The heap is measured in this process: mallinfo2() in a plain build; in
 * a sanitizer build (whose allocator mallinfo2 does not see) the
 * sanitizer's own count of allocated bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
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

#include "cproc/cproc.h"
#include "transport/limits.h"
#include "transport/transport_internal.h"
#include "node.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
/* From the sanitizer runtime (its header is not always installed). */
size_t __sanitizer_get_current_allocated_bytes(void);
#define HEAP_SANITIZER 1
#endif

#define BOUND_MS 60000
#define T        cp__transport

static size_t heap_in_use(void)
{
#ifdef HEAP_SANITIZER
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#endif
}

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
    "CPROC_PEER_IDLE_TIMEOUT_MS", "CPROC_MAX_PEER_QUEUE_BYTES", "CPROC_MAX_ANSWER_BYTES",
    "CPROC_IDLE_TIMEOUT_MS",      "CPROC_MAX_CONNECTIONS",      "CPROC_RESERVED_CONNECTIONS",
};

static int teardown(void **state)
{
    cp_runtime_stop();
    for (size_t i = 0; i < sizeof all_vars / sizeof all_vars[0]; i++)
        unsetenv(all_vars[i]);
    return 0;
}

static void start(void)
{
    assert_int_equal(test_node_start(NULL), 0);
}

/* A port on every loopback address where nothing listens: bound to the
 * wildcard, never listening, so connects to 127.x.y.z:port are refused. */
static int refusing_port(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static cp_upid_t addr(uint32_t i, uint16_t port)
{
    cp_upid_t to = {.ip = 0x7f000000u | (((i / 250) & 0xff) << 8) | (i % 250 + 1), .port = port};
    snprintf(to.id, sizeof to.id, "sink");
    return to;
}

static bool no_peers(void *arg)
{
    return atomic_load(&cp__peers_live) == 0;
}

typedef struct {
    uint64_t target;
} count_t;

static bool attempts_done(void *arg)
{
    count_t *c = arg;
    return atomic_load(&T.connects_failed) + atomic_load(&T.connections_out) >= c->target;
}

static void send_to_distinct(uint32_t first, uint32_t n, uint16_t port)
{
    count_t c = {atomic_load(&T.connects_failed) + atomic_load(&T.connections_out)};
    for (uint32_t i = first; i < first + n; i++) {
        cp_upid_t to = addr(i, port);
        assert_int_equal(cp_send(NULL, &to, "hello", "x", 1), 0);
        /* Keep a bounded number of connection attempts in flight. */
        if ((i - first) % 500 == 499) {
            c.target += 500;
            assert_true(eventually(attempts_done, &c));
        }
    }
}

/* Item 3: 10,000 distinct peer addresses, then the heap is back. */
static void test_heap_returns_after_10000_peers(void **state)
{
    setenv("CPROC_PEER_IDLE_TIMEOUT_MS", "40", 1);
    start();
    uint16_t port;
    int refuser = refusing_port(&port);
    /* Warm up whatever is made once (loop, buffers, thread caches). */
    send_to_distinct(20000, 500, port);
    assert_true(eventually(no_peers, NULL));
    size_t before = heap_in_use();
    uint64_t expired = atomic_load(&cp__limits_stats.peers_expired);
    send_to_distinct(0, 10000, port);
    assert_true(eventually(no_peers, NULL));
    size_t after = heap_in_use();
    assert_true(atomic_load(&cp__limits_stats.peers_expired) - expired >= 10000);
    printf("heap before %zu, after %zu bytes\n", before, after);
    assert_true(after < before + 256 * 1024);
    close(refuser);
}

/* ---- raw sockets ----------------------------------------------------- */

/* Reads until `n` status lines were seen; returns how many. */
static size_t read_statuses(int fd, size_t n, int want)
{
    static char buf[65536];
    static const char pat[] = "HTTP/1.1 ";
    size_t seen = 0, carry = 0;
    while (seen < n) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, BOUND_MS) != 1)
            break;
        ssize_t r = recv(fd, buf + carry, sizeof buf - carry - 1, 0);
        if (r <= 0)
            break;
        size_t len = carry + (size_t)r;
        buf[len] = 0;
        char *p = buf, *end = buf + len;
        for (;;) {
            char *h = memmem(p, (size_t)(end - p), pat, sizeof pat - 1);
            if (!h || end - h < 12)
                break;
            assert_int_equal(atoi(h + 9), want);
            seen++;
            p = h + 12;
        }
        /* Keep a tail that may hold a split status line. */
        carry = (size_t)(end - p) < 16 ? (size_t)(end - p) : 16;
        memmove(buf, end - carry, carry);
    }
    return seen;
}

/* The echo process answers every "ping" to whoever sent it. */
static _Atomic uint64_t echoed;

static void echo_ping(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    cp_process_send(self, msg->from, "pong", msg->body, msg->len);
    atomic_fetch_add(&echoed, 1);
}

static bool echoed_at_least(void *arg)
{
    return atomic_load(&echoed) >= *(uint64_t *)arg;
}

static void echo_init(cp_process_t *self)
{
    cp_process_install(self, "ping", echo_ping, NULL, NULL);
}

static bool received_at_least(void *arg)
{
    return atomic_load(&T.messages_received) >= *(uint64_t *)arg;
}

/* Item 3, inbound: messages from 60,000 distinct Libprocess-From
 * addresses, each answered, leave no per-address state behind. */
static void test_distinct_senders_leave_nothing(void **state)
{
    setenv("CPROC_PEER_IDLE_TIMEOUT_MS", "40", 1);
    start();
    static const cp_process_ops_t ops = {.initialize = echo_init};
    cp_upid_t echo;
    assert_int_equal(cp_process_spawn("echo", &ops, NULL, &echo), 0);
    uint16_t port;
    int refuser = refusing_port(&port);
    int fd = test_node_connect();
    enum { BATCH = 500, TOTAL = 60000 };
    static char req[BATCH * 160];
    size_t before = 0;
    uint64_t received = atomic_load(&T.messages_received);
    uint64_t answered = atomic_load(&echoed);
    for (uint32_t done = 0; done < TOTAL; done += BATCH) {
        size_t len = 0;
        for (uint32_t i = done; i < done + BATCH; i++) {
            cp_upid_t from = addr(i, port);
            len +=
                (size_t)snprintf(req + len, sizeof req - len,
                                 "POST /echo/ping HTTP/1.1\r\nLibprocess-From: "
                                 "s@127.%u.%u.%u:%u\r\nContent-Length: 1\r\n\r\nx",
                                 from.ip >> 16 & 0xff, from.ip >> 8 & 0xff, from.ip & 0xff, port);
        }
        test_node_send_all(fd, req, len);
        assert_int_equal(read_statuses(fd, BATCH, 202), BATCH);
        received += BATCH;
        answered += BATCH;
        assert_true(eventually(received_at_least, &received));
        /* Every reply made its peer before the peers are counted. */
        assert_true(eventually(echoed_at_least, &answered));
        if (getenv("DEBUG_HEAP") && done % (10 * BATCH) == 0) {
            assert_true(eventually(no_peers, NULL));
            printf("at %u: %zu\n", done, heap_in_use());
        }
        if (done == 20 * BATCH) {
            /* Measure from here: the first 10,000 warm the runtime's
             * caches (they level off; none grows per address). */
            assert_true(eventually(no_peers, NULL));
            before = heap_in_use();
        }
    }
    assert_true(eventually(no_peers, NULL));
    size_t after = heap_in_use();
    printf("heap before %zu, after %zu bytes\n", before, after);
    assert_true(after < before + 256 * 1024);
    close(fd);
    close(refuser);
}

typedef struct filler {
    cp_upid_t to;
    _Atomic int rc; /* 1 until the handler ran */
} filler_t;

/* Sends to the full peer until refused. */
static void fill(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    filler_t *f = cp_process_data(self);
    static char body[1000];
    int rc = 0;
    for (int i = 0; i < 1000000 && rc == 0; i++)
        rc = cp_process_send(self, &f->to, "blob", body, sizeof body);
    atomic_store(&f->rc, rc);
}

static void filler_init(cp_process_t *self)
{
    cp_process_install(self, "fill", fill, NULL, NULL);
}

static bool filler_done(void *arg)
{
    return atomic_load(&((filler_t *)arg)->rc) != 1;
}

/* Item 4: a peer that never reads fills its bounded queue; senders get
 * CP_EFULL, from any thread and from a handler, and the drops are
 * counted. */
static void test_full_peer_queue_refuses_sends(void **state)
{
    setenv("CPROC_MAX_PEER_QUEUE_BYTES", "65536", 1);
    start();
    uint16_t port;
    int lfd = test_node_listen(&port);
    cp_upid_t to = {.ip = 0x7f000001, .port = port};
    snprintf(to.id, sizeof to.id, "sink");
    static char body[1000];
    int rc = 0;
    int i;
    for (i = 0; i < 1000000 && rc == 0; i++)
        rc = cp_send(NULL, &to, "blob", body, sizeof body);
    assert_int_equal(rc, CP_EFULL);
    assert_string_equal(cp_err_name(CP_EFULL), "CP_EFULL");
    assert_string_not_equal(cp_strerror(CP_EFULL), "unknown error");
    assert_true(atomic_load(&cp__limits_stats.messages_full) >= 1);
    /* A handler's send to the same peer: refused and counted the same way. */
    static const cp_process_ops_t ops = {.initialize = filler_init};
    static filler_t f;
    f.to = to;
    atomic_store(&f.rc, 1);
    cp_upid_t p;
    assert_int_equal(cp_process_spawn("filler", &ops, &f, &p), 0);
    uint64_t full = atomic_load(&cp__limits_stats.messages_full);
    assert_int_equal(cp_send(NULL, &p, "fill", NULL, 0), 0);
    assert_true(eventually(filler_done, &f));
    assert_int_equal(atomic_load(&f.rc), CP_EFULL);
    assert_true(atomic_load(&cp__limits_stats.messages_full) > full);
    close(lfd);
}

/* Item 3/4: a peer that stopped reading with a full queue, then died: the
 * queue is dropped with its buffer and the peer forgotten; the heap comes
 * back. */
static void test_dropped_queue_gives_memory_back(void **state)
{
    setenv("CPROC_PEER_IDLE_TIMEOUT_MS", "40", 1);
    setenv("CPROC_MAX_PEER_QUEUE_BYTES", "1048576", 1);
    start();
    uint16_t port;
    int lfd = test_node_listen(&port);
    cp_upid_t to = {.ip = 0x7f000001, .port = port};
    snprintf(to.id, sizeof to.id, "sink");
    static char body[4000];
    /* Warm-up round: whatever is made once exists before measuring. */
    for (int round = 0; round < 2; round++) {
        size_t before = heap_in_use();
        int rc = 0;
        for (int i = 0; i < 1000000 && rc == 0; i++)
            rc = cp_send(NULL, &to, "blob", body, sizeof body);
        assert_int_equal(rc, CP_EFULL);
        assert_true(test_node_metric("transport/messages_dropped_full") >= 1);
        /* The peer dies: reset its end of the connection. */
        struct pollfd pf = {.fd = lfd, .events = POLLIN};
        assert_int_equal(poll(&pf, 1, BOUND_MS), 1);
        int c = accept(lfd, NULL, NULL);
        assert_true(c >= 0);
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(c);
        assert_true(eventually(no_peers, NULL));
        size_t after = heap_in_use();
        printf("round %d: heap before %zu, after %zu bytes\n", round, before, after);
        if (round == 1)
            assert_true(after < before + 64 * 1024);
    }
    close(lfd);
}

static bool paused(void *arg)
{
    return atomic_load(&cp__limits_stats.reads_paused) >= 1;
}

/* Item 4: a client that sends messages and never reads the 202s: the node
 * stops reading it instead of queueing answers; once the client reads,
 * every answer arrives. */
static void test_unread_answers_stop_reading(void **state)
{
    setenv("CPROC_MAX_ANSWER_BYTES", "4096", 1);
    start();
    static const cp_process_ops_t ops = {0};
    cp_upid_t sink;
    assert_int_equal(cp_process_spawn("sink", &ops, NULL, &sink), 0);
    int fd = test_node_connect();
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    static const char msg[] = "POST /sink/m HTTP/1.1\r\nLibprocess-From: s@127.0.0.1:1\r\n"
                              "Content-Length: 0\r\n\r\n";
    enum { BATCH = 256 };
    static char batch[BATCH * sizeof msg];
    for (int i = 0; i < BATCH; i++)
        memcpy(batch + i * (sizeof msg - 1), msg, sizeof msg - 1);
    size_t sent = 0, bytes = BATCH * (sizeof msg - 1);
    /* Write until the node stops reading for good: its answers fill the
     * socket buffers (which the kernel may grow for a while, so reading
     * can resume a few times), then everything stalls. A node that kept
     * reading would take all BOUND_BYTES instead. */
    const size_t BOUND_BYTES = (size_t)64 << 20;
    size_t total = 0, off = 0;
    for (;;) {
        ssize_t w = send(fd, batch + off, bytes - off, MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
            total += (size_t)w;
            assert_true(total < BOUND_BYTES);
            if (off == bytes) {
                sent += BATCH;
                off = 0;
            }
            continue;
        }
        assert_true(w < 0 && errno == EAGAIN);
        uint64_t read_then = atomic_load(&T.bytes_received);
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        if (paused(NULL) && poll(&pf, 1, 200) == 0 && atomic_load(&T.bytes_received) == read_then)
            break;
        poll(NULL, 0, 1);
    }
    assert_true(paused(NULL));
    /* The client reads: answers flow, the node reads again, and every
     * complete message is answered. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    sent += off / (sizeof msg - 1); /* a partial message gets no answer */
    assert_int_equal(read_statuses(fd, sent, 202), sent);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_heap_returns_after_10000_peers, teardown),
        cmocka_unit_test_teardown(test_distinct_senders_leave_nothing, teardown),
        cmocka_unit_test_teardown(test_full_peer_queue_refuses_sends, teardown),
        cmocka_unit_test_teardown(test_unread_answers_stop_reading, teardown),
        cmocka_unit_test_teardown(test_dropped_queue_gives_memory_back, teardown),
    };
    if (getenv("TEST_FILTER"))
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}

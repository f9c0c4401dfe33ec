/* Inbound connection timeouts (idle, request headers, body progress, TLS
 * handshake) and the connection cap's share kept for peers. Each timeout
 * is set tiny through its variable; raw loopback sockets wait for the
 * node to close them with a bounded poll, and the counters in
 * /metrics/snapshot say which timeout fired. No case asserts timing.
 */
#include <arpa/inet.h>
#include <errno.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "../support/pki.h"
#include "cproc/cproc.h"
#include "transport/limits.h"
#include "transport/timeouts.h"
#include "transport/transport_internal.h"
#include "node.h"

#define BOUND_MS 60000
#define L        cp__limits_stats

static const char *const all_vars[] = {
    "CPROC_IDLE_TIMEOUT_MS",          "CPROC_HEADER_TIMEOUT_MS",  "CPROC_BODY_TIMEOUT_MS",
    "CPROC_TLS_HANDSHAKE_TIMEOUT_MS", "CPROC_MAX_CONNECTIONS",    "CPROC_RESERVED_CONNECTIONS",
    "LIBPROCESS_SSL_ENABLED",         "LIBPROCESS_SSL_CERT_FILE", "LIBPROCESS_SSL_KEY_FILE",
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

/* Connects to the node from `src` (host order; 0: any). */
static int connect_from(uint32_t src)
{
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (src) {
        struct sockaddr_in me = {.sin_family = AF_INET};
        me.sin_addr.s_addr = htonl(src);
        assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(0x7f000001);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void send_str(int fd, const char *s)
{
    size_t n = strlen(s);
    assert_int_equal(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Waits (bounded) until the node closes fd; returns the bytes it sent
 * first into buf (NUL-terminated, truncated to cap). */
static size_t wait_closed(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, BOUND_MS), 1);
        char tmp[4096];
        ssize_t r = recv(fd, tmp, sizeof tmp, 0);
        if (r < 0 && errno == ECONNRESET)
            break;
        assert_true(r >= 0);
        if (r == 0)
            break;
        size_t take = (size_t)r < cap - 1 - len ? (size_t)r : cap - 1 - len;
        memcpy(buf + len, tmp, take);
        len += take;
    }
    buf[len] = 0;
    return len;
}

/* Reads one answer's status line (bounded). */
static int read_status(int fd)
{
    char buf[512];
    size_t len = 0;
    while (len < 12) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, BOUND_MS), 1);
        ssize_t r = recv(fd, buf + len, sizeof buf - len - 1, 0);
        assert_true(r > 0);
        len += (size_t)r;
    }
    buf[len] = 0;
    assert_memory_equal(buf, "HTTP/1.1 ", 9);
    return atoi(buf + 9);
}

static const char message[] = "POST /sink/m HTTP/1.1\r\nLibprocess-From: s@127.0.0.1:1\r\n"
                              "Content-Length: 0\r\n\r\n";

static void spawn_sink(void)
{
    static const cp_process_ops_t ops = {0};
    cp_upid_t sink;
    assert_int_equal(cp_process_spawn("sink", &ops, NULL, &sink), 0);
}

static void test_idle_connection_closed(void **state)
{
    setenv("CPROC_IDLE_TIMEOUT_MS", "50", 1);
    start();
    spawn_sink();
    /* A peer's connection (it carried a message) is not idle-closed:
     * closing it would read as link loss on the other side. */
    int peer = connect_from(0);
    send_str(peer, message);
    assert_int_equal(read_status(peer), 202);
    uint64_t before = atomic_load(&L.timeouts_idle);
    /* An HTTP client that went quiet after its answer. */
    int fd = connect_from(0);
    send_str(fd, "GET /metrics/snapshot HTTP/1.1\r\n\r\n");
    char buf[8192];
    assert_true(wait_closed(fd, buf, sizeof buf) > 0);
    assert_memory_equal(buf, "HTTP/1.1 200", 12);
    close(fd);
    assert_true(atomic_load(&L.timeouts_idle) > before);
    /* The peer's connection, idle for longer, is still served. */
    send_str(peer, message);
    assert_int_equal(read_status(peer), 202);
    close(peer);
}

static uint64_t sweeps(void);

static bool open_still(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 0;
}

/* A connection that sent nothing may be a node's link: it is left alone
 * until the node is crowded, then closed when idle. */
static void test_unused_connections_closed_when_crowded(void **state)
{
    setenv("CPROC_IDLE_TIMEOUT_MS", "40", 1);
    setenv("CPROC_MAX_CONNECTIONS", "4", 1);
    setenv("CPROC_RESERVED_CONNECTIONS", "0", 1);
    start();
    int a = connect_from(0);
    int b = connect_from(0);
    /* Two of four: not crowded. Outlast the timeout many times over. */
    uint64_t until = sweeps() + 40;
    while (sweeps() < until)
        poll(NULL, 0, 5);
    assert_true(open_still(a));
    assert_true(open_still(b));
    uint64_t before = atomic_load(&L.timeouts_idle);
    int c = connect_from(0); /* three of four: crowded */
    /* Idle unused connections are closed until it is not crowded. */
    struct pollfd p[3] = {
        {.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}, {.fd = c, .events = POLLIN}};
    assert_true(poll(p, 3, BOUND_MS) >= 1);
    uint64_t until2 = sweeps() + 10;
    while (sweeps() < until2)
        poll(NULL, 0, 5);
    int closed = !open_still(a) + !open_still(b) + !open_still(c);
    assert_int_equal(closed, 1);
    assert_int_equal(atomic_load(&L.timeouts_idle), before + 1);
    close(a);
    close(b);
    close(c);
}

static void test_slow_headers_closed(void **state)
{
    setenv("CPROC_IDLE_TIMEOUT_MS", "0", 1);
    setenv("CPROC_HEADER_TIMEOUT_MS", "50", 1);
    start();
    uint64_t received = atomic_load(&cp__transport.messages_received);
    int fd = connect_from(0);
    send_str(fd, "POST /sink/m HTTP/1.1\r\nLibprocess-From: s@127.0.0.1:1\r\n");
    char buf[64];
    wait_closed(fd, buf, sizeof buf);
    close(fd);
    assert_true(atomic_load(&L.timeouts_header) >= 1);
    assert_int_equal(atomic_load(&cp__transport.messages_received), received);
}

static uint64_t sweeps(void)
{
    pthread_mutex_lock(&cp__transport.mu);
    uint64_t n = cp__peer_epoch;
    pthread_mutex_unlock(&cp__transport.mu);
    return n;
}

/* A busy peer whose reads keep ending inside the next request's headers
 * is not a slow client: each request has its own clock. */
static void test_split_pipelined_requests_not_timed_out(void **state)
{
    setenv("CPROC_IDLE_TIMEOUT_MS", "0", 1);
    /* Long enough that a loaded machine never stalls this thread or the
     * node between two steps for that long (40 ms failed under load). */
    setenv("CPROC_HEADER_TIMEOUT_MS", "1000", 1);
    start();
    spawn_sink();
    static const char head[] = "POST /sink/m HTTP/1.1\r\nLibprocess-From: s@127.0.0.1:1\r\n";
    static const char rest[] = "Content-Length: 0\r\n\r\n";
    int fd = connect_from(0);
    send_str(fd, head);
    /* Outlast the header timeout three times over, counted in sweeps (a
     * sweep every quarter of it). */
    uint64_t until = sweeps() + 12;
    uint64_t before = atomic_load(&L.timeouts_header);
    int rounds = 0;
    while (sweeps() < until || rounds < 3) {
        char step[256];
        snprintf(step, sizeof step, "%s%s", rest, head);
        send_str(fd, step);
        assert_int_equal(read_status(fd), 202);
        rounds++;
    }
    assert_int_equal(atomic_load(&L.timeouts_header), before);
    close(fd);
}

static void test_stalled_body_closed(void **state)
{
    setenv("CPROC_IDLE_TIMEOUT_MS", "0", 1);
    setenv("CPROC_BODY_TIMEOUT_MS", "50", 1);
    start();
    spawn_sink();
    int fd = connect_from(0);
    send_str(fd, "POST /sink/m HTTP/1.1\r\nLibprocess-From: s@127.0.0.1:1\r\n"
                 "Content-Length: 100\r\n\r\n0123456789");
    char buf[64];
    wait_closed(fd, buf, sizeof buf);
    close(fd);
    assert_true(atomic_load(&L.timeouts_body) >= 1);
}

static void test_stalled_tls_handshake_closed(void **state)
{
    test_pki_t pki;
    assert_int_equal(test_pki_make(&pki), 0);
    setenv("LIBPROCESS_SSL_ENABLED", "true", 1);
    setenv("LIBPROCESS_SSL_CERT_FILE", pki.server_cert, 1);
    setenv("LIBPROCESS_SSL_KEY_FILE", pki.server_key, 1);
    setenv("CPROC_IDLE_TIMEOUT_MS", "0", 1);
    setenv("CPROC_TLS_HANDSHAKE_TIMEOUT_MS", "50", 1);
    start();
    int fd = connect_from(0);
    /* The first bytes of a ClientHello record, then nothing. */
    static const unsigned char hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00};
    assert_int_equal(send(fd, hello, sizeof hello, MSG_NOSIGNAL), (ssize_t)sizeof hello);
    char buf[64];
    wait_closed(fd, buf, sizeof buf);
    close(fd);
    assert_true(atomic_load(&L.timeouts_tls) >= 1);
    test_pki_remove(&pki);
}

/* One client holding every ordinary slot: a node this node sends to still
 * gets in through the reserved share. */
static void test_reserved_connections_for_peers(void **state)
{
    setenv("CPROC_IDLE_TIMEOUT_MS", "0", 1);
    setenv("CPROC_MAX_CONNECTIONS", "8", 1);
    setenv("CPROC_RESERVED_CONNECTIONS", "4", 1);
    start();
    spawn_sink();
    int hog[4];
    for (int i = 0; i < 4; i++) {
        hog[i] = connect_from(0x7f000002);
        /* Served: the connection was admitted. */
        send_str(hog[i], "GET /metrics/snapshot HTTP/1.1\r\n\r\n");
        assert_int_equal(read_status(hog[i]), 200);
    }
    int extra = connect_from(0x7f000002);
    char buf[256];
    wait_closed(extra, buf, sizeof buf);
    assert_non_null(strstr(buf, " 503 "));
    close(extra);
    assert_true(atomic_load(&L.connections_refused) >= 1);
    /* The node sends to 127.0.0.3: that node is a peer now. */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(0x7f000003);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lfd, 4), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
    cp_upid_t to = {.ip = 0x7f000003, .port = ntohs(sa.sin_port)};
    snprintf(to.id, sizeof to.id, "other");
    assert_int_equal(cp_send(NULL, &to, "hello", NULL, 0), 0);
    int peer = connect_from(0x7f000003);
    send_str(peer, "POST /sink/m HTTP/1.1\r\nLibprocess-From: other@127.0.0.3:1\r\n"
                   "Content-Length: 0\r\n\r\n");
    assert_int_equal(read_status(peer), 202);
    close(peer);
    for (int i = 0; i < 4; i++)
        close(hog[i]);
    close(lfd);
}

/* The decision itself, phase by phase. */
static void test_clock_phases(void **state)
{
    cp__limits_t l = {.idle_ms = 100, .header_ms = 100, .body_ms = 100, .tls_ms = 100};
    cp__conn_clock_t k;
    cp__conn_clock_init(&k, 1000);
    cp__conn_view_t v = {.handshaking = true};
    assert_int_equal(cp__conn_clock_check(&k, &v, &l, 1099), CP__CONN_OK);
    assert_int_equal(cp__conn_clock_check(&k, &v, &l, 1100), CP__CONN_TIMEOUT_TLS);
    /* Idle and unused: closed only when the node is crowded. */
    v = (cp__conn_view_t){0};
    assert_int_equal(cp__conn_clock_check(&k, &v, &l, 1100), CP__CONN_OK);
    v.crowded = true;
    assert_int_equal(cp__conn_clock_check(&k, &v, &l, 1100), CP__CONN_TIMEOUT_IDLE);
    v.crowded = false;
    k.carried_request = true; /* an HTTP client: closed when idle */
    assert_int_equal(cp__conn_clock_check(&k, &v, &l, 1100), CP__CONN_TIMEOUT_IDLE);
    k.carried_message = true; /* a peer: never */
    v.crowded = true;
    assert_int_equal(cp__conn_clock_check(&k, &v, &l, 99999), CP__CONN_OK);
    k.carried_message = false;
    cp__conn_clock_activity(&k, 1200, true);
    v.mid_request = true;
    assert_int_equal(cp__conn_clock_check(&k, &v, &l, 1299), CP__CONN_OK);
    assert_int_equal(cp__conn_clock_check(&k, &v, &l, 1300), CP__CONN_TIMEOUT_HEADER);
    v.body_len = 10; /* body progress restarts the clock */
    assert_int_equal(cp__conn_clock_check(&k, &v, &l, 1350), CP__CONN_OK);
    assert_int_equal(cp__conn_clock_check(&k, &v, &l, 1449), CP__CONN_OK);
    assert_int_equal(cp__conn_clock_check(&k, &v, &l, 1450), CP__CONN_TIMEOUT_BODY);
    v = (cp__conn_view_t){.waiting = true};
    assert_int_equal(cp__conn_clock_check(&k, &v, &l, 9999), CP__CONN_OK);
    l.idle_ms = 0; /* 0: off */
    v.waiting = false;
    assert_int_equal(cp__conn_clock_check(&k, &v, &l, 99999), CP__CONN_OK);
}

static void test_bad_values_refused(void **state)
{
    setenv("LIBPROCESS_IP", "127.0.0.1", 1);
    setenv("CPROC_IDLE_TIMEOUT_MS", "soon", 1);
    assert_int_equal(cp_runtime_start(NULL), CP_EINVAL);
    setenv("CPROC_IDLE_TIMEOUT_MS", "-5", 1);
    assert_int_equal(cp_runtime_start(NULL), CP_EINVAL);
    unsetenv("CPROC_IDLE_TIMEOUT_MS");
    setenv("CPROC_MAX_CONNECTIONS", "8", 1);
    setenv("CPROC_RESERVED_CONNECTIONS", "8", 1);
    assert_int_equal(cp_runtime_start(NULL), CP_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_phases),
        cmocka_unit_test_teardown(test_bad_values_refused, teardown),
        cmocka_unit_test_teardown(test_idle_connection_closed, teardown),
        cmocka_unit_test_teardown(test_unused_connections_closed_when_crowded, teardown),
        cmocka_unit_test_teardown(test_slow_headers_closed, teardown),
        cmocka_unit_test_teardown(test_split_pipelined_requests_not_timed_out, teardown),
        cmocka_unit_test_teardown(test_stalled_body_closed, teardown),
        cmocka_unit_test_teardown(test_stalled_tls_handshake_closed, teardown),
        cmocka_unit_test_teardown(test_reserved_connections_for_peers, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Nodes as real OS processes on 127.0.0.1, driven over raw sockets and
 * pipes. Every wait is a bounded poll on a file descriptor, never a sleep. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pki.h"

/* Generous bound on any single wait: a hang fails the test, nothing is
 * timed. */
#define BOUND_MS 60000

typedef struct node {
    pid_t pid;
    int in;  /* its stdin */
    int out; /* its stdout */
    char buf[4096];
    size_t len;
    unsigned port;
} node_t;

static const char *node_path(void)
{
    const char *p = getenv("CPROC_NODE");
    return p ? p : "./cproc_node";
}

/* Extra "NAME=value" settings for the next node started. */
static const char *next_env;
static const char *next_envs[8];

static void node_start(node_t *n, const char *a1, const char *a2, const char *a3)
{
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    memset(n, 0, sizeof *n);
    n->pid = fork();
    assert_true(n->pid >= 0);
    if (n->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        setenv("LIBPROCESS_IP", "127.0.0.1", 1);
        setenv("LIBPROCESS_PORT", "0", 1);
        setenv("LIBPROCESS_NUM_WORKER_THREADS", "2", 1);
        if (next_env)
            putenv((char *)next_env);
        for (int i = 0; i < 8 && next_envs[i]; i++)
            putenv((char *)next_envs[i]);
        execl(node_path(), node_path(), a1, a2, a3, (char *)NULL);
        _exit(127);
    }
    next_env = NULL;
    memset(next_envs, 0, sizeof next_envs);
    close(in[0]);
    close(out[1]);
    n->in = in[1];
    n->out = out[0];
}

/* Reads one line from the node's stdout within the bound. */
static void node_line(node_t *n, char *line, size_t size)
{
    for (;;) {
        char *nl = memchr(n->buf, '\n', n->len);
        if (nl) {
            size_t l = (size_t)(nl - n->buf);
            assert_true(l < size);
            memcpy(line, n->buf, l);
            line[l] = '\0';
            memmove(n->buf, nl + 1, n->len - l - 1);
            n->len -= l + 1;
            return;
        }
        struct pollfd p = {.fd = n->out, .events = POLLIN};
        assert_int_equal(poll(&p, 1, BOUND_MS), 1);
        ssize_t r = read(n->out, n->buf + n->len, sizeof n->buf - n->len - 1);
        if (r <= 0)
            fail_msg("node exited before writing a line");
        n->len += (size_t)r;
    }
}

static void node_serve(node_t *n)
{
    char line[64];
    node_start(n, "serve", NULL, NULL);
    node_line(n, line, sizeof line);
    assert_int_equal(sscanf(line, "ready %u", &n->port), 1);
}

/* Closes its stdin and reaps it; returns the exit status. */
static int node_stop(node_t *n)
{
    int st = 0;
    close(n->in);
    close(n->out);
    assert_int_equal(waitpid(n->pid, &st, 0), n->pid);
    return st;
}

static int tcp_connect(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(0x7f000001);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static int tcp_listen(unsigned *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(0x7f000001);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 8), 0);
    socklen_t l = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &l);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void send_all(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(fd, s, n);
        assert_true(w > 0);
        s += w;
        n -= (size_t)w;
    }
}

/* Reads until `count` responses' status lines arrived or the peer closed;
 * writes the status codes into codes[]; returns how many. */
static int read_statuses(int fd, int *codes, int count, int *closed)
{
    char buf[16384];
    size_t len = 0;
    int got = 0;
    *closed = 0;
    while (got < count) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, BOUND_MS), 1);
        ssize_t r = read(fd, buf + len, sizeof buf - len - 1);
        if (r <= 0) {
            *closed = 1;
            break;
        }
        len += (size_t)r;
        buf[len] = '\0';
        got = 0;
        for (char *s = buf; (s = strstr(s, "HTTP/1.1 ")) != NULL; s += 9)
            if (got < count)
                codes[got++] = atoi(s + 9);
    }
    return got;
}

/* Reads until EOF within the bound; true when the peer closed. */
static int wait_closed(int fd)
{
    char buf[4096];
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, BOUND_MS) != 1)
            return 0;
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0)
            return 1;
    }
}

static void test_node_accepts_user_agent_only_message_with_content_length(void **state)
{
    node_t n;
    node_serve(&n);
    int fd = tcp_connect(n.port);
    send_all(fd, "POST /echo/seq HTTP/1.1\r\nUser-Agent: libprocess/x@127.0.0.1:1\r\n"
                 "Content-Length: 1\r\n\r\n0");
    int codes[1], closed;
    assert_int_equal(read_statuses(fd, codes, 1, &closed), 1);
    assert_int_equal(codes[0], 202);
    close(fd);
    assert_int_equal(node_stop(&n), 0);
}

static void test_node_accepts_libprocess_from_only_chunked_message(void **state)
{
    node_t n;
    node_serve(&n);
    int fd = tcp_connect(n.port);
    send_all(fd, "POST /echo/seq HTTP/1.1\r\nLibprocess-From: x@127.0.0.1:1\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n1\r\n0\r\n0\r\n\r\n");
    int codes[1], closed;
    assert_int_equal(read_statuses(fd, codes, 1, &closed), 1);
    assert_int_equal(codes[0], 202);
    close(fd);
    assert_int_equal(node_stop(&n), 0);
}

static void test_node_answers_pipelined_requests_in_order(void **state)
{
    node_t n;
    node_serve(&n);
    int fd = tcp_connect(n.port);
    send_all(fd, "POST /echo/seq HTTP/1.1\r\nLibprocess-From: x@127.0.0.1:1\r\n\r\n"
                 "POST /nobody/seq HTTP/1.1\r\nLibprocess-From: x@127.0.0.1:1\r\n\r\n"
                 "GET /metrics/snapshot HTTP/1.1\r\n\r\n"
                 "POST /ec%68o/seq HTTP/1.1\r\nLibprocess-From: x@127.0.0.1:1\r\n\r\n"
                 "POST /echo/seq HTTP/1.1\r\nLibprocess-From: not-a-pid\r\n\r\n");
    int codes[5], closed;
    assert_int_equal(read_statuses(fd, codes, 5, &closed), 5);
    assert_int_equal(codes[0], 202);
    assert_int_equal(codes[1], 404);
    assert_int_equal(codes[2], 200);
    assert_int_equal(codes[3], 202);
    assert_int_equal(codes[4], 400);
    close(fd);
    assert_int_equal(node_stop(&n), 0);
}

static void test_node_answers_garbage_with_400_and_closes(void **state)
{
    node_t n;
    node_serve(&n);
    int fd = tcp_connect(n.port);
    int other = tcp_connect(n.port);
    send_all(fd, "\x01\x02\x03 garbage\r\n\r\n");
    int codes[1], closed;
    assert_int_equal(read_statuses(fd, codes, 1, &closed), 1);
    assert_int_equal(codes[0], 400);
    assert_true(wait_closed(fd));
    close(fd);
    /* Other connections are unaffected. */
    send_all(other, "POST /echo/seq HTTP/1.1\r\nLibprocess-From: x@127.0.0.1:1\r\n\r\n");
    assert_int_equal(read_statuses(other, codes, 1, &closed), 1);
    assert_int_equal(codes[0], 202);
    close(other);
    assert_int_equal(node_stop(&n), 0);
}

static void test_node_sends_exact_libprocess_bytes(void **state)
{
    node_t n;
    node_serve(&n);
    unsigned lport;
    int lfd = tcp_listen(&lport);
    int fd = tcp_connect(n.port);
    char req[256];
    snprintf(req, sizeof req,
             "POST /echo/ping HTTP/1.1\r\nLibprocess-From: me@127.0.0.1:%u\r\n"
             "Content-Length: 5\r\n\r\nhello",
             lport);
    send_all(fd, req);
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, BOUND_MS), 1);
    int in = accept(lfd, NULL, NULL);
    assert_true(in >= 0);
    char expect[512];
    snprintf(expect, sizeof expect,
             "POST /me/pong HTTP/1.1\r\n"
             "User-Agent: libprocess/echo@127.0.0.1:%u\r\n"
             "Libprocess-From: echo@127.0.0.1:%u\r\n"
             "Connection: Keep-Alive\r\n"
             "Host: 127.0.0.1:%u\r\n"
             "Transfer-Encoding: chunked\r\n"
             "\r\n"
             "5\r\nhello\r\n0\r\n\r\n",
             n.port, n.port, lport);
    char got[512];
    size_t len = 0, want = strlen(expect);
    while (len < want) {
        struct pollfd q = {.fd = in, .events = POLLIN};
        assert_int_equal(poll(&q, 1, BOUND_MS), 1);
        ssize_t r = read(in, got + len, want - len);
        assert_true(r > 0);
        len += (size_t)r;
    }
    got[len] = '\0';
    assert_string_equal(got, expect);
    close(in);
    close(fd);
    close(lfd);
    assert_int_equal(node_stop(&n), 0);
}

static void test_two_nodes_exchange_messages_both_ways(void **state)
{
    node_t s, c;
    node_serve(&s);
    char to[64], line[128];
    snprintf(to, sizeof to, "echo@127.0.0.1:%u", s.port);
    node_start(&c, "ping", to, NULL);
    node_line(&c, line, sizeof line);
    assert_string_equal(line, "pong hello");
    assert_int_equal(node_stop(&c), 0);
    assert_int_equal(node_stop(&s), 0);
}

static void test_100000_messages_arrive_in_order(void **state)
{
    node_t s, c;
    node_serve(&s);
    char to[64], line[128];
    snprintf(to, sizeof to, "echo@127.0.0.1:%u", s.port);
    node_start(&c, "send", to, "100000");
    node_line(&c, line, sizeof line);
    assert_string_equal(line, "report count=100000 ok=1");
    assert_int_equal(node_stop(&c), 0);
    assert_int_equal(node_stop(&s), 0);
}

static void test_remote_link_gives_exited_when_peer_is_killed_and_relink_again(void **state)
{
    node_t s, l;
    node_serve(&s);
    char to[64], line[128];
    snprintf(to, sizeof to, "echo@127.0.0.1:%u", s.port);
    node_start(&l, "link", to, NULL);
    node_line(&l, line, sizeof line);
    assert_string_equal(line, "linked");
    /* Whether the link's connection was up or not yet made when the peer
     * dies, the linker must hear of it: a break or a refused connect. */
    kill(s.pid, SIGKILL);
    int st;
    waitpid(s.pid, &st, 0);
    close(s.in);
    close(s.out);
    node_line(&l, line, sizeof line);
    assert_string_equal(line, "exited echo");
    /* Relinking to the dead node fails to connect: exited again. */
    send_all(l.in, "relink\n");
    node_line(&l, line, sizeof line);
    assert_string_equal(line, "linked");
    node_line(&l, line, sizeof line);
    assert_string_equal(line, "exited echo");
    assert_int_equal(node_stop(&l), 0);
}

/* Reads responses until `count` complete ones (Content-Length framed) or
 * EOF; returns everything read. */
static char *read_responses(int fd, int count)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        buf[len] = '\0';
        int done = 0;
        const char *p = buf;
        while (done < count) {
            const char *end = strstr(p, "\r\n\r\n");
            const char *cl = strstr(p, "Content-Length: ");
            if (!end || !cl || cl > end)
                break;
            size_t body = strtoul(cl + 16, NULL, 10);
            if ((size_t)(end + 4 - buf) + body > len)
                break;
            p = end + 4 + body;
            done++;
        }
        if (done == count)
            return buf;
        struct pollfd q = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&q, 1, BOUND_MS), 1);
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r <= 0)
            return buf;
        len += (size_t)r;
    }
}

static void test_http_routes_answer_pipelined_requests_in_order(void **state)
{
    node_t n;
    node_serve(&n);
    int fd = tcp_connect(n.port);
    send_all(fd, "GET /echo/later HTTP/1.1\r\n\r\n"
                 "GET /echo/now HTTP/1.1\r\n\r\n"
                 "GET /echo/stats/today?x=1 HTTP/1.1\r\n\r\n"
                 "GET /echo/statistics HTTP/1.1\r\n\r\n"
                 "GET /nobody/stats HTTP/1.1\r\n\r\n");
    char *all = read_responses(fd, 5);
    const char *later = strstr(all, "\r\n\r\nlater");
    const char *now = strstr(all, "\r\n\r\nnow");
    const char *stats = strstr(all, "count=0 /stats /echo/stats/today");
    assert_non_null(later);
    assert_non_null(now);
    assert_non_null(stats);
    assert_true(later < now && now < stats);
    const char *nf1 = strstr(stats, "HTTP/1.1 404");
    assert_non_null(nf1);
    assert_non_null(strstr(nf1 + 1, "HTTP/1.1 404"));
    free(all);
    close(fd);
    assert_int_equal(node_stop(&n), 0);
}

static void test_builtin_endpoints_list_routes_processes_and_metrics(void **state)
{
    node_t n;
    node_serve(&n);
    int fd = tcp_connect(n.port);
    send_all(fd, "GET /help HTTP/1.1\r\n\r\n"
                 "GET /echo/help HTTP/1.1\r\n\r\n"
                 "GET /__processes__ HTTP/1.1\r\n\r\n"
                 "GET /metrics/snapshot HTTP/1.1\r\n\r\n");
    char *all = read_responses(fd, 4);
    assert_non_null(strstr(all, "/__processes__\n/help\n/logging/toggle\n/metrics/prometheus\n"
                                "/metrics/snapshot\n/system/stats.json\n/echo/later\n"));
    assert_non_null(strstr(all, "\r\n\r\n/echo/later\n/echo/now\n/echo/stats\n"));
    /* A list; the snapshot's queue-depth ask may be in it (a dispatch
     * queued behind the listing's own when both are read at once). */
    assert_non_null(strstr(all, "{\"id\":\"echo\",\"events\":["));
    /* Per process type first ("processes/..." sorts before "transport/..."). */
    const char *m = strstr(all, "\"processes/echo/count\":1,\"processes/echo/events\":");
    assert_non_null(m);
    m = strstr(m, "\"transport/bytes_received\":");
    assert_non_null(m);
    assert_non_null(strstr(m, "\"transport/messages_received\":"));
    free(all);
    close(fd);
    assert_int_equal(node_stop(&n), 0);
}

static void test_oversized_header_is_refused_with_431_and_closed(void **state)
{
    node_t n;
    node_serve(&n);
    int fd = tcp_connect(n.port);
    send_all(fd, "GET /help HTTP/1.1\r\nX-Big: ");
    char chunk[4096];
    memset(chunk, 'a', sizeof chunk - 1);
    chunk[sizeof chunk - 1] = '\0';
    for (int i = 0; i < 24; i++)
        send_all(fd, chunk);
    int codes[1], closed;
    assert_int_equal(read_statuses(fd, codes, 1, &closed), 1);
    assert_int_equal(codes[0], 431);
    assert_true(wait_closed(fd));
    close(fd);
    assert_int_equal(node_stop(&n), 0);
}

/* Accepts one connection within the bound and reads one whole message
 * (ending with the chunked terminator); returns the connection. */
static int accept_message(int lfd, char *got, size_t size)
{
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, BOUND_MS), 1);
    int in = accept(lfd, NULL, NULL);
    assert_true(in >= 0);
    size_t len = 0;
    got[0] = '\0';
    while (!strstr(got, "\r\n0\r\n\r\n")) {
        struct pollfd q = {.fd = in, .events = POLLIN};
        assert_int_equal(poll(&q, 1, BOUND_MS), 1);
        ssize_t r = read(in, got + len, size - len - 1);
        assert_true(r > 0);
        len += (size_t)r;
        got[len] = '\0';
    }
    return in;
}

static void test_stale_half_closed_connection_is_replaced_on_next_send(void **state)
{
    node_t n;
    node_serve(&n);
    unsigned lport;
    int lfd = tcp_listen(&lport);
    int fd = tcp_connect(n.port);
    char req[256], got[2048];
    snprintf(req, sizeof req,
             "POST /echo/ping HTTP/1.1\r\nLibprocess-From: me@127.0.0.1:%u\r\n"
             "Content-Length: 3\r\n\r\none",
             lport);
    send_all(fd, req);
    int in = accept_message(lfd, got, sizeof got);
    assert_non_null(strstr(got, "\r\n3\r\none\r\n"));
    /* We close our end: the node's connection to us is now stale. */
    close(in);
    snprintf(req, sizeof req,
             "POST /echo/ping HTTP/1.1\r\nLibprocess-From: me@127.0.0.1:%u\r\n"
             "Content-Length: 3\r\n\r\ntwo",
             lport);
    send_all(fd, req);
    in = accept_message(lfd, got, sizeof got);
    assert_non_null(strstr(got, "\r\n3\r\ntwo\r\n"));
    close(in);
    close(fd);
    close(lfd);
    assert_int_equal(node_stop(&n), 0);
}

static void test_sender_ip_must_match_peer_when_required(void **state)
{
    node_t n;
    next_env = "LIBPROCESS_REQUIRE_PEER_ADDRESS_IP_MATCH=true";
    node_serve(&n);
    int fd = tcp_connect(n.port);
    send_all(fd, "POST /echo/seq HTTP/1.1\r\nLibprocess-From: x@10.9.8.7:1\r\n\r\n"
                 "POST /echo/seq HTTP/1.1\r\nLibprocess-From: x@127.0.0.1:1\r\n\r\n");
    int codes[2], closed;
    assert_int_equal(read_statuses(fd, codes, 2, &closed), 2);
    assert_int_equal(codes[0], 400);
    assert_int_equal(codes[1], 202);
    close(fd);
    assert_int_equal(node_stop(&n), 0);
}

static void test_connections_over_the_limit_get_503_and_close(void **state)
{
    node_t n;
    next_env = "CPROC_MAX_CONNECTIONS=2";
    node_serve(&n);
    int a = tcp_connect(n.port), b = tcp_connect(n.port);
    int codes[1], closed;
    send_all(a, "GET /help HTTP/1.1\r\n\r\n");
    assert_int_equal(read_statuses(a, codes, 1, &closed), 1);
    send_all(b, "GET /help HTTP/1.1\r\n\r\n");
    assert_int_equal(read_statuses(b, codes, 1, &closed), 1);
    int c = tcp_connect(n.port);
    assert_int_equal(read_statuses(c, codes, 1, &closed), 1);
    assert_int_equal(codes[0], 503);
    assert_true(wait_closed(c));
    close(c);
    close(a);
    close(b);
    assert_int_equal(node_stop(&n), 0);
}

static void test_body_over_the_limit_gets_413_and_close(void **state)
{
    node_t n;
    next_env = "CPROC_MAX_BODY_SIZE=1024"; /* the smallest allowed */
    node_serve(&n);
    int fd = tcp_connect(n.port);
    send_all(fd, "POST /echo/seq HTTP/1.1\r\nLibprocess-From: x@127.0.0.1:1\r\n"
                 "Content-Length: 1025\r\n\r\n");
    int codes[1], closed;
    assert_int_equal(read_statuses(fd, codes, 1, &closed), 1);
    assert_int_equal(codes[0], 413);
    assert_true(wait_closed(fd));
    close(fd);
    assert_int_equal(node_stop(&n), 0);
}

static void test_message_received_before_reset_is_delivered(void **state)
{
    node_t n;
    node_serve(&n);
    unsigned lport;
    int lfd = tcp_listen(&lport);
    int fd = tcp_connect(n.port);
    char req[256], got[2048];
    snprintf(req, sizeof req,
             "POST /echo/ping HTTP/1.1\r\nLibprocess-From: me@127.0.0.1:%u\r\n"
             "Content-Length: 4\r\n\r\nlast",
             lport);
    send_all(fd, req);
    /* Reset right after the message, as a libprocess peer whose queue
     * drained may do. */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    int in = accept_message(lfd, got, sizeof got);
    assert_non_null(strstr(got, "\r\n4\r\nlast\r\n"));
    close(in);
    close(lfd);
    assert_int_equal(node_stop(&n), 0);
}

static void test_request_asking_to_close_is_answered_then_closed(void **state)
{
    node_t n;
    node_serve(&n);
    int fd = tcp_connect(n.port);
    send_all(fd, "POST /echo/seq HTTP/1.1\r\nLibprocess-From: x@127.0.0.1:1\r\n"
                 "Connection: close\r\n\r\n"
                 "GET /help HTTP/1.1\r\n\r\n");
    int codes[2], closed;
    assert_int_equal(read_statuses(fd, codes, 2, &closed), 1);
    assert_int_equal(codes[0], 202);
    assert_true(closed);
    close(fd);
    assert_int_equal(node_stop(&n), 0);
}

static void test_advertised_ip_is_what_peers_see(void **state)
{
    node_t n;
    next_env = "LIBPROCESS_ADVERTISE_IP=127.0.0.2";
    node_serve(&n);
    unsigned lport;
    int lfd = tcp_listen(&lport);
    int fd = tcp_connect(n.port);
    char req[256], got[2048], want[128];
    snprintf(req, sizeof req,
             "POST /echo/ping HTTP/1.1\r\nLibprocess-From: me@127.0.0.1:%u\r\n"
             "Content-Length: 1\r\n\r\nx",
             lport);
    send_all(fd, req);
    int in = accept_message(lfd, got, sizeof got);
    snprintf(want, sizeof want, "\r\nLibprocess-From: echo@127.0.0.2:%u\r\n", n.port);
    assert_non_null(strstr(got, want));
    close(in);
    close(fd);
    close(lfd);
    assert_int_equal(node_stop(&n), 0);
}

static void test_malformed_port_variable_stops_the_node(void **state)
{
    node_t n;
    next_env = "LIBPROCESS_PORT=http";
    node_start(&n, "serve", NULL, NULL);
    char buf[64];
    struct pollfd p = {.fd = n.out, .events = POLLIN};
    assert_int_equal(poll(&p, 1, BOUND_MS), 1);
    assert_int_equal(read(n.out, buf, sizeof buf), 0);
    int st = node_stop(&n);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
}

/* ---- TLS ------------------------------------------------------------- */

/* The certificates: see tests/support/pki.h. */
static test_pki_t pki;
static char env_on[] = "LIBPROCESS_SSL_ENABLED=true";
static char env_verify[] = "LIBPROCESS_SSL_VERIFY_CERT=true";
static char env_ca[160], env_cert[160], env_key[160], env_bad_cert[160], env_bad_key[160];

static int make_pki(void **state)
{
    if (test_pki_make(&pki) != 0)
        return -1;
    snprintf(env_ca, sizeof env_ca, "LIBPROCESS_SSL_CA_FILE=%s", pki.ca_pem);
    snprintf(env_cert, sizeof env_cert, "LIBPROCESS_SSL_CERT_FILE=%s", pki.server_cert);
    snprintf(env_key, sizeof env_key, "LIBPROCESS_SSL_KEY_FILE=%s", pki.server_key);
    snprintf(env_bad_cert, sizeof env_bad_cert, "LIBPROCESS_SSL_CERT_FILE=%s", pki.bad_cert);
    snprintf(env_bad_key, sizeof env_bad_key, "LIBPROCESS_SSL_KEY_FILE=%s", pki.bad_key);
    return 0;
}

static int remove_pki(void **state)
{
    test_pki_remove(&pki);
    return 0;
}

static void tls_env(bool bad)
{
    next_envs[0] = env_on;
    next_envs[1] = env_verify;
    next_envs[2] = env_ca;
    next_envs[3] = bad ? env_bad_cert : env_cert;
    next_envs[4] = bad ? env_bad_key : env_key;
}

static void test_tls_nodes_exchange_messages_both_ways(void **state)
{
    node_t s, c;
    tls_env(false);
    node_serve(&s);
    char to[64], line[128];
    snprintf(to, sizeof to, "echo@127.0.0.1:%u", s.port);
    tls_env(false);
    node_start(&c, "ping", to, NULL);
    node_line(&c, line, sizeof line);
    assert_string_equal(line, "pong hello");
    assert_int_equal(node_stop(&c), 0);
    assert_int_equal(node_stop(&s), 0);
}

static void test_tls_node_with_untrusted_certificate_is_refused(void **state)
{
    node_t s, l;
    tls_env(true);
    node_serve(&s);
    char to[64], line[128];
    snprintf(to, sizeof to, "echo@127.0.0.1:%u", s.port);
    tls_env(false);
    node_start(&l, "link", to, NULL);
    node_line(&l, line, sizeof line);
    assert_string_equal(line, "linked");
    /* The handshake fails verification: the link's connection is lost. */
    node_line(&l, line, sizeof line);
    assert_string_equal(line, "exited echo");
    assert_int_equal(node_stop(&l), 0);
    assert_int_equal(node_stop(&s), 0);
}

static void test_plain_request_to_tls_node_gets_no_answer_in_clear(void **state)
{
    node_t s;
    tls_env(false);
    node_serve(&s);
    int fd = tcp_connect(s.port);
    send_all(fd, "GET /help HTTP/1.1\r\n\r\n");
    char buf[256];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, BOUND_MS), 1);
    ssize_t r = read(fd, buf, sizeof buf - 1);
    assert_true(r <= 0 || memcmp(buf, "HTTP/1.1 200", r < 12 ? (size_t)r : 12) != 0);
    close(fd);
    assert_int_equal(node_stop(&s), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_accepts_user_agent_only_message_with_content_length),
        cmocka_unit_test(test_node_accepts_libprocess_from_only_chunked_message),
        cmocka_unit_test(test_node_answers_pipelined_requests_in_order),
        cmocka_unit_test(test_node_answers_garbage_with_400_and_closes),
        cmocka_unit_test(test_node_sends_exact_libprocess_bytes),
        cmocka_unit_test(test_two_nodes_exchange_messages_both_ways),
        cmocka_unit_test(test_100000_messages_arrive_in_order),
        cmocka_unit_test(test_remote_link_gives_exited_when_peer_is_killed_and_relink_again),
        cmocka_unit_test(test_http_routes_answer_pipelined_requests_in_order),
        cmocka_unit_test(test_builtin_endpoints_list_routes_processes_and_metrics),
        cmocka_unit_test(test_oversized_header_is_refused_with_431_and_closed),
        cmocka_unit_test(test_stale_half_closed_connection_is_replaced_on_next_send),
        cmocka_unit_test(test_sender_ip_must_match_peer_when_required),
        cmocka_unit_test(test_connections_over_the_limit_get_503_and_close),
        cmocka_unit_test(test_body_over_the_limit_gets_413_and_close),
        cmocka_unit_test(test_message_received_before_reset_is_delivered),
        cmocka_unit_test(test_request_asking_to_close_is_answered_then_closed),
        cmocka_unit_test(test_advertised_ip_is_what_peers_see),
        cmocka_unit_test(test_malformed_port_variable_stops_the_node),
    };
    const struct CMUnitTest tls_tests[] = {
        cmocka_unit_test(test_tls_nodes_exchange_messages_both_ways),
        cmocka_unit_test(test_tls_node_with_untrusted_certificate_is_refused),
        cmocka_unit_test(test_plain_request_to_tls_node_gets_no_answer_in_clear),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return failed + cmocka_run_group_tests_name("tls", tls_tests, make_pki, remove_pki);
}

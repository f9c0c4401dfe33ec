/* Call replies lost with a breaking connection arrive anyway: the server
 * node keeps each reply until the caller's node answers it, and sends it
 * again on a new connection when the one that carried it breaks first
 * (runtime/src/transport/resend.h, docs/wire.md "Typed rpcs").
 *
 * The other side of each call is a fake node made of raw sockets, driven
 * from the test thread: it sends a Cproc-Call request to this node's
 * server process, accepts the connection the node opens back to it, and
 * breaks that connection (RST) or closes it as each case needs. Every wait
 * is a poll with a bound; nothing is timed.
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
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cproc/cproc.h"
#include "transport/limits.h"
#include "transport/resend.h"
#include "transport/transport_internal.h"
#include "node.h"

#define BOUND_MS 60000
#define T        cp__transport

/* ---- a message type that is its text ------------------------------------ */

static size_t text_size(const void *msg)
{
    return strlen(msg);
}

static size_t text_pack(const void *msg, uint8_t *out)
{
    size_t n = strlen(msg);
    memcpy(out, msg, n);
    return n;
}

static void *text_unpack(const void *body, size_t len)
{
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, body, len);
        s[len] = '\0';
    }
    return s;
}

static const cp_msgtype_t text_type = {"t.Text", text_size, text_pack, text_unpack, free};
static const cp_rpc_def_t echo_def = {"Echo", &text_type, &text_type};

/* The server: Echo answers "echo:" and the request. */
static cp_future_t *echo(cp_process_t *self, const cp_upid_t *caller, const void *request,
                         void *arg)
{
    const char *in = request;
    char *out = malloc(strlen(in) + 6);
    sprintf(out, "echo:%s", in);
    return cp_future_ready(out, free);
}

static void srv_init(cp_process_t *self)
{
    assert_int_equal(cp_process_install_rpc(self, &echo_def, 0, echo, NULL, NULL), 0);
}

static const cp_process_ops_t srv_ops = {.initialize = srv_init};

/* ---- raw sockets ---------------------------------------------------------- */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int accept_one(int lfd)
{
    struct pollfd pf = {.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&pf, 1, BOUND_MS), 1);
    int fd = accept(lfd, NULL, NULL);
    assert_true(fd >= 0);
    return fd;
}

/* Closes with a reset: whatever the node wrote and this side did not read
 * is gone. */
static void reset(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    close(fd);
}

/* One HTTP message read off a connection. */
typedef struct msg {
    char start[256]; /* the first line */
    char head[4096]; /* the header lines, NUL-terminated */
    char body[4096];
    size_t body_len;
} msg_t;

typedef struct reader {
    int fd;
    char buf[16384];
    size_t len;
} reader_t;

static void reader_fill(reader_t *r)
{
    uint64_t end = now_ms() + BOUND_MS;
    for (;;) {
        struct pollfd pf = {.fd = r->fd, .events = POLLIN};
        assert_true(now_ms() < end);
        if (poll(&pf, 1, 100) != 1)
            continue;
        assert_true(r->len < sizeof r->buf);
        ssize_t n = recv(r->fd, r->buf + r->len, sizeof r->buf - r->len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        assert_true(n > 0); /* the node did not close */
        r->len += (size_t)n;
        return;
    }
}

static void reader_take(reader_t *r, size_t n)
{
    memmove(r->buf, r->buf + n, r->len - n);
    r->len -= n;
}

/* The value of header `name` in m (case-insensitive), copied to out. */
static bool header(const msg_t *m, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *line = m->head; *line;) {
        const char *eol = strstr(line, "\r\n");
        if (!eol)
            break;
        if ((size_t)(eol - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(out, cap, "%.*s", (int)(eol - v), v);
            return true;
        }
        line = eol + 2;
    }
    return false;
}

/* Reads one request or response: Content-Length, a chunked body (as the
 * node writes messages) or no body. */
static void read_msg(reader_t *r, msg_t *m)
{
    char *end;
    while ((end = memmem(r->buf, r->len, "\r\n\r\n", 4)) == NULL)
        reader_fill(r);
    size_t hlen = (size_t)(end - r->buf) + 4;
    char *eol = memmem(r->buf, hlen, "\r\n", 2);
    snprintf(m->start, sizeof m->start, "%.*s", (int)(eol - r->buf), r->buf);
    size_t rest = hlen - (size_t)(eol + 2 - r->buf) - 2; /* header lines, each ending \r\n */
    assert_true(rest < sizeof m->head);
    memcpy(m->head, eol + 2, rest);
    m->head[rest] = '\0';
    reader_take(r, hlen);
    char v[64];
    m->body_len = 0;
    if (header(m, "Content-Length", v, sizeof v)) {
        size_t n = strtoul(v, NULL, 10);
        assert_true(n < sizeof m->body);
        while (r->len < n)
            reader_fill(r);
        memcpy(m->body, r->buf, n);
        m->body_len = n;
        reader_take(r, n);
    } else if (header(m, "Transfer-Encoding", v, sizeof v)) {
        for (;;) {
            while ((eol = memmem(r->buf, r->len, "\r\n", 2)) == NULL)
                reader_fill(r);
            size_t n = strtoul(r->buf, NULL, 16);
            reader_take(r, (size_t)(eol - r->buf) + 2);
            while (r->len < n + 2)
                reader_fill(r);
            assert_true(m->body_len + n < sizeof m->body);
            memcpy(m->body + m->body_len, r->buf, n);
            m->body_len += n;
            reader_take(r, n + 2);
            if (n == 0)
                break;
        }
    }
    m->body[m->body_len] = '\0';
}

/* ---- the fake node -------------------------------------------------------- */

typedef struct fake {
    int lfd; /* where the node connects back */
    uint16_t port;
    int out; /* the fake's connection to the node */
    reader_t answers;
} fake_t;

static void fake_open(fake_t *f)
{
    f->lfd = test_node_listen(&f->port);
    f->out = test_node_connect();
    f->answers.fd = f->out;
    f->answers.len = 0;
}

static void fake_close(fake_t *f)
{
    close(f->out);
    close(f->lfd);
}

/* Sends call `id` (Echo with `text`) from the fake's __calls__ to srv and
 * reads the node's 202 for it. */
static void fake_call(fake_t *f, uint64_t id, const char *text)
{
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    char req[1024];
    int n =
        snprintf(req, sizeof req,
                 "POST /srv/t.Text HTTP/1.1\r\nUser-Agent: libprocess/__calls__@127.0.0.1:%u\r\n"
                 "Libprocess-From: __calls__@127.0.0.1:%u\r\nConnection: Keep-Alive\r\n"
                 "Host: 127.0.0.1:%u\r\nCproc-Call: %llu\r\nCproc-Method: Echo\r\n"
                 "Content-Length: %zu\r\n\r\n%s",
                 (unsigned)f->port, (unsigned)f->port, (unsigned)port, (unsigned long long)id,
                 strlen(text), text);
    test_node_send_all(f->out, req, (size_t)n);
    msg_t m;
    read_msg(&f->answers, &m);
    assert_string_equal(m.start, "HTTP/1.1 202 Accepted");
}

/* Reads the next message on a connection from the node and checks it is
 * the ok reply to call `id` with body `want`. */
static void expect_reply(reader_t *r, uint64_t id, const char *want)
{
    msg_t m;
    read_msg(r, &m);
    assert_string_equal(m.start, "POST /__calls__/t.Text HTTP/1.1");
    char v[64], idtext[32];
    snprintf(idtext, sizeof idtext, "%llu", (unsigned long long)id);
    assert_true(header(&m, "Cproc-Reply", v, sizeof v));
    assert_string_equal(v, idtext);
    assert_true(header(&m, "Cproc-Status", v, sizeof v));
    assert_string_equal(v, "ok");
    assert_true(header(&m, "Libprocess-From", v, sizeof v));
    assert_true(strncmp(v, "srv@", 4) == 0);
    assert_string_equal(m.body, want);
}

static void answer_202(int fd)
{
    static const char ok[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
    test_node_send_all(fd, ok, sizeof ok - 1);
}

static bool lost_reaches(uint64_t n)
{
    uint64_t end = now_ms() + BOUND_MS;
    while (atomic_load(&T.connections_lost) < n) {
        if (now_ms() > end)
            return false;
        poll(NULL, 0, 2);
    }
    return true;
}

/* ---- fixtures ------------------------------------------------------------- */

static int setup(void **state)
{
    setenv("LIBPROCESS_IP", "127.0.0.1", 1);
    setenv("LIBPROCESS_PORT", "0", 1);
    assert_int_equal(cp_runtime_start(NULL), 0);
    assert_int_equal(cp_process_spawn("srv", &srv_ops, NULL, NULL), 0);
    return 0;
}

static int teardown(void **state)
{
    cp_runtime_stop();
    unsetenv("CPROC_REPLY_RESEND_BYTES");
    return 0;
}

/* ---- the server's side ------------------------------------------------------ */

/* The reply is written, then its connection is reset before anyone reads
 * it: the node sends it again on its next connection, and the call's
 * next reply follows on that one. */
static void test_reply_lost_to_a_reset_arrives_on_the_next_connection(void **state)
{
    uint64_t resent = atomic_load(&cp__limits_stats.replies_resent);
    fake_t f;
    fake_open(&f);
    fake_call(&f, 5, "hello");
    reader_t a = {.fd = accept_one(f.lfd)};
    expect_reply(&a, 5, "echo:hello");
    reset(a.fd); /* as if the reply had never been read */
    reader_t b = {.fd = accept_one(f.lfd)};
    expect_reply(&b, 5, "echo:hello");
    assert_int_equal(atomic_load(&cp__limits_stats.replies_resent), resent + 1);
    answer_202(b.fd);
    fake_call(&f, 6, "again");
    expect_reply(&b, 6, "echo:again");
    answer_202(b.fd);
    close(b.fd);
    fake_close(&f);
}

/* Reset right after the request line arrived: the same. */
static void test_reset_after_the_first_bytes(void **state)
{
    fake_t f;
    fake_open(&f);
    fake_call(&f, 9, "x");
    reader_t a = {.fd = accept_one(f.lfd)};
    while (!memmem(a.buf, a.len, "\r\n", 2))
        reader_fill(&a);
    reset(a.fd);
    reader_t b = {.fd = accept_one(f.lfd)};
    expect_reply(&b, 9, "echo:x");
    answer_202(b.fd);
    close(b.fd);
    fake_close(&f);
}

/* A reply the caller's node answered is not sent again: after a clean
 * close, the next connection starts with the next reply. */
static void test_answered_reply_is_not_sent_again(void **state)
{
    uint64_t lost = atomic_load(&T.connections_lost);
    fake_t f;
    fake_open(&f);
    fake_call(&f, 1, "one");
    reader_t a = {.fd = accept_one(f.lfd)};
    expect_reply(&a, 1, "echo:one");
    answer_202(a.fd);
    /* The node reads the answer before the end of the stream. */
    shutdown(a.fd, SHUT_WR);
    assert_true(lost_reaches(lost + 1));
    close(a.fd);
    fake_call(&f, 2, "two");
    reader_t b = {.fd = accept_one(f.lfd)};
    expect_reply(&b, 2, "echo:two");
    answer_202(b.fd);
    close(b.fd);
    fake_close(&f);
}

/* A node that takes the connection and resets it every time, answering
 * nothing: the reply goes out CP__RESEND_ROUNDS more times, then is
 * dropped; the next call's reply comes first on the next connection. */
static void test_a_peer_that_never_answers_gets_a_bounded_number_of_tries(void **state)
{
    uint64_t lost = atomic_load(&T.connections_lost);
    uint64_t resent = atomic_load(&cp__limits_stats.replies_resent);
    uint64_t given_up = atomic_load(&cp__limits_stats.replies_given_up);
    fake_t f;
    fake_open(&f);
    fake_call(&f, 3, "lost");
    for (int i = 0; i <= CP__RESEND_ROUNDS; i++) {
        reader_t a = {.fd = accept_one(f.lfd)};
        expect_reply(&a, 3, "echo:lost");
        reset(a.fd);
    }
    /* The node saw the last reset, and gave up then. */
    assert_true(lost_reaches(lost + CP__RESEND_ROUNDS + 1));
    assert_int_equal(atomic_load(&cp__limits_stats.replies_resent), resent + CP__RESEND_ROUNDS);
    assert_int_equal(atomic_load(&cp__limits_stats.replies_given_up), given_up + 1);
    fake_call(&f, 4, "next");
    reader_t b = {.fd = accept_one(f.lfd)};
    expect_reply(&b, 4, "echo:next");
    answer_202(b.fd);
    close(b.fd);
    fake_close(&f);
}

/* CPROC_REPLY_RESEND_BYTES=0: nothing is kept, a reset loses the reply
 * (libprocess's behaviour), and the next reply starts the next connection. */
static void test_resending_can_be_turned_off(void **state)
{
    cp_runtime_stop();
    setenv("CPROC_REPLY_RESEND_BYTES", "0", 1);
    setup(state);
    uint64_t lost = atomic_load(&T.connections_lost);
    fake_t f;
    fake_open(&f);
    fake_call(&f, 7, "gone");
    reader_t a = {.fd = accept_one(f.lfd)};
    expect_reply(&a, 7, "echo:gone");
    reset(a.fd);
    assert_true(lost_reaches(lost + 1));
    fake_call(&f, 8, "here");
    reader_t b = {.fd = accept_one(f.lfd)};
    expect_reply(&b, 8, "echo:here");
    answer_202(b.fd);
    close(b.fd);
    fake_close(&f);
}

/* ---- the caller's side ------------------------------------------------------ */

/* This node calls the fake; the fake reads the request on the connection
 * the node opened, then answers from its own connection. */
typedef struct callee {
    int lfd;
    uint16_t port;
    reader_t in; /* the node's connection to the fake */
} callee_t;

static cp_upid_t callee_pid(const callee_t *c)
{
    cp_upid_t to = {.ip = 0x7f000001, .port = c->port};
    snprintf(to.id, sizeof to.id, "fake");
    return to;
}

/* Reads the node's request; returns its call id. */
static uint64_t callee_take_call(callee_t *c, const char *want_body)
{
    msg_t m;
    read_msg(&c->in, &m);
    assert_string_equal(m.start, "POST /fake/t.Text HTTP/1.1");
    char v[64];
    assert_true(header(&m, "Cproc-Method", v, sizeof v));
    assert_string_equal(v, "Echo");
    assert_true(header(&m, "Cproc-Call", v, sizeof v));
    assert_string_equal(m.body, want_body);
    answer_202(c->in.fd);
    return strtoull(v, NULL, 10);
}

static void send_reply(int fd, reader_t *answers, uint64_t id, const char *body)
{
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    char buf[1024];
    int n =
        snprintf(buf, sizeof buf,
                 "POST /__calls__/t.Text HTTP/1.1\r\nUser-Agent: libprocess/fake@127.0.0.1:1\r\n"
                 "Libprocess-From: fake@127.0.0.1:1\r\nConnection: Keep-Alive\r\n"
                 "Host: 127.0.0.1:%u\r\nCproc-Reply: %llu\r\nCproc-Status: ok\r\n"
                 "Content-Length: %zu\r\n\r\n%s",
                 (unsigned)port, (unsigned long long)id, strlen(body), body);
    test_node_send_all(fd, buf, (size_t)n);
    msg_t m;
    read_msg(answers, &m);
    assert_string_equal(m.start, "HTTP/1.1 202 Accepted");
}

/* A reply that arrives again after its call completed (a server node
 * re-sending it) is ignored: one completion, nothing left behind (the
 * sanitizers check the memory), and later calls are unaffected. */
static void test_a_reply_sent_twice_completes_its_call_once(void **state)
{
    callee_t c;
    c.lfd = test_node_listen(&c.port);
    cp_upid_t to = callee_pid(&c);
    cp_future_t *f = cp_call(&to, &echo_def, "q1", NULL, NULL);
    c.in = (reader_t){.fd = accept_one(c.lfd)};
    uint64_t id = callee_take_call(&c, "q1");
    /* Ids start at random (below 2^63), not at 1: a node restarted at the
     * same address does not reuse them. (Below 2^20 by chance: 2^-43.) */
    assert_true(id > (1u << 20));
    int back = test_node_connect();
    reader_t answers = {.fd = back};
    send_reply(back, &answers, id, "r1");
    CP_AWAIT_READY(f);
    assert_string_equal(cp_future_value(f), "r1");
    /* The same reply again, twice, then a second call answered once: the
     * node handles the duplicates before that answer (one connection, one
     * calls process, in order). */
    send_reply(back, &answers, id, "r1-again");
    send_reply(back, &answers, id, "r1-again");
    cp_future_t *g = cp_call(&to, &echo_def, "q2", NULL, NULL);
    uint64_t id2 = callee_take_call(&c, "q2");
    assert_true(id2 != id);
    send_reply(back, &answers, id2, "r2");
    CP_AWAIT_READY(g);
    assert_string_equal(cp_future_value(g), "r2");
    assert_string_equal(cp_future_value(f), "r1");
    assert_int_equal(cp_call_pending(), 0);
    cp_future_unref(f);
    cp_future_unref(g);
    close(back);
    close(c.in.fd);
    close(c.lfd);
}

/* The opposite direction: a request written and then lost with the
 * caller node's own connection (the callee resets it) fails its call at
 * once with "node ip:port unreachable", not at its deadline. */
static void test_a_request_lost_with_its_connection_fails_the_call(void **state)
{
    callee_t c;
    c.lfd = test_node_listen(&c.port);
    cp_upid_t to = callee_pid(&c);
    cp_call_opts_t opts = {.timeout_ns = 3600ull * 1000000000ull}; /* only the loss ends it */
    cp_future_t *f = cp_call(&to, &echo_def, "q", NULL, &opts);
    c.in = (reader_t){.fd = accept_one(c.lfd)};
    msg_t m;
    read_msg(&c.in, &m);
    assert_string_equal(m.start, "POST /fake/t.Text HTTP/1.1");
    reset(c.in.fd);
    CP_AWAIT_FAILED(f);
    char want[64];
    snprintf(want, sizeof want, "node 127.0.0.1:%u unreachable", (unsigned)c.port);
    assert_string_equal(cp_future_failure(f), want);
    cp_future_unref(f);
    assert_int_equal(cp_call_pending(), 0);
    close(c.lfd);
}

/* ---- the bookkeeping alone -------------------------------------------------- */

/* Queues one message the way the transport does: the next number, its
 * bytes on the peer's queue, a copy kept when it is a reply. */
static void queue(cp__resend_t *r, cp__buf_t *pending, size_t *msgs, const char *bytes, bool reply)
{
    cp__buf_append(pending, bytes, strlen(bytes));
    (*msgs)++;
    r->seq_next++;
    if (reply) {
        cp__kept_t *k = cp__resend_copy(bytes, strlen(bytes));
        assert_non_null(k);
        cp__resend_add(r, k);
    }
}

/* The bookkeeping tests run without a runtime: the bound is set here. */
static int bound_setup(void **state)
{
    cp__limits.resend_bytes = CP__RESEND_DEFAULT_BYTES;
    return 0;
}

/* Hands the whole queue to a connection. */
static void hand(cp__buf_t *pending, size_t *msgs)
{
    pending->len = 0;
    *msgs = 0;
}

static void assert_queue(const cp__buf_t *pending, const char *want)
{
    assert_int_equal(pending->len, strlen(want));
    assert_memory_equal(pending->data, want, pending->len);
}

/* Written: A R1 B (numbers 0 1 2); queued: R2 C (3 4). A connection lost
 * sends R1 R2 again and drops C; one replaced on purpose (relink) sends R1
 * again ahead of R2 C. The new numbers are what answers count. */
static void test_requeue_orders_and_numbers_the_replies(void **state)
{
    for (int lost = 0; lost <= 1; lost++) {
        cp__resend_t r = {0};
        cp__buf_t pending;
        cp__buf_init(&pending);
        size_t msgs = 0;
        queue(&r, &pending, &msgs, "A", false);
        queue(&r, &pending, &msgs, "R1", true);
        queue(&r, &pending, &msgs, "B", false);
        hand(&pending, &msgs);
        queue(&r, &pending, &msgs, "R2", true);
        queue(&r, &pending, &msgs, "C", false);
        cp__requeue_t rq = cp__resend_requeue(&r, &pending, &msgs, lost);
        assert_int_equal(rq.given_up, 0);
        assert_int_equal(rq.again, 1); /* R1 goes out a second time */
        if (lost) {
            assert_queue(&pending, "R1R2");
            assert_int_equal(msgs, 2);
            assert_int_equal(rq.resent, 2);
            assert_int_equal(rq.dropped, 1); /* C */
        } else {
            assert_queue(&pending, "R1R2C");
            assert_int_equal(msgs, 3);
            assert_int_equal(rq.resent, 1);
            assert_int_equal(rq.dropped, 0);
        }
        /* Renumbered from 5 on: an answer to the first message on the
         * next connection (number 5) confirms R1, the second R2. */
        assert_int_equal(r.seq_next, 5 + msgs);
        size_t one = r.bytes / 2;
        cp__resend_answered(&r, 6);
        assert_int_equal(r.bytes, one);
        cp__resend_answered(&r, 7);
        assert_int_equal(r.bytes, 0);
        assert_null(r.head);
        cp__buf_close(&pending);
    }
}

/* Lost 4 times in a row with no answer: the kept reply is dropped; an
 * answer in between starts the count again. */
static void test_requeue_gives_up_after_the_rounds(void **state)
{
    cp__resend_t r = {0};
    cp__buf_t pending;
    cp__buf_init(&pending);
    size_t msgs = 0;
    queue(&r, &pending, &msgs, "R1", true);
    for (int i = 0; i < CP__RESEND_ROUNDS; i++) {
        hand(&pending, &msgs);
        cp__requeue_t rq = cp__resend_requeue(&r, &pending, &msgs, true);
        assert_int_equal(rq.resent, 1);
        assert_queue(&pending, "R1");
    }
    hand(&pending, &msgs);
    cp__requeue_t rq = cp__resend_requeue(&r, &pending, &msgs, true);
    assert_int_equal(rq.resent, 0);
    assert_int_equal(rq.given_up, 1);
    assert_int_equal(rq.dropped, 0); /* written: counted as sent already */
    assert_int_equal(msgs, 0);
    assert_null(r.head);
    assert_int_equal(r.bytes, 0);
    /* With an answer read in between, the count starts again. */
    queue(&r, &pending, &msgs, "R2", true);
    for (int i = 0; i < CP__RESEND_ROUNDS; i++) {
        hand(&pending, &msgs);
        assert_int_equal(cp__resend_requeue(&r, &pending, &msgs, true).resent, 1);
    }
    cp__resend_answered(&r, 0); /* an answer to an older message */
    hand(&pending, &msgs);
    assert_int_equal(cp__resend_requeue(&r, &pending, &msgs, true).resent, 1);
    assert_queue(&pending, "R2");
    cp__resend_clear(&r);
    cp__buf_close(&pending);
}

/* The bound: the oldest copies go; a reply larger than the bound alone is
 * not kept. */
static void test_kept_bytes_stay_within_the_bound(void **state)
{
    cp__limits.resend_bytes = 2 * (64 + 10); /* two 10-byte replies */
    cp__resend_t r = {0};
    cp__buf_t pending;
    cp__buf_init(&pending);
    size_t msgs = 0;
    queue(&r, &pending, &msgs, "0123456789", true);
    queue(&r, &pending, &msgs, "abcdefghij", true);
    assert_int_equal(r.bytes, 2 * (64 + 10));
    queue(&r, &pending, &msgs, "ABCDEFGHIJ", true);
    assert_int_equal(r.bytes, 2 * (64 + 10));
    assert_null(cp__resend_copy("far too long for the bound: more than 148 bytes, which is the "
                                "bound set just above in this very test, so it is refused here "
                                "and now.",
                                150));
    hand(&pending, &msgs);
    cp__requeue_t rq = cp__resend_requeue(&r, &pending, &msgs, true);
    assert_int_equal(rq.resent, 2);
    assert_queue(&pending, "abcdefghijABCDEFGHIJ");
    cp__resend_clear(&r);
    cp__buf_close(&pending);
}

/* Answers parsed off the wire, split anywhere; more answers than messages
 * confirm only the messages handed. */
static void test_answers_are_counted_across_reads(void **state)
{
    cp__answers_t a;
    cp__answers_init(&a);
    uint64_t upto = 0;
    static const char two[] = "HTTP/1.1 202 Accepted\r\nDate: x\r\nContent-Length: 0\r\n\r\n"
                              "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\n"
                              "Connection: close\r\n\r\nbody";
    assert_false(cp__answers_read(&a, two, 10, &upto)); /* nothing handed yet */
    cp__answers_init(&a);
    cp__answers_handed(&a, 40, 1);
    cp__answers_handed(&a, 99, 2); /* the first number stays 40 */
    assert_false(cp__answers_read(&a, two, 10, &upto));
    assert_true(cp__answers_read(&a, two + 10, 60, &upto));
    assert_int_equal(upto, 41);
    assert_true(cp__answers_read(&a, two + 70, sizeof two - 1 - 70, &upto));
    assert_int_equal(upto, 42);
    cp__answers_init(&a);
    cp__answers_handed(&a, 7, 1);
    static const char three[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
                                "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
    assert_true(cp__answers_read(&a, three, sizeof three - 1, &upto));
    assert_int_equal(upto, 8);
    /* Not HTTP: counting stops. */
    cp__answers_init(&a);
    cp__answers_handed(&a, 0, 5);
    assert_false(cp__answers_read(&a, "garbage\r\n\r\n", 11, &upto));
    assert_false(cp__answers_read(&a, three, sizeof three - 1, &upto));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_requeue_orders_and_numbers_the_replies, bound_setup),
        cmocka_unit_test_setup(test_requeue_gives_up_after_the_rounds, bound_setup),
        cmocka_unit_test_setup(test_kept_bytes_stay_within_the_bound, bound_setup),
        cmocka_unit_test(test_answers_are_counted_across_reads),
        cmocka_unit_test_setup_teardown(test_reply_lost_to_a_reset_arrives_on_the_next_connection,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_after_the_first_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answered_reply_is_not_sent_again, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_a_peer_that_never_answers_gets_a_bounded_number_of_tries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resending_can_be_turned_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_reply_sent_twice_completes_its_call_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_request_lost_with_its_connection_fails_the_call,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

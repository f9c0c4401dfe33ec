/* TLS between real OS processes on 127.0.0.1: cproc nodes (cproc_node)
 * configured with LIBPROCESS_SSL_*, driven by this program as a TLS client
 * and server of its own (OpenSSL, blocking sockets with a receive/send
 * bound). The certificates are made here at test time. Every wait is
 * bounded; nothing sleeps. */
#include <arpa/inet.h>
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
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki.h"

#define BOUND_MS 60000

/* ---- the certificates: see tests/support/pki.h ---- */

static test_pki_t pki;

static int make_pki(void **state)
{
    return test_pki_make(&pki);
}

static int remove_pki(void **state)
{
    test_pki_remove(&pki);
    return 0;
}

/* ---- nodes ---- */

typedef struct node {
    pid_t pid;
    int in, out, err; /* its stdin, stdout, stderr */
    char buf[4096];
    size_t len;
    unsigned port;
} node_t;

static const char *node_path(void)
{
    const char *p = getenv("CPROC_NODE");
    return p ? p : "./cproc_node";
}

/* Starts `cproc_node MODE [ARG]` with the NULL-terminated "NAME=value"
 * list. */
static void node_run(node_t *n, char **env, const char *mode, const char *arg)
{
    int in[2], out[2], err[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    memset(n, 0, sizeof *n);
    n->pid = fork();
    assert_true(n->pid >= 0);
    if (n->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(in[1]);
        close(out[0]);
        close(err[0]);
        setenv("LIBPROCESS_IP", "127.0.0.1", 1);
        setenv("LIBPROCESS_PORT", "0", 1);
        setenv("LIBPROCESS_NUM_WORKER_THREADS", "2", 1);
        for (; *env; env++)
            putenv(*env);
        execl(node_path(), node_path(), mode, arg, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    n->in = in[1];
    n->out = out[0];
    n->err = err[0];
}

static void node_start(node_t *n, char **env)
{
    node_run(n, env, "serve", NULL);
}

/* Reads one line of the node's stdout. */
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

/* Reads the node's "ready PORT" line. */
static void node_ready(node_t *n)
{
    char line[64];
    node_line(n, line, sizeof line);
    assert_int_equal(sscanf(line, "ready %u", &n->port), 1);
}

/* Reads the node's stderr until `text` appears in it (true) or it ends. */
static bool node_stderr_has(node_t *n, const char *text)
{
    char log[16384];
    size_t len = 0;
    for (;;) {
        log[len] = '\0';
        if (strstr(log, text))
            return true;
        struct pollfd p = {.fd = n->err, .events = POLLIN};
        if (poll(&p, 1, BOUND_MS) != 1)
            return false;
        if (len == sizeof log - 1) {
            /* Keep the tail: the text may straddle the cut. */
            memmove(log, log + len / 2, len - len / 2);
            len -= len / 2;
        }
        ssize_t r = read(n->err, log + len, sizeof log - 1 - len);
        if (r <= 0)
            return false;
        len += (size_t)r;
    }
}

static int node_stop(node_t *n)
{
    int st = 0;
    close(n->in);
    close(n->out);
    close(n->err);
    assert_int_equal(waitpid(n->pid, &st, 0), n->pid);
    return st;
}

static char env_on[] = "LIBPROCESS_SSL_ENABLED=true";
static char env_verify[] = "LIBPROCESS_SSL_VERIFY_CERT=true";
static char env_require[] = "LIBPROCESS_SSL_REQUIRE_CERT=true";
static char env_downgrade[] = "CPROC_SSL_SUPPORT_DOWNGRADE=1";
static char env_log_warn[] = "CPROC_LOG=warn";
static char env_ca[160], env_cert[160], env_key[160];

/* A node with the CA's certificate, verifying its peers, running MODE. */
static void tls_node_run(node_t *n, char *extra1, char *extra2, const char *mode, const char *arg)
{
    snprintf(env_ca, sizeof env_ca, "LIBPROCESS_SSL_CA_FILE=%s", pki.ca_pem);
    snprintf(env_cert, sizeof env_cert, "LIBPROCESS_SSL_CERT_FILE=%s", pki.server_cert);
    snprintf(env_key, sizeof env_key, "LIBPROCESS_SSL_KEY_FILE=%s", pki.server_key);
    char *env[] = {env_on, env_verify, env_ca, env_cert, env_key, extra1, extra2, NULL};
    node_run(n, env, mode, arg);
}

static void tls_node(node_t *n, char *extra1, char *extra2)
{
    tls_node_run(n, extra1, extra2, "serve", NULL);
    node_ready(n);
}

/* ---- sockets and TLS from this side ---- */

static void bound_io(int fd)
{
    struct timeval tv = {.tv_sec = BOUND_MS / 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int tcp_connect(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(0x7f000001);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    bound_io(fd);
    return fd;
}

static int tcp_listen(unsigned *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(0x7f000001);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 8), 0);
    socklen_t l = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &l);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* A context presenting cert/key (none when NULL) that verifies its peer
 * against the test CA. */
static SSL_CTX *tls_ctx(bool server, const char *cert, const char *key)
{
    SSL_CTX *c = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    assert_non_null(c);
    if (cert) {
        assert_int_equal(SSL_CTX_use_certificate_chain_file(c, cert), 1);
        assert_int_equal(SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM), 1);
    }
    assert_int_equal(SSL_CTX_load_verify_locations(c, pki.ca_pem, NULL), 1);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    return c;
}

typedef struct conn {
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
} conn_t;

/* Connects to the node and runs the handshake; returns whether it
 * completed (a refusal by the server may show only on the first read with
 * TLS 1.3; the nodes here speak 1.2 by default, where it shows here). */
static bool tls_dial(conn_t *c, unsigned port, const char *cert, const char *key)
{
    c->ctx = tls_ctx(false, cert, key);
    c->fd = tcp_connect(port);
    c->ssl = SSL_new(c->ctx);
    assert_non_null(c->ssl);
    SSL_set_fd(c->ssl, c->fd);
    bool ok = SSL_connect(c->ssl) == 1;
    ERR_clear_error();
    return ok;
}

static void conn_close(conn_t *c)
{
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    close(c->fd);
}

static void tls_send(SSL *ssl, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        int chunk = len > 65536 ? 65536 : (int)len;
        int w = SSL_write(ssl, p, chunk);
        assert_true(w > 0);
        p += w;
        len -= (size_t)w;
    }
}

/* Reads into buf until `want` bytes are there in all, or the peer ends;
 * returns the total. */
static size_t tls_read_upto(SSL *ssl, char *buf, size_t have, size_t want)
{
    while (have < want) {
        int r = SSL_read(ssl, buf + have, want - have > 65536 ? 65536 : (int)(want - have));
        if (r <= 0)
            break;
        have += (size_t)r;
    }
    return have;
}

/* Sends GET /help over the connection and checks for a 200. */
static void expect_help_over_tls(SSL *ssl)
{
    const char *req = "GET /help HTTP/1.1\r\nHost: x\r\n\r\n";
    tls_send(ssl, req, strlen(req));
    char buf[16];
    size_t n = tls_read_upto(ssl, buf, 0, 12);
    assert_int_equal(n, 12);
    assert_memory_equal(buf, "HTTP/1.1 200", 12);
}

/* ---- tests ---- */

static void test_tls_node_serves_client_with_certificate(void **state)
{
    (void)state;
    node_t n;
    tls_node(&n, NULL, NULL);
    conn_t c;
    assert_true(tls_dial(&c, n.port, pki.client_cert, pki.client_key));
    assert_int_equal(SSL_get_verify_result(c.ssl), X509_V_OK);
    expect_help_over_tls(c.ssl);
    conn_close(&c);
    assert_int_equal(node_stop(&n), 0);
}

static void test_tls_nodes_requiring_certificates_exchange_messages(void **state)
{
    (void)state;
    node_t s, c;
    tls_node(&s, env_require, NULL);
    char to[64], line[128];
    snprintf(to, sizeof to, "echo@127.0.0.1:%u", s.port);
    /* ping's "ping" goes out on its TLS connection, echo's "pong" comes
     * back on one echo opens: both sides present and verify. */
    tls_node_run(&c, env_require, NULL, "ping", to);
    node_line(&c, line, sizeof line);
    assert_string_equal(line, "pong hello");
    assert_int_equal(node_stop(&c), 0);
    assert_int_equal(node_stop(&s), 0);
}

static void test_tls_require_cert_node_refuses_client_without_certificate(void **state)
{
    (void)state;
    node_t n;
    tls_node(&n, env_require, env_log_warn);
    conn_t c;
    assert_false(tls_dial(&c, n.port, NULL, NULL));
    conn_close(&c);
    /* Logged with OpenSSL's reason; the node goes on serving others. */
    assert_true(node_stderr_has(&n, "peer did not return a certificate"));
    assert_true(tls_dial(&c, n.port, pki.client_cert, pki.client_key));
    expect_help_over_tls(c.ssl);
    conn_close(&c);
    assert_int_equal(node_stop(&n), 0);
}

static void test_tls_verifying_node_refuses_client_with_untrusted_certificate(void **state)
{
    (void)state;
    node_t n;
    tls_node(&n, env_log_warn, NULL);
    conn_t c;
    assert_false(tls_dial(&c, n.port, pki.bad_cert, pki.bad_key));
    conn_close(&c);
    assert_true(node_stderr_has(&n, "certificate verify failed"));
    assert_int_equal(node_stop(&n), 0);
}

static void test_tls_client_refuses_node_with_untrusted_certificate(void **state)
{
    (void)state;
    node_t n;
    snprintf(env_cert, sizeof env_cert, "LIBPROCESS_SSL_CERT_FILE=%s", pki.bad_cert);
    snprintf(env_key, sizeof env_key, "LIBPROCESS_SSL_KEY_FILE=%s", pki.bad_key);
    char *env[] = {env_on, env_cert, env_key, NULL};
    node_start(&n, env);
    node_ready(&n);
    conn_t c;
    assert_false(tls_dial(&c, n.port, pki.client_cert, pki.client_key));
    assert_int_equal(SSL_get_verify_result(c.ssl), X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    conn_close(&c);
    assert_int_equal(node_stop(&n), 0);
}

static void test_tls_downgrade_node_accepts_plaintext_and_tls(void **state)
{
    (void)state;
    node_t n;
    tls_node(&n, env_downgrade, NULL);
    int fd = tcp_connect(n.port);
    const char *msg = "POST /echo/seq HTTP/1.1\r\nUser-Agent: libprocess/x@127.0.0.1:1\r\n"
                      "Content-Length: 1\r\n\r\n0";
    assert_int_equal(write(fd, msg, strlen(msg)), (ssize_t)strlen(msg));
    char buf[32];
    size_t got = 0;
    while (got < 12) {
        ssize_t r = read(fd, buf + got, 12 - got);
        assert_true(r > 0);
        got += (size_t)r;
    }
    assert_memory_equal(buf, "HTTP/1.1 202", 12);
    close(fd);
    conn_t c;
    assert_true(tls_dial(&c, n.port, pki.client_cert, pki.client_key));
    expect_help_over_tls(c.ssl);
    conn_close(&c);
    assert_int_equal(node_stop(&n), 0);
}

static void test_tls_garbage_closes_that_connection_only(void **state)
{
    (void)state;
    node_t n;
    tls_node(&n, env_log_warn, NULL);
    conn_t good;
    assert_true(tls_dial(&good, n.port, pki.client_cert, pki.client_key));
    int fd = tcp_connect(n.port);
    /* A handshake record header with nonsense inside. */
    static const unsigned char junk[] = {0x16, 0x03, 0x01, 0x00, 0x10, 0xde, 0xad, 0xbe, 0xef, 0x00,
                                         0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                                         0x0b};
    assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
    char buf[256];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0)
        ;
    assert_true(r == 0 || r < 0); /* closed (an alert may come first) */
    close(fd);
    assert_true(node_stderr_has(&n, "TLS connection from 127.0.0.1"));
    expect_help_over_tls(good.ssl);
    conn_close(&good);
    assert_int_equal(node_stop(&n), 0);
}

static void test_tls_missing_certificate_file_stops_node_naming_it(void **state)
{
    (void)state;
    node_t n;
    static char env_missing[192];
    snprintf(env_missing, sizeof env_missing, "LIBPROCESS_SSL_CERT_FILE=%s/missing.pem", pki.dir);
    snprintf(env_key, sizeof env_key, "LIBPROCESS_SSL_KEY_FILE=%s", pki.server_key);
    char *env[] = {env_on, env_missing, env_key, NULL};
    node_start(&n, env);
    char want[128];
    snprintf(want, sizeof want, "%s/missing.pem", pki.dir);
    assert_true(node_stderr_has(&n, want));
    int st = node_stop(&n);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
}

/* Finds "\r\n\r\n"; returns the header length or 0. */
static size_t header_end(const char *buf, size_t len)
{
    for (size_t i = 3; i < len; i++)
        if (memcmp(buf + i - 3, "\r\n\r\n", 4) == 0)
            return i + 1;
    return 0;
}

static void test_tls_multi_mib_message_goes_both_ways(void **state)
{
    (void)state;
    node_t n;
    tls_node(&n, NULL, NULL);
    unsigned lport;
    int lfd = tcp_listen(&lport);
    size_t size = (3u << 20) + 12345;
    char *body = malloc(size);
    assert_non_null(body);
    uint32_t x = 99;
    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        body[i] = (char)(x >> 24);
    }
    conn_t c;
    assert_true(tls_dial(&c, n.port, pki.client_cert, pki.client_key));
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "POST /echo/ping HTTP/1.1\r\nLibprocess-From: me@127.0.0.1:%u\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      lport, size);
    tls_send(c.ssl, head, (size_t)hl);
    /* Uneven writes: the node sees arbitrary record boundaries. */
    for (size_t off = 0; off < size;) {
        x = x * 1103515245u + 12345u;
        size_t k = 1 + (x >> 8) % 50000;
        if (k > size - off)
            k = size - off;
        tls_send(c.ssl, body + off, k);
        off += k;
    }
    char ack[16];
    assert_int_equal(tls_read_upto(c.ssl, ack, 0, 12), 12);
    assert_memory_equal(ack, "HTTP/1.1 202", 12);

    /* The pong comes on a TLS connection the node opens to "me". */
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, BOUND_MS), 1);
    int in = accept(lfd, NULL, NULL);
    assert_true(in >= 0);
    bound_io(in);
    SSL_CTX *sctx = tls_ctx(true, pki.server_cert, pki.server_key);
    SSL *s = SSL_new(sctx);
    SSL_set_fd(s, in);
    assert_int_equal(SSL_accept(s), 1);
    size_t cap = size + 8192, len = 0, hdr = 0;
    char *got = malloc(cap);
    assert_non_null(got);
    while (!(hdr = header_end(got, len))) {
        size_t before = len;
        len = tls_read_upto(s, got, len, len + 1);
        assert_true(len > before);
    }
    got[hdr - 1] = '\0';
    assert_non_null(strstr(got, "POST /me/pong HTTP/1.1\r\n"));
    const char *data;
    size_t dlen = 0;
    char *cl = strcasestr(got, "\r\nContent-Length: ");
    if (cl) {
        dlen = strtoul(cl + 18, NULL, 10);
        len = tls_read_upto(s, got, len, hdr + dlen);
        data = got + hdr;
    } else {
        /* One chunk, as libprocess frames a body. */
        assert_non_null(strcasestr(got, "\r\nTransfer-Encoding: chunked"));
        size_t line = 0;
        while (line == 0) {
            for (size_t i = hdr + 1; i < len && !line; i++)
                if (got[i - 1] == '\r' && got[i] == '\n')
                    line = i + 1;
            if (!line) {
                size_t before = len;
                len = tls_read_upto(s, got, len, len + 1);
                assert_true(len > before);
            }
        }
        dlen = strtoul(got + hdr, NULL, 16);
        len = tls_read_upto(s, got, len, line + dlen);
        data = got + line;
    }
    assert_int_equal(dlen, size);
    assert_true(len >= (size_t)(data - got) + size);
    assert_memory_equal(data, body, size);
    SSL_free(s);
    SSL_CTX_free(sctx);
    close(in);
    close(lfd);
    free(got);
    free(body);
    conn_close(&c);
    assert_int_equal(node_stop(&n), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_node_serves_client_with_certificate),
        cmocka_unit_test(test_tls_nodes_requiring_certificates_exchange_messages),
        cmocka_unit_test(test_tls_require_cert_node_refuses_client_without_certificate),
        cmocka_unit_test(test_tls_verifying_node_refuses_client_with_untrusted_certificate),
        cmocka_unit_test(test_tls_client_refuses_node_with_untrusted_certificate),
        cmocka_unit_test(test_tls_downgrade_node_accepts_plaintext_and_tls),
        cmocka_unit_test(test_tls_garbage_closes_that_connection_only),
        cmocka_unit_test(test_tls_missing_certificate_file_stops_node_naming_it),
        cmocka_unit_test(test_tls_multi_mib_message_goes_both_ways),
    };
    return cmocka_run_group_tests(tests, make_pki, remove_pki);
}

/* TLS sessions (runtime/src/transport/tls.c): two sessions pumping bytes
 * in memory, with certificates made here at test time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pki.h"
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cproc/error.h"
#include "transport/stream.h"
#include "transport/tls.h"

/* The certificates: see tests/support/pki.h. */
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

/* ---- helpers ---- */

static cp__tls_context_t *context(const char *cert, const char *key, bool verify, bool require,
                                  bool verify_ip)
{
    cp__tls_config_t cfg;
    cp__tls_config_init(&cfg);
    cfg.enabled = true;
    cfg.cert_file = cert;
    cfg.key_file = key;
    cfg.ca_file = pki.ca_pem;
    cfg.verify_cert = verify;
    cfg.require_cert = require;
    cfg.verify_ipaddr = verify_ip;
    char err[CP__TLS_ERRLEN] = "";
    cp__tls_context_t *ctx = NULL;
    int rc = cp__tls_context_new(&cfg, &ctx, err);
    if (rc)
        fail_msg("context: %s", err);
    assert_non_null(ctx);
    return ctx;
}

typedef struct {
    cp__tls_context_t *sctx, *cctx;
    cp__tls_session_t *server, *client;
    int server_rc, client_rc;
} pair_t;

static void pair_open(pair_t *p, cp__tls_context_t *sctx, cp__tls_context_t *cctx,
                      const char *peer_ip)
{
    memset(p, 0, sizeof *p);
    p->sctx = sctx;
    p->cctx = cctx;
    assert_int_equal(cp__tls_session_new(sctx, CP__TLS_SERVER, "127.0.0.1", &p->server), 0);
    assert_int_equal(cp__tls_session_new(cctx, CP__TLS_CLIENT, peer_ip, &p->client), 0);
}

static void pair_close(pair_t *p)
{
    cp__tls_session_free(p->server);
    cp__tls_session_free(p->client);
    cp__tls_context_free(p->sctx);
    if (p->cctx != p->sctx)
        cp__tls_context_free(p->cctx);
}

/* Moves pending ciphertext from one session into the other, at most
 * `chunk` bytes per feed (0: all at once). Returns the bytes moved. */
static size_t move(cp__tls_session_t *from, cp__tls_session_t *to, int *to_rc, size_t chunk)
{
    const char *data;
    size_t total = 0, n;
    while (*to_rc == 0 && (n = cp__tls_session_pending(from, &data)) > 0) {
        if (chunk && n > chunk)
            n = chunk;
        *to_rc = cp__tls_session_feed(to, data, n);
        cp__tls_session_consume(from, n);
        total += n;
    }
    return total;
}

/* Pumps both ways until nothing moves (bounded). */
static void pump(pair_t *p, size_t chunk)
{
    for (int i = 0; i < 100000; i++) {
        size_t a = move(p->client, p->server, &p->server_rc, chunk);
        size_t b = move(p->server, p->client, &p->client_rc, chunk);
        if (a == 0 && b == 0)
            return;
    }
    fail_msg("pump did not settle");
}

static void expect_plain(cp__tls_session_t *s, const char *text)
{
    cp__buf_t b;
    cp__buf_init(&b);
    assert_int_equal(cp__tls_session_read(s, &b), 0);
    assert_int_equal(b.len, strlen(text));
    assert_memory_equal(b.data, text, b.len);
    cp__buf_close(&b);
}

/* ---- handshake and data ---- */

static void test_tls_handshake_completes_without_verification(void **state)
{
    (void)state;
    cp__tls_context_t *ctx = context(pki.server_cert, pki.server_key, false, false, false);
    pair_t p;
    pair_open(&p, ctx, ctx, NULL);
    assert_false(cp__tls_session_handshake_done(p.client));
    pump(&p, 0);
    assert_int_equal(p.server_rc, 0);
    assert_int_equal(p.client_rc, 0);
    assert_true(cp__tls_session_handshake_done(p.client));
    assert_true(cp__tls_session_handshake_done(p.server));
    assert_string_equal(cp__tls_session_error(p.client), "");
    pair_close(&p);
}

static void test_tls_messages_flow_both_ways(void **state)
{
    (void)state;
    cp__tls_context_t *ctx = context(pki.server_cert, pki.server_key, false, false, false);
    pair_t p;
    pair_open(&p, ctx, ctx, NULL);
    pump(&p, 0);
    assert_int_equal(cp__tls_session_write(p.client, "ping", 4), 0);
    pump(&p, 0);
    expect_plain(p.server, "ping");
    assert_int_equal(cp__tls_session_write(p.server, "pong!", 5), 0);
    pump(&p, 0);
    expect_plain(p.client, "pong!");
    pair_close(&p);
}

static void test_tls_write_before_handshake_is_sent_after_it(void **state)
{
    (void)state;
    cp__tls_context_t *ctx = context(pki.server_cert, pki.server_key, false, false, false);
    pair_t p;
    pair_open(&p, ctx, ctx, NULL);
    assert_int_equal(cp__tls_session_write(p.client, "early ", 6), 0);
    assert_int_equal(cp__tls_session_write(p.client, "bird", 4), 0);
    pump(&p, 0);
    expect_plain(p.server, "early bird");
    pair_close(&p);
}

static void test_tls_large_payload_split_arbitrarily(void **state)
{
    (void)state;
    cp__tls_context_t *ctx = context(pki.server_cert, pki.server_key, false, false, false);
    pair_t p;
    pair_open(&p, ctx, ctx, NULL);
    size_t size = 5u << 20;
    unsigned char *payload = malloc(size);
    assert_non_null(payload);
    uint32_t x = 12345;
    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        payload[i] = (unsigned char)(x >> 24);
    }
    /* Written in uneven pieces, carried in uneven pieces. */
    size_t off = 0;
    while (off < size) {
        x = x * 1103515245u + 12345u;
        size_t n = 1 + (x >> 8) % 70000;
        if (n > size - off)
            n = size - off;
        assert_int_equal(cp__tls_session_write(p.client, payload + off, n), 0);
        off += n;
    }
    cp__buf_t got;
    cp__buf_init(&got);
    for (int i = 0; i < 1000 && got.len < size; i++) {
        pump(&p, 1 + (size_t)i * 977 % 9000);
        assert_int_equal(p.server_rc, 0);
        assert_int_equal(cp__tls_session_read(p.server, &got), 0);
    }
    assert_int_equal(got.len, size);
    assert_memory_equal(got.data, payload, size);
    cp__buf_close(&got);
    free(payload);
    pair_close(&p);
}

/* ---- verification ---- */

static void test_tls_client_verifying_against_ca_accepts_server(void **state)
{
    (void)state;
    pair_t p;
    pair_open(&p, context(pki.server_cert, pki.server_key, false, false, false),
              context(pki.client_cert, pki.client_key, true, false, true), "127.0.0.1");
    pump(&p, 0);
    assert_int_equal(p.client_rc, 0);
    assert_true(cp__tls_session_handshake_done(p.client));
    assert_true(cp__tls_session_handshake_done(p.server));
    pair_close(&p);
}

static void test_tls_client_refuses_self_signed_server_with_clear_error(void **state)
{
    (void)state;
    pair_t p;
    pair_open(&p, context(pki.bad_cert, pki.bad_key, false, false, false),
              context(pki.client_cert, pki.client_key, true, false, false), "127.0.0.1");
    pump(&p, 0);
    assert_int_equal(p.client_rc, CP_ETLS);
    assert_false(cp__tls_session_handshake_done(p.client));
    assert_true(cp__tls_session_failed(p.client));
    const char *e = cp__tls_session_error(p.client);
    assert_non_null(strstr(e, "certificate verify failed"));
    assert_non_null(strstr(e, "self-signed certificate"));
    /* The alert reached the server, which fails too. */
    assert_int_equal(p.server_rc, CP_ETLS);
    assert_false(cp__tls_session_handshake_done(p.server));
    assert_int_equal(cp__tls_session_write(p.client, "x", 1), CP_ESTATE);
    assert_int_equal(cp__tls_session_feed(p.client, "x", 1), CP_ESTATE);
    pair_close(&p);
}

static void test_tls_client_refuses_server_not_certified_for_peer_ip(void **state)
{
    (void)state;
    pair_t p;
    pair_open(&p, context(pki.server_cert, pki.server_key, false, false, false),
              context(pki.client_cert, pki.client_key, true, false, true), "10.1.2.3");
    pump(&p, 0);
    assert_int_equal(p.client_rc, CP_ETLS);
    assert_non_null(strstr(cp__tls_session_error(p.client), "IP address mismatch"));
    pair_close(&p);
}

static void test_tls_session_new_rejects_unparsable_peer_ip(void **state)
{
    (void)state;
    cp__tls_context_t *ctx = context(pki.client_cert, pki.client_key, true, false, true);
    cp__tls_session_t *s = (cp__tls_session_t *)&s;
    assert_int_equal(cp__tls_session_new(ctx, CP__TLS_CLIENT, "not-an-ip", &s), CP_EINVAL);
    assert_null(s);
    assert_int_equal(cp__tls_session_new(NULL, CP__TLS_CLIENT, NULL, &s), CP_EINVAL);
    cp__tls_context_free(ctx);
}

static void test_tls_require_cert_server_refuses_client_without_certificate(void **state)
{
    (void)state;
    /* cproc contexts always carry a certificate, so the client here is
     * bare OpenSSL without one. */
    cp__tls_context_t *sctx = context(pki.server_cert, pki.server_key, false, true, false);
    cp__tls_session_t *server = NULL;
    assert_int_equal(cp__tls_session_new(sctx, CP__TLS_SERVER, "127.0.0.1", &server), 0);

    /* A bare OpenSSL client with no certificate, over memory BIOs. */
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(cctx);
    SSL *c = SSL_new(cctx);
    BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(rb, -1);
    SSL_set_bio(c, rb, wb);
    SSL_set_connect_state(c);
    int server_rc = 0;
    char buf[16384];
    for (int i = 0; i < 100 && server_rc == 0; i++) {
        SSL_do_handshake(c);
        int n;
        while ((n = BIO_read(wb, buf, sizeof buf)) > 0 && server_rc == 0)
            server_rc = cp__tls_session_feed(server, buf, (size_t)n);
        const char *data;
        size_t len = cp__tls_session_pending(server, &data);
        if (len) {
            BIO_write(rb, data, (int)len);
            cp__tls_session_consume(server, len);
        }
    }
    assert_int_equal(server_rc, CP_ETLS);
    assert_false(cp__tls_session_handshake_done(server));
    assert_non_null(strstr(cp__tls_session_error(server), "did not return a certificate"));
    SSL_free(c);
    SSL_CTX_free(cctx);
    cp__tls_session_free(server);
    cp__tls_context_free(sctx);
}

static void test_tls_require_cert_server_accepts_client_certified_by_ca(void **state)
{
    (void)state;
    pair_t p;
    pair_open(&p, context(pki.server_cert, pki.server_key, false, true, true),
              context(pki.client_cert, pki.client_key, true, false, false), "127.0.0.1");
    pump(&p, 0);
    assert_int_equal(p.server_rc, 0);
    assert_int_equal(p.client_rc, 0);
    assert_true(cp__tls_session_handshake_done(p.server));
    pair_close(&p);
}

static void test_tls_require_cert_server_refuses_untrusted_client(void **state)
{
    (void)state;
    pair_t p;
    pair_open(&p, context(pki.server_cert, pki.server_key, false, true, false),
              context(pki.bad_cert, pki.bad_key, false, false, false), NULL);
    pump(&p, 0);
    assert_int_equal(p.server_rc, CP_ETLS);
    assert_non_null(strstr(cp__tls_session_error(p.server), "certificate verify failed"));
    pair_close(&p);
}

static void test_tls_verifying_server_refuses_untrusted_client_certificate(void **state)
{
    (void)state;
    pair_t p;
    pair_open(&p, context(pki.server_cert, pki.server_key, true, false, false),
              context(pki.bad_cert, pki.bad_key, false, false, false), NULL);
    pump(&p, 0);
    assert_int_equal(p.server_rc, CP_ETLS);
    assert_non_null(strstr(cp__tls_session_error(p.server), "certificate verify failed"));
    pair_close(&p);
}

static void test_tls_verifying_server_accepts_client_certified_by_ca(void **state)
{
    (void)state;
    pair_t p;
    pair_open(&p, context(pki.server_cert, pki.server_key, true, false, false),
              context(pki.client_cert, pki.client_key, false, false, false), NULL);
    pump(&p, 0);
    assert_int_equal(p.server_rc, 0);
    assert_true(cp__tls_session_handshake_done(p.server));
    assert_true(cp__tls_session_handshake_done(p.client));
    pair_close(&p);
}

static void test_tls_client_verifies_with_ca_dir(void **state)
{
    (void)state;
    cp__tls_config_t cfg;
    cp__tls_config_init(&cfg);
    cfg.enabled = true;
    cfg.cert_file = pki.client_cert;
    cfg.key_file = pki.client_key;
    cfg.ca_dir = pki.ca_dir;
    cfg.verify_cert = true;
    char err[CP__TLS_ERRLEN];
    cp__tls_context_t *cctx;
    assert_int_equal(cp__tls_context_new(&cfg, &cctx, err), 0);
    pair_t p;
    pair_open(&p, context(pki.server_cert, pki.server_key, false, false, false), cctx, NULL);
    pump(&p, 0);
    assert_int_equal(p.client_rc, 0);
    assert_true(cp__tls_session_handshake_done(p.client));
    pair_close(&p);
}

typedef struct {
    cp__tls_context_t *ctx;
    int ok;
} thread_arg_t;

static void *exchange_thread(void *argp)
{
    thread_arg_t *a = argp;
    for (int i = 0; i < 20; i++) {
        cp__tls_session_t *c = NULL, *sv = NULL;
        if (cp__tls_session_new(a->ctx, CP__TLS_CLIENT, "127.0.0.1", &c) ||
            cp__tls_session_new(a->ctx, CP__TLS_SERVER, "127.0.0.1", &sv)) {
            cp__tls_session_free(c);
            return NULL;
        }
        int crc = 0, src = 0;
        cp__tls_session_write(c, "abc", 3);
        for (int k = 0; k < 20; k++) {
            const char *d;
            size_t n;
            while (src == 0 && (n = cp__tls_session_pending(c, &d)) > 0) {
                src = cp__tls_session_feed(sv, d, n);
                cp__tls_session_consume(c, n);
            }
            while (crc == 0 && (n = cp__tls_session_pending(sv, &d)) > 0) {
                crc = cp__tls_session_feed(c, d, n);
                cp__tls_session_consume(sv, n);
            }
        }
        cp__buf_t b;
        cp__buf_init(&b);
        cp__tls_session_read(sv, &b);
        if (crc == 0 && src == 0 && b.len == 3 && memcmp(b.data, "abc", 3) == 0)
            a->ok++;
        cp__buf_close(&b);
        cp__tls_session_free(c);
        cp__tls_session_free(sv);
    }
    return NULL;
}

static void test_tls_one_context_serves_sessions_on_several_threads(void **state)
{
    (void)state;
    cp__tls_context_t *ctx = context(pki.server_cert, pki.server_key, true, true, true);
    thread_arg_t args[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        args[i].ctx = ctx;
        args[i].ok = 0;
        assert_int_equal(pthread_create(&th[i], NULL, exchange_thread, &args[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].ok, 20);
    }
    cp__tls_context_free(ctx);
}

/* ---- close, garbage, downgrade ---- */

static void test_tls_close_notify_reaches_peer(void **state)
{
    (void)state;
    cp__tls_context_t *ctx = context(pki.server_cert, pki.server_key, false, false, false);
    pair_t p;
    pair_open(&p, ctx, ctx, NULL);
    pump(&p, 0);
    assert_int_equal(cp__tls_session_write(p.client, "last", 4), 0);
    assert_int_equal(cp__tls_session_close(p.client), 0);
    assert_int_equal(cp__tls_session_close(p.client), 0);
    assert_int_equal(cp__tls_session_write(p.client, "more", 4), CP_ESTATE);
    pump(&p, 0);
    expect_plain(p.server, "last");
    assert_true(cp__tls_session_peer_closed(p.server));
    assert_int_equal(p.server_rc, 0);
    pair_close(&p);
}

static void test_tls_close_before_handshake_is_refused(void **state)
{
    (void)state;
    cp__tls_context_t *ctx = context(pki.server_cert, pki.server_key, false, false, false);
    cp__tls_session_t *s;
    assert_int_equal(cp__tls_session_new(ctx, CP__TLS_SERVER, NULL, &s), 0);
    assert_int_equal(cp__tls_session_close(s), CP_ESTATE);
    cp__tls_session_free(s);
    cp__tls_context_free(ctx);
}

static void test_tls_garbage_before_handshake_fails_with_error(void **state)
{
    (void)state;
    cp__tls_context_t *ctx = context(pki.server_cert, pki.server_key, false, false, false);
    cp__tls_session_t *s;
    assert_int_equal(cp__tls_session_new(ctx, CP__TLS_SERVER, NULL, &s), 0);
    const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(cp__tls_session_feed(s, http, strlen(http)), CP_ETLS);
    assert_true(cp__tls_session_failed(s));
    assert_non_null(strstr(cp__tls_session_error(s), "TLS handshake failed"));
    cp__tls_session_free(s);

    /* A record header that claims a handshake, then nonsense. */
    assert_int_equal(cp__tls_session_new(ctx, CP__TLS_SERVER, NULL, &s), 0);
    unsigned char junk[300];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 37 + 11);
    junk[0] = 0x16, junk[1] = 3, junk[2] = 3, junk[3] = 0, junk[4] = 200;
    assert_int_equal(cp__tls_session_feed(s, junk, sizeof junk), CP_ETLS);
    assert_string_not_equal(cp__tls_session_error(s), "");
    cp__tls_session_free(s);
    cp__tls_context_free(ctx);
}

static void test_tls_garbage_after_handshake_fails_with_error(void **state)
{
    (void)state;
    cp__tls_context_t *ctx = context(pki.server_cert, pki.server_key, false, false, false);
    pair_t p;
    pair_open(&p, ctx, ctx, NULL);
    pump(&p, 0);
    assert_int_equal(cp__tls_session_write(p.client, "hello", 5), 0);
    const char *data;
    size_t n = cp__tls_session_pending(p.client, &data);
    assert_true(n > 10);
    char *copy = malloc(n);
    memcpy(copy, data, n);
    copy[n - 3] ^= 0x5a; /* corrupt the record's tag */
    assert_int_equal(cp__tls_session_feed(p.server, copy, n), CP_ETLS);
    assert_non_null(strstr(cp__tls_session_error(p.server), "TLS read failed"));
    free(copy);
    pair_close(&p);
}

static void test_tls_looks_like_handshake_by_first_byte(void **state)
{
    (void)state;
    const unsigned char hello[] = {0x16, 0x03, 0x01};
    assert_true(cp__tls_looks_like_handshake(hello, 1));
    assert_true(cp__tls_looks_like_handshake(hello, sizeof hello));
    assert_false(cp__tls_looks_like_handshake("POST /", 6));
    assert_false(cp__tls_looks_like_handshake(hello, 0));
    assert_false(cp__tls_looks_like_handshake(NULL, 3));
}

static void test_tls_client_hello_is_recognised_for_downgrade(void **state)
{
    (void)state;
    cp__tls_context_t *ctx = context(pki.server_cert, pki.server_key, false, false, false);
    cp__tls_session_t *c;
    assert_int_equal(cp__tls_session_new(ctx, CP__TLS_CLIENT, NULL, &c), 0);
    const char *data;
    size_t n = cp__tls_session_pending(c, &data);
    assert_true(cp__tls_looks_like_handshake(data, n));
    cp__tls_session_free(c);
    cp__tls_context_free(ctx);
}

static cp__tls_context_t *downgrade_context(void)
{
    cp__tls_config_t cfg;
    cp__tls_config_init(&cfg);
    cfg.enabled = true;
    cfg.support_downgrade = true;
    cfg.cert_file = pki.server_cert;
    cfg.key_file = pki.server_key;
    char err[CP__TLS_ERRLEN];
    cp__tls_context_t *ctx = NULL;
    assert_int_equal(cp__tls_context_new(&cfg, &ctx, err), 0);
    assert_true(cp__tls_context_support_downgrade(ctx));
    return ctx;
}

static void test_tls_downgrade_server_passes_plaintext_through(void **state)
{
    (void)state;
    cp__tls_context_t *ctx = downgrade_context();
    cp__tls_session_t *s;
    assert_int_equal(cp__tls_session_new(ctx, CP__TLS_SERVER, NULL, &s), 0);
    assert_int_equal(cp__tls_session_feed(s, "", 0), 0);
    assert_false(cp__tls_session_downgraded(s));
    assert_int_equal(cp__tls_session_feed(s, "POST /a/b ", 10), 0);
    assert_int_equal(cp__tls_session_feed(s, "HTTP/1.1", 8), 0);
    assert_true(cp__tls_session_downgraded(s));
    expect_plain(s, "POST /a/b HTTP/1.1");
    assert_int_equal(cp__tls_session_write(s, "HTTP/1.1 202", 12), 0);
    const char *data;
    size_t n = cp__tls_session_pending(s, &data);
    assert_int_equal(n, 12);
    assert_memory_equal(data, "HTTP/1.1 202", 12);
    cp__tls_session_consume(s, n);
    assert_int_equal(cp__tls_session_close(s), 0);
    cp__tls_session_free(s);
    cp__tls_context_free(ctx);
}

static void test_tls_downgrade_server_still_speaks_tls_to_tls_client(void **state)
{
    (void)state;
    cp__tls_context_t *ctx = downgrade_context();
    pair_t p;
    pair_open(&p, ctx, ctx, NULL);
    assert_int_equal(cp__tls_session_write(p.client, "secret", 6), 0);
    pump(&p, 1);
    assert_int_equal(p.server_rc, 0);
    assert_false(cp__tls_session_downgraded(p.server));
    assert_true(cp__tls_session_handshake_done(p.server));
    expect_plain(p.server, "secret");
    pair_close(&p);
}

static void test_tls_stream_filter_carries_handshake_and_data(void **state)
{
    (void)state;
    cp__tls_context_t *ctx = context(pki.server_cert, pki.server_key, false, false, false);
    cp__tls_session_t *cs, *ss;
    assert_int_equal(cp__tls_session_new(ctx, CP__TLS_CLIENT, NULL, &cs), 0);
    assert_int_equal(cp__tls_session_new(ctx, CP__TLS_SERVER, NULL, &ss), 0);
    const cp__stream_filter_t *f = &cp__tls_stream_filter;
    cp__buf_t to_server, to_client, plain;
    cp__buf_init(&to_server);
    cp__buf_init(&to_client);
    cp__buf_init(&plain);
    assert_int_equal(f->start(cs, &to_server), 0);
    assert_int_equal(f->output(cs, "req", 3, &to_server), 0);
    for (int i = 0; i < 10 && (to_server.len || to_client.len); i++) {
        cp__buf_t in = to_server;
        cp__buf_init(&to_server);
        assert_int_equal(f->input(ss, in.data, in.len, &plain, &to_client), 0);
        cp__buf_close(&in);
        in = to_client;
        cp__buf_init(&to_client);
        assert_int_equal(f->input(cs, in.data, in.len, &plain, &to_server), 0);
        cp__buf_close(&in);
    }
    assert_int_equal(plain.len, 3);
    assert_memory_equal(plain.data, "req", 3);
    cp__buf_close(&to_server);
    cp__buf_close(&to_client);
    cp__buf_close(&plain);
    f->free(cs);
    f->free(ss);
    cp__tls_context_free(ctx);
}

static void test_tls_1_3_handshake_and_data_when_enabled(void **state)
{
    (void)state;
    cp__tls_config_t cfg;
    cp__tls_config_init(&cfg);
    cfg.enabled = true;
    cfg.cert_file = pki.server_cert;
    cfg.key_file = pki.server_key;
    cfg.ca_file = pki.ca_pem;
    cfg.verify_cert = true;
    cfg.enable_tls_v1_2 = false;
    cfg.enable_tls_v1_3 = true;
    char err[CP__TLS_ERRLEN];
    cp__tls_context_t *ctx;
    assert_int_equal(cp__tls_context_new(&cfg, &ctx, err), 0);
    pair_t p;
    pair_open(&p, ctx, ctx, "127.0.0.1");
    assert_int_equal(cp__tls_session_write(p.server, "hi", 2), 0);
    pump(&p, 0);
    assert_int_equal(p.client_rc, 0);
    expect_plain(p.client, "hi");
    assert_int_equal(cp__tls_session_write(p.client, "yo", 2), 0);
    pump(&p, 0);
    expect_plain(p.server, "yo");
    pair_close(&p);
}

/* ---- configuration ---- */

typedef struct {
    const char *names[8];
    const char *values[8];
} fake_env_t;

static const char *fake_get(const char *name, void *arg)
{
    fake_env_t *e = arg;
    for (int i = 0; i < 8 && e->names[i]; i++)
        if (strcmp(e->names[i], name) == 0)
            return e->values[i];
    return NULL;
}

static void test_tls_config_defaults_follow_libprocess(void **state)
{
    (void)state;
    fake_env_t env = {{NULL}, {NULL}};
    cp__tls_config_t cfg;
    assert_int_equal(cp__tls_config_load(&cfg, fake_get, &env, NULL), 0);
    assert_false(cfg.enabled);
    assert_false(cfg.verify_cert);
    assert_false(cfg.require_cert);
    assert_false(cfg.support_downgrade);
    assert_int_equal(cfg.verification_depth, 4);
    assert_true(cfg.enable_tls_v1_2);
    assert_false(cfg.enable_tls_v1_3);
    cp__tls_context_t *ctx = (cp__tls_context_t *)&ctx;
    assert_int_equal(cp__tls_context_new(&cfg, &ctx, NULL), 0);
    assert_null(ctx);
}

static void test_tls_config_reads_libprocess_and_cproc_names(void **state)
{
    (void)state;
    fake_env_t env = {
        {"LIBPROCESS_SSL_ENABLED", "CPROC_SSL_VERIFY_CERT", "LIBPROCESS_SSL_CERT_FILE",
         "CPROC_SSL_CERT_FILE", "LIBPROCESS_SSL_SUPPORT_DOWNGRADE", "CPROC_SSL_REQUIRE_CERT",
         "LIBPROCESS_SSL_VERIFICATION_DEPTH", NULL},
        {"true", "1", "/lib.pem", "/cproc.pem", "FALSE", "0", "7", NULL},
    };
    cp__tls_config_t cfg;
    assert_int_equal(cp__tls_config_load(&cfg, fake_get, &env, NULL), 0);
    assert_true(cfg.enabled);
    assert_true(cfg.verify_cert);
    assert_false(cfg.require_cert);
    assert_false(cfg.support_downgrade);
    assert_string_equal(cfg.cert_file, "/lib.pem");
    assert_int_equal(cfg.verification_depth, 7);
}

static void test_tls_config_rejects_invalid_boolean(void **state)
{
    (void)state;
    fake_env_t env = {{"LIBPROCESS_SSL_VERIFY_CERT", NULL}, {"yes please", NULL}};
    cp__tls_config_t cfg;
    char err[CP__TLS_ERRLEN] = "";
    assert_int_equal(cp__tls_config_load(&cfg, fake_get, &env, err), CP_EINVAL);
    assert_non_null(strstr(err, "LIBPROCESS_SSL_VERIFY_CERT"));
    assert_non_null(strstr(err, "yes please"));
}

static void test_tls_config_rejects_invalid_depth(void **state)
{
    (void)state;
    fake_env_t env = {{"CPROC_SSL_VERIFICATION_DEPTH", NULL}, {"-1", NULL}};
    cp__tls_config_t cfg;
    char err[CP__TLS_ERRLEN] = "";
    assert_int_equal(cp__tls_config_load(&cfg, fake_get, &env, err), CP_EINVAL);
    assert_non_null(strstr(err, "VERIFICATION_DEPTH"));
}

static void test_tls_context_requires_cert_and_key(void **state)
{
    (void)state;
    cp__tls_config_t cfg;
    cp__tls_config_init(&cfg);
    cfg.enabled = true;
    char err[CP__TLS_ERRLEN] = "";
    cp__tls_context_t *ctx;
    assert_int_equal(cp__tls_context_new(&cfg, &ctx, err), CP_EINVAL);
    assert_null(ctx);
    assert_non_null(strstr(err, "LIBPROCESS_SSL_CERT_FILE"));
    cfg.cert_file = pki.server_cert;
    assert_int_equal(cp__tls_context_new(&cfg, &ctx, err), CP_EINVAL);
    assert_non_null(strstr(err, "LIBPROCESS_SSL_KEY_FILE"));
}

static void test_tls_context_reports_unreadable_files(void **state)
{
    (void)state;
    cp__tls_config_t cfg;
    cp__tls_config_init(&cfg);
    cfg.enabled = true;
    cfg.cert_file = "/nonexistent/cert.pem";
    cfg.key_file = pki.server_key;
    char err[CP__TLS_ERRLEN] = "";
    cp__tls_context_t *ctx;
    assert_int_equal(cp__tls_context_new(&cfg, &ctx, err), CP_EINVAL);
    assert_non_null(strstr(err, "/nonexistent/cert.pem"));
    cfg.cert_file = pki.server_cert;
    cfg.verify_cert = true;
    cfg.ca_file = "/nonexistent/ca.pem";
    assert_int_equal(cp__tls_context_new(&cfg, &ctx, err), CP_EINVAL);
    assert_non_null(strstr(err, "CA file"));
}

static void test_tls_context_rejects_key_not_matching_cert(void **state)
{
    (void)state;
    cp__tls_config_t cfg;
    cp__tls_config_init(&cfg);
    cfg.enabled = true;
    cfg.cert_file = pki.server_cert;
    cfg.key_file = pki.client_key;
    char err[CP__TLS_ERRLEN] = "";
    cp__tls_context_t *ctx;
    assert_int_equal(cp__tls_context_new(&cfg, &ctx, err), CP_EINVAL);
    assert_non_null(strstr(err, "mismatch"));
}

static void test_tls_context_rejects_bad_ciphers_and_no_versions(void **state)
{
    (void)state;
    cp__tls_config_t cfg;
    cp__tls_config_init(&cfg);
    cfg.enabled = true;
    cfg.cert_file = pki.server_cert;
    cfg.key_file = pki.server_key;
    cfg.ciphers = "NOT-A-CIPHER";
    char err[CP__TLS_ERRLEN] = "";
    cp__tls_context_t *ctx;
    assert_int_equal(cp__tls_context_new(&cfg, &ctx, err), CP_EINVAL);
    assert_non_null(strstr(err, "CIPHERS"));
    cfg.ciphers = NULL;
    cfg.enable_tls_v1_2 = false;
    assert_int_equal(cp__tls_context_new(&cfg, &ctx, err), CP_EINVAL);
    assert_non_null(strstr(err, "no TLS protocol version"));
}

static void test_tls_require_cert_implies_verify_cert(void **state)
{
    (void)state;
    cp__tls_context_t *ctx = context(pki.server_cert, pki.server_key, false, true, false);
    assert_true(cp__tls_context_require_cert(ctx));
    assert_true(cp__tls_context_verify_cert(ctx));
    assert_false(cp__tls_context_support_downgrade(ctx));
    cp__tls_context_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_handshake_completes_without_verification),
        cmocka_unit_test(test_tls_messages_flow_both_ways),
        cmocka_unit_test(test_tls_write_before_handshake_is_sent_after_it),
        cmocka_unit_test(test_tls_large_payload_split_arbitrarily),
        cmocka_unit_test(test_tls_client_verifying_against_ca_accepts_server),
        cmocka_unit_test(test_tls_client_refuses_self_signed_server_with_clear_error),
        cmocka_unit_test(test_tls_client_refuses_server_not_certified_for_peer_ip),
        cmocka_unit_test(test_tls_session_new_rejects_unparsable_peer_ip),
        cmocka_unit_test(test_tls_require_cert_server_refuses_client_without_certificate),
        cmocka_unit_test(test_tls_require_cert_server_accepts_client_certified_by_ca),
        cmocka_unit_test(test_tls_require_cert_server_refuses_untrusted_client),
        cmocka_unit_test(test_tls_verifying_server_refuses_untrusted_client_certificate),
        cmocka_unit_test(test_tls_verifying_server_accepts_client_certified_by_ca),
        cmocka_unit_test(test_tls_client_verifies_with_ca_dir),
        cmocka_unit_test(test_tls_one_context_serves_sessions_on_several_threads),
        cmocka_unit_test(test_tls_close_notify_reaches_peer),
        cmocka_unit_test(test_tls_close_before_handshake_is_refused),
        cmocka_unit_test(test_tls_garbage_before_handshake_fails_with_error),
        cmocka_unit_test(test_tls_garbage_after_handshake_fails_with_error),
        cmocka_unit_test(test_tls_looks_like_handshake_by_first_byte),
        cmocka_unit_test(test_tls_client_hello_is_recognised_for_downgrade),
        cmocka_unit_test(test_tls_downgrade_server_passes_plaintext_through),
        cmocka_unit_test(test_tls_downgrade_server_still_speaks_tls_to_tls_client),
        cmocka_unit_test(test_tls_stream_filter_carries_handshake_and_data),
        cmocka_unit_test(test_tls_1_3_handshake_and_data_when_enabled),
        cmocka_unit_test(test_tls_config_defaults_follow_libprocess),
        cmocka_unit_test(test_tls_config_reads_libprocess_and_cproc_names),
        cmocka_unit_test(test_tls_config_rejects_invalid_boolean),
        cmocka_unit_test(test_tls_config_rejects_invalid_depth),
        cmocka_unit_test(test_tls_context_requires_cert_and_key),
        cmocka_unit_test(test_tls_context_reports_unreadable_files),
        cmocka_unit_test(test_tls_context_rejects_key_not_matching_cert),
        cmocka_unit_test(test_tls_context_rejects_bad_ciphers_and_no_versions),
        cmocka_unit_test(test_tls_require_cert_implies_verify_cert),
    };
    return cmocka_run_group_tests(tests, make_pki, remove_pki);
}

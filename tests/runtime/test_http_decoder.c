/* The request decoder and the reading of requests as libprocess messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cproc/error.h"
#include "transport/http_decoder.h"
#include "transport/wire.h"

/* What the callback saw, copied out of the decoder. */
typedef struct seen {
    int count;
    int method[8];
    char path[8][300];
    char query[8][64];
    char body[8][256];
    size_t body_len[8];
    int is_message[8];
    int parse_rc[8];
    char id[8][300];
    char name[8][300];
    char from[8][300];
    int call_rc[8];
    cp__callmeta_t call[8];
    char call_method[8][140];
    int stop_after;
} seen_t;

static int record(void *arg, cp__http_request_t *req)
{
    seen_t *s = arg;
    int i = s->count++;
    if (i >= 8)
        return 1;
    s->method[i] = req->method;
    snprintf(s->path[i], sizeof s->path[i], "%.*s", (int)req->path_len, req->path);
    snprintf(s->query[i], sizeof s->query[i], "%.*s", (int)req->query_len, req->query);
    s->body_len[i] = req->body_len;
    if (req->body_len < sizeof s->body[i])
        memcpy(s->body[i], req->body ? req->body : "", req->body_len);
    s->is_message[i] = cp__wire_is_message(req);
    if (s->is_message[i]) {
        const char *id, *name;
        size_t il, nl;
        cp_upid_t from;
        s->parse_rc[i] = cp__wire_parse_message(req, &id, &il, &name, &nl, &from);
        if (s->parse_rc[i] == 0) {
            snprintf(s->id[i], sizeof s->id[i], "%.*s", (int)il, id);
            snprintf(s->name[i], sizeof s->name[i], "%.*s", (int)nl, name);
            snprintf(s->from[i], sizeof s->from[i], "%s@%u.%u.%u.%u:%u", from.id, from.ip >> 24,
                     from.ip >> 16 & 255, from.ip >> 8 & 255, from.ip & 255, from.port);
        }
    }
    s->call_rc[i] = cp__wire_parse_call(req, &s->call[i]);
    if (s->call_rc[i] == 1 && s->call[i].method != NULL)
        snprintf(s->call_method[i], sizeof s->call_method[i], "%.*s", (int)s->call[i].method_len,
                 s->call[i].method);
    s->call[i].method = NULL; /* borrowed from the request */
    return s->stop_after && s->count >= s->stop_after;
}

static int feed_all(const char *text, seen_t *s, const cp__http_limits_t *lim, int *status)
{
    cp__http_decoder_t d;
    cp__http_decoder_init(&d, lim, record, s);
    int rc = cp__http_decoder_feed(&d, text, strlen(text));
    if (status)
        *status = d.error_status;
    cp__http_decoder_close(&d);
    return rc;
}

static void test_decoder_reads_content_length_message_from_user_agent_only(void **state)
{
    seen_t s = {0};
    assert_int_equal(feed_all("POST /pong/pingpong.Ping HTTP/1.1\r\n"
                              "user-agent: libprocess/ping@127.0.0.1:99\r\n"
                              "content-length: 5\r\n\r\nhello",
                              &s, NULL, NULL),
                     0);
    assert_int_equal(s.count, 1);
    assert_true(s.is_message[0]);
    assert_int_equal(s.parse_rc[0], 0);
    assert_string_equal(s.id[0], "pong");
    assert_string_equal(s.name[0], "pingpong.Ping");
    assert_string_equal(s.from[0], "ping@127.0.0.1:99");
    assert_int_equal(s.body_len[0], 5);
    assert_memory_equal(s.body[0], "hello", 5);
}

static void test_decoder_reads_chunked_message_from_libprocess_from_only(void **state)
{
    seen_t s = {0};
    assert_int_equal(feed_all("POST /pong/m HTTP/1.1\r\nLIBPROCESS-FROM: x@1.2.3.4:5\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
                              &s, NULL, NULL),
                     0);
    assert_int_equal(s.count, 1);
    assert_true(s.is_message[0]);
    assert_string_equal(s.from[0], "x@1.2.3.4:5");
    assert_int_equal(s.body_len[0], 5);
    assert_memory_equal(s.body[0], "abcde", 5);
}

static void test_decoder_reads_pipelined_requests_in_order(void **state)
{
    seen_t s = {0};
    assert_int_equal(feed_all("POST /a/one HTTP/1.1\r\nLibprocess-From: x@1.2.3.4:5\r\n\r\n"
                              "GET /a/route?x=1&y=2 HTTP/1.1\r\n\r\n"
                              "POST /b/two HTTP/1.1\r\nLibprocess-From: x@1.2.3.4:5\r\nContent-Length: 1\r\n\r\nZ",
                              &s, NULL, NULL),
                     0);
    assert_int_equal(s.count, 3);
    assert_string_equal(s.name[0], "one");
    assert_false(s.is_message[1]);
    assert_string_equal(s.path[1], "/a/route");
    assert_string_equal(s.query[1], "x=1&y=2");
    assert_string_equal(s.id[2], "b");
    assert_memory_equal(s.body[2], "Z", 1);
}

static void test_decoder_handles_bytes_arriving_one_at_a_time(void **state)
{
    const char *text = "POST /p%20q/a%2Fb HTTP/1.1\r\nLibprocess-From: x@1.2.3.4:5\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n";
    seen_t s = {0};
    cp__http_decoder_t d;
    cp__http_decoder_init(&d, NULL, record, &s);
    for (size_t i = 0; text[i]; i++) {
        assert_int_equal(cp__http_decoder_feed(&d, text + i, 1), 0);
        if (text[i + 1])
            assert_true(cp__http_decoder_mid_request(&d));
    }
    assert_false(cp__http_decoder_mid_request(&d));
    cp__http_decoder_close(&d);
    assert_int_equal(s.count, 1);
    assert_string_equal(s.id[0], "p q");
    assert_string_equal(s.name[0], "a/b");
    assert_memory_equal(s.body[0], "wxyz", 4);
}

static void test_decoder_refuses_oversized_header_with_431(void **state)
{
    cp__http_limits_t lim = {.max_header = 64, .max_body = 1024};
    seen_t s = {0};
    int status = 0;
    assert_int_equal(feed_all("GET /a/b HTTP/1.1\r\nX-Long: "
                              "0123456789012345678901234567890123456789012345678901234567890123456789\r\n\r\n",
                              &s, &lim, &status),
                     CP_ETOOBIG);
    assert_int_equal(status, 431);
    assert_int_equal(s.count, 0);
}

static void test_decoder_refuses_declared_oversized_body_with_413(void **state)
{
    cp__http_limits_t lim = {.max_header = 1024, .max_body = 10};
    seen_t s = {0};
    int status = 0;
    assert_int_equal(feed_all("POST /a/b HTTP/1.1\r\nContent-Length: 11\r\n\r\n", &s, &lim, &status),
                     CP_ETOOBIG);
    assert_int_equal(status, 413);
}

static void test_decoder_refuses_chunked_body_over_limit_with_413(void **state)
{
    cp__http_limits_t lim = {.max_header = 1024, .max_body = 4};
    seen_t s = {0};
    int status = 0;
    assert_int_equal(feed_all("POST /a/b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n",
                              &s, &lim, &status),
                     CP_ETOOBIG);
    assert_int_equal(status, 413);
    assert_int_equal(s.count, 0);
}

static void test_decoder_rejects_garbage_with_400(void **state)
{
    seen_t s = {0};
    int status = 0;
    assert_int_equal(feed_all("\x01\x02garbage\r\n\r\n", &s, NULL, &status), CP_EPROTO);
    assert_int_equal(status, 400);
    assert_int_equal(s.count, 0);
}

static void test_decoder_keeps_failing_after_an_error(void **state)
{
    seen_t s = {0};
    cp__http_decoder_t d;
    cp__http_decoder_init(&d, NULL, record, &s);
    assert_int_equal(cp__http_decoder_feed(&d, "BAD\x7f\r\n", 6), CP_EPROTO);
    assert_int_equal(cp__http_decoder_feed(&d, "GET / HTTP/1.1\r\n\r\n", 18), CP_EPROTO);
    cp__http_decoder_close(&d);
    assert_int_equal(s.count, 0);
}

static void test_decoder_stops_when_callback_asks(void **state)
{
    seen_t s = {.stop_after = 1};
    assert_int_equal(feed_all("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", &s, NULL, NULL), CP_ESTATE);
    assert_int_equal(s.count, 1);
}

static void test_message_with_path_without_slash_is_rejected_with_400(void **state)
{
    seen_t s = {0};
    int status = 0;
    assert_int_equal(feed_all("POST pong/m HTTP/1.1\r\nLibprocess-From: x@1.2.3.4:5\r\n\r\n", &s, NULL, &status),
                     CP_EPROTO);
    assert_int_equal(status, 400);
    assert_int_equal(s.count, 0);
}

static void test_message_with_bad_sender_is_rejected(void **state)
{
    seen_t s = {0};
    assert_int_equal(feed_all("POST /pong/m HTTP/1.1\r\nLibprocess-From: nonsense\r\n\r\n", &s, NULL, NULL), 0);
    assert_int_equal(s.count, 1);
    assert_true(s.is_message[0]);
    assert_int_equal(s.parse_rc[0], CP_EINVAL);
}

static void test_message_without_name_is_rejected(void **state)
{
    seen_t s = {0};
    assert_int_equal(feed_all("POST /pong HTTP/1.1\r\nLibprocess-From: x@1.2.3.4:5\r\n\r\n"
                              "POST /pong/ HTTP/1.1\r\nLibprocess-From: x@1.2.3.4:5\r\n\r\n",
                              &s, NULL, NULL),
                     0);
    assert_int_equal(s.count, 2);
    assert_int_equal(s.parse_rc[0], CP_EINVAL);
    assert_int_equal(s.parse_rc[1], CP_EINVAL);
}

static void test_get_with_libprocess_agent_is_not_a_message(void **state)
{
    seen_t s = {0};
    assert_int_equal(feed_all("GET /pong/m HTTP/1.1\r\nUser-Agent: libprocess/x@1.2.3.4:5\r\n\r\n", &s, NULL, NULL), 0);
    assert_int_equal(s.count, 1);
    assert_false(s.is_message[0]);
}

static void test_wire_parses_sender_upids(void **state)
{
    cp_upid_t p;
    assert_int_equal(cp__wire_parse_upid("a(1)@10.0.0.1:5050", 18, &p), 0);
    assert_string_equal(p.id, "a(1)");
    assert_int_equal(p.ip, 0x0a000001);
    assert_int_equal(p.port, 5050);
    assert_int_equal(cp__wire_parse_upid("x@localhost:1", 13, &p), 0);
    assert_int_equal(p.ip, 0x7f000001);
    assert_int_equal(cp__wire_parse_upid("@1.2.3.4:5", 10, &p), CP_EINVAL);
    assert_int_equal(cp__wire_parse_upid("x@1.2.3.256:5", 13, &p), CP_EINVAL);
    assert_int_equal(cp__wire_parse_upid("x@1.2.3.4:65536", 15, &p), CP_EINVAL);
    assert_int_equal(cp__wire_parse_upid("x@1.2.3.4", 9, &p), CP_EINVAL);
    assert_int_equal(cp__wire_parse_upid("x@1.2.3.4:5z", 12, &p), CP_EINVAL);
}

typedef struct kept {
    int count;
    bool keep_alive[4];
} kept_t;

static int record_keep_alive(void *arg, cp__http_request_t *req)
{
    kept_t *k = arg;
    if (k->count < 4)
        k->keep_alive[k->count] = req->keep_alive;
    k->count++;
    return 0;
}

static void test_decoder_reports_keep_alive_per_request(void **state)
{
    const char *text = "GET /a HTTP/1.1\r\n\r\n"
                       "GET /b HTTP/1.1\r\nConnection: close\r\n\r\n";
    kept_t k = {0};
    cp__http_decoder_t d;
    cp__http_decoder_init(&d, NULL, record_keep_alive, &k);
    assert_int_equal(cp__http_decoder_feed(&d, text, strlen(text)), 0);
    cp__http_decoder_close(&d);
    assert_int_equal(k.count, 2);
    assert_true(k.keep_alive[0]);
    assert_false(k.keep_alive[1]);
    kept_t k10 = {0};
    cp__http_decoder_init(&d, NULL, record_keep_alive, &k10);
    assert_int_equal(cp__http_decoder_feed(&d, "GET /c HTTP/1.0\r\n\r\n", 20), 0);
    cp__http_decoder_close(&d);
    assert_int_equal(k10.count, 1);
    assert_false(k10.keep_alive[0]);
}

typedef struct cached {
    cp__wire_sender_cache_t cache;
    cp_upid_t from[3];
    int rc[3];
    int count;
} cached_t;

static int record_cached(void *arg, cp__http_request_t *req)
{
    cached_t *c = arg;
    const char *id, *name;
    size_t il, nl;
    int i = c->count++;
    c->rc[i] = cp__wire_parse_message_cached(req, &c->cache, &id, &il, &name, &nl, &c->from[i]);
    return 0;
}

static void test_sender_cache_follows_a_changing_sender(void **state)
{
    const char *text = "POST /a/m HTTP/1.1\r\nLibprocess-From: x@1.2.3.4:5\r\n\r\n"
                       "POST /a/m HTTP/1.1\r\nLibprocess-From: x@1.2.3.4:5\r\n\r\n"
                       "POST /a/m HTTP/1.1\r\nLibprocess-From: y@1.2.3.4:6\r\n\r\n";
    cached_t c = {0};
    cp__http_decoder_t d;
    cp__http_decoder_init(&d, NULL, record_cached, &c);
    assert_int_equal(cp__http_decoder_feed(&d, text, strlen(text)), 0);
    cp__http_decoder_close(&d);
    assert_int_equal(c.count, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(c.rc[i], 0);
    assert_string_equal(c.from[1].id, "x");
    assert_int_equal(c.from[1].port, 5);
    assert_string_equal(c.from[2].id, "y");
    assert_int_equal(c.from[2].port, 6);
}

typedef struct hdrs {
    int count;
    char text[256];
} hdrs_t;

static int record_headers(void *arg, cp__http_request_t *req)
{
    hdrs_t *h = arg;
    h->count++;
    size_t n = 0;
    for (size_t i = 0; i < req->nheaders; i++)
        n += (size_t)snprintf(h->text + n, sizeof h->text - n, "[%s=%s]", req->headers[i].name,
                              req->headers[i].value);
    return 0;
}

static void test_decoder_keeps_empty_header_values_apart(void **state)
{
    const char *text = "GET / HTTP/1.1\r\nA:\r\nB: x\r\nC: \r\n\r\n";
    hdrs_t h = {0};
    cp__http_decoder_t d;
    cp__http_decoder_init(&d, NULL, record_headers, &h);
    for (size_t i = 0; text[i]; i++)
        assert_int_equal(cp__http_decoder_feed(&d, text + i, 1), 0);
    cp__http_decoder_close(&d);
    assert_int_equal(h.count, 1);
    assert_string_equal(h.text, "[A=][B=x][C=]");
}

static void test_request_header_lookup_ignores_case(void **state)
{
    cp__http_header_t h[2] = {{"Content-Type", 12, "a", 1}, {"X-Thing", 7, "bc", 2}};
    cp__http_request_t r = {.headers = h, .nheaders = 2};
    size_t n = 0;
    const char *v = cp__http_request_header(&r, "x-THING", &n);
    assert_non_null(v);
    assert_int_equal(n, 2);
    assert_null(cp__http_request_header(&r, "X-Other", &n));
}

static void test_decoder_refuses_upgrade_before_delivering_it(void **state)
{
    seen_t s = {0};
    int status = 0;
    /* A message asking for a protocol switch: nothing of it is delivered. */
    int rc = feed_all("POST /pong/ping HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\n"
                      "Connection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n",
                      &s, NULL, &status);
    assert_int_equal(rc, CP_EPROTO);
    assert_int_equal(status, 400);
    assert_int_equal(s.count, 0);
}

static void test_decoder_refuses_upgrade_header_without_connection_upgrade(void **state)
{
    seen_t s = {0};
    int status = 0;
    int rc = feed_all("GET /help HTTP/1.1\r\nUpgrade: h2c\r\n\r\n", &s, NULL, &status);
    assert_int_equal(rc, CP_EPROTO);
    assert_int_equal(status, 400);
    assert_int_equal(s.count, 0);
}

static void test_decoder_refuses_connect_before_delivering_it(void **state)
{
    seen_t s = {0};
    int status = 0;
    int rc = feed_all("CONNECT 10.0.0.1:443 HTTP/1.1\r\nHost: 10.0.0.1:443\r\n\r\n", &s, NULL,
                      &status);
    assert_int_equal(rc, CP_EPROTO);
    assert_int_equal(status, 400);
    assert_int_equal(s.count, 0);
}

static void test_decoder_answers_requests_before_an_upgrade_in_a_pipeline(void **state)
{
    seen_t s = {0};
    int status = 0;
    int rc = feed_all("GET /help HTTP/1.1\r\n\r\n"
                      "GET /help HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n",
                      &s, NULL, &status);
    assert_int_equal(rc, CP_EPROTO);
    assert_int_equal(status, 400);
    assert_int_equal(s.count, 1);
    assert_string_equal(s.path[0], "/help");
}

static void test_decoder_accepts_chunk_extensions_with_several_parameters(void **state)
{
    seen_t s = {0};
    assert_int_equal(feed_all("POST /pong/ping HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n"
                              "3;a=b;c=d\r\nabc\r\n"
                              "2;name=\"quoted value\";x\r\nde\r\n"
                              "0;last=1\r\n\r\n",
                              &s, NULL, NULL),
                     0);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.body_len[0], 5);
    assert_memory_equal(s.body[0], "abcde", 5);
}

static void test_decoder_accepts_chunk_extensions_arriving_byte_by_byte(void **state)
{
    static const char text[] = "POST /pong/ping HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n"
                               "3 ; a=b ; c=d\r\nabc\r\n0\r\n\r\n";
    seen_t s = {0};
    cp__http_decoder_t d;
    cp__http_decoder_init(&d, NULL, record, &s);
    for (size_t i = 0; i < sizeof text - 1; i++)
        assert_int_equal(cp__http_decoder_feed(&d, text + i, 1), 0);
    cp__http_decoder_close(&d);
    assert_int_equal(s.count, 1);
    assert_memory_equal(s.body[0], "abc", 3);
}

/* ---- cproc's call headers (docs/wire.md) ---- */

static int call_of(const char *headers, seen_t *s)
{
    char text[1024];
    snprintf(text, sizeof text,
             "POST /pong/pingpong.StatsRequest HTTP/1.1\r\nLibprocess-From: p@1.2.3.4:5\r\n%s"
             "Content-Length: 0\r\n\r\n",
             headers);
    memset(s, 0, sizeof *s);
    assert_int_equal(feed_all(text, s, NULL, NULL), 0);
    assert_int_equal(s->count, 1);
    return s->call_rc[0];
}

static void test_decoder_reads_call_request_headers(void **state)
{
    seen_t s;
    assert_int_equal(call_of("Cproc-Call: 18446744073709551615\r\ncproc-method:  GetStats \r\n"
                             "Cproc-Caller: ping@10.0.0.1:7\r\n",
                             &s),
                     1);
    assert_int_equal(s.call[0].kind, CP__CALL_REQUEST);
    assert_true(s.call[0].id == UINT64_MAX);
    assert_string_equal(s.call_method[0], "GetStats");
    assert_true(s.call[0].has_caller);
    assert_string_equal(s.call[0].caller.id, "ping");
    assert_int_equal(s.call[0].caller.port, 7);
}

static void test_decoder_reads_call_reply_and_cancel_headers(void **state)
{
    seen_t s;
    assert_int_equal(call_of("Cproc-Reply: 7\r\nCproc-Status: failed\r\n", &s), 1);
    assert_int_equal(s.call[0].kind, CP__CALL_REPLY);
    assert_int_equal(s.call[0].status, CP__CALL_FAILED);
    assert_int_equal(s.call[0].id, 7);
    assert_int_equal(call_of("Cproc-Reply: 8\r\nCproc-Status: discarded\r\n", &s), 1);
    assert_int_equal(s.call[0].status, CP__CALL_DISCARDED);
    assert_int_equal(call_of("Cproc-Cancel: 9\r\n", &s), 1);
    assert_int_equal(s.call[0].kind, CP__CALL_CANCEL);
    assert_int_equal(s.call[0].id, 9);
    assert_int_equal(call_of("", &s), 0); /* a plain libprocess message */
}

static void test_decoder_refuses_malformed_call_headers(void **state)
{
    seen_t s;
    const char *bad[] = {
        "Cproc-Call: 0\r\nCproc-Method: M\r\n",                      /* id 0 */
        "Cproc-Call: 18446744073709551616\r\nCproc-Method: M\r\n",   /* overflow */
        "Cproc-Call: 12a\r\nCproc-Method: M\r\n",                    /* not a number */
        "Cproc-Call: 1\r\n",                                          /* no method */
        "Cproc-Call: 1\r\nCproc-Method: \r\n",                        /* empty method */
        "Cproc-Call: 1\r\nCproc-Method: M\r\nCproc-Caller: nobody\r\n", /* not a UPID */
        "Cproc-Reply: 1\r\n",                                         /* no status */
        "Cproc-Reply: 1\r\nCproc-Status: maybe\r\n",                  /* unknown status */
        "Cproc-Cancel: -1\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (call_of(bad[i], &s) != CP_EINVAL)
            fail_msg("accepted: %s", bad[i]);
}

static void test_wire_call_headers_round_trip_through_the_encoder(void **state)
{
    cp__buf_t out = {0};
    cp_upid_t from, to;
    memset(&from, 0, sizeof from);
    memset(&to, 0, sizeof to);
    strcpy(from.id, "__calls__");
    from.ip = 0x7f000001u;
    from.port = 1;
    strcpy(to.id, "pong");
    to.ip = 0x7f000001u;
    to.port = 2;
    const char hdrs[] = "Cproc-Call: 42\r\nCproc-Method: GetStats\r\n";
    assert_int_equal(cp__wire_encode_message_headers(&out, &from, &to, "pingpong.StatsRequest",
                                                     "x", 1, hdrs, sizeof hdrs - 1),
                     0);
    assert_non_null(strstr(out.data, "Host: 127.0.0.1:2\r\nCproc-Call: 42\r\n"));
    char *text = malloc(out.len + 1);
    memcpy(text, out.data, out.len);
    text[out.len] = '\0';
    seen_t s = {0};
    assert_int_equal(feed_all(text, &s, NULL, NULL), 0);
    assert_int_equal(s.call_rc[0], 1);
    assert_int_equal(s.call[0].id, 42);
    assert_string_equal(s.call_method[0], "GetStats");
    assert_string_equal(s.name[0], "pingpong.StatsRequest");
    free(text);
    cp__buf_close(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decoder_reads_content_length_message_from_user_agent_only),
        cmocka_unit_test(test_decoder_reads_call_request_headers),
        cmocka_unit_test(test_decoder_reads_call_reply_and_cancel_headers),
        cmocka_unit_test(test_decoder_refuses_malformed_call_headers),
        cmocka_unit_test(test_wire_call_headers_round_trip_through_the_encoder),
        cmocka_unit_test(test_decoder_reads_chunked_message_from_libprocess_from_only),
        cmocka_unit_test(test_decoder_reads_pipelined_requests_in_order),
        cmocka_unit_test(test_decoder_handles_bytes_arriving_one_at_a_time),
        cmocka_unit_test(test_decoder_refuses_oversized_header_with_431),
        cmocka_unit_test(test_decoder_refuses_declared_oversized_body_with_413),
        cmocka_unit_test(test_decoder_refuses_chunked_body_over_limit_with_413),
        cmocka_unit_test(test_decoder_rejects_garbage_with_400),
        cmocka_unit_test(test_decoder_keeps_failing_after_an_error),
        cmocka_unit_test(test_decoder_stops_when_callback_asks),
        cmocka_unit_test(test_message_with_path_without_slash_is_rejected_with_400),
        cmocka_unit_test(test_message_with_bad_sender_is_rejected),
        cmocka_unit_test(test_message_without_name_is_rejected),
        cmocka_unit_test(test_get_with_libprocess_agent_is_not_a_message),
        cmocka_unit_test(test_wire_parses_sender_upids),
        cmocka_unit_test(test_decoder_reports_keep_alive_per_request),
        cmocka_unit_test(test_decoder_keeps_empty_header_values_apart),
        cmocka_unit_test(test_sender_cache_follows_a_changing_sender),
        cmocka_unit_test(test_request_header_lookup_ignores_case),
        cmocka_unit_test(test_decoder_refuses_upgrade_before_delivering_it),
        cmocka_unit_test(test_decoder_refuses_upgrade_header_without_connection_upgrade),
        cmocka_unit_test(test_decoder_refuses_connect_before_delivering_it),
        cmocka_unit_test(test_decoder_answers_requests_before_an_upgrade_in_a_pipeline),
        cmocka_unit_test(test_decoder_accepts_chunk_extensions_with_several_parameters),
        cmocka_unit_test(test_decoder_accepts_chunk_extensions_arriving_byte_by_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

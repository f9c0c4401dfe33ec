/* The request decoder's fast path against llhttp: for every input here,
 * fed whole, cut at every byte, byte by byte and truncated, a decoder with
 * the fast path and one without must hand out the same requests and
 * refuse the same way (tests/fuzz/http_diff.h compares their traces). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../fuzz/http_diff.h"
#include "cproc/error.h"
#include "transport/http_decoder.h"
#include "transport/wire.h"

static const cp__http_limits_t ROOMY = {.max_header = 4096, .max_body = 65536};

/* Both decoders agree on `text` fed whole, cut once anywhere, byte by byte
 * and truncated anywhere; with the callback stopping at the first and
 * second request, and bodies taken or left. Returns how many requests the
 * fast path took when fed whole. */
static uint64_t same_everywhere(const cp__http_limits_t *lim, const char *text, size_t len)
{
    uint64_t taken = 0;
    for (int stop = 0; stop <= 2; stop++) {
        for (int take = 0; take <= 1; take++) {
            uint64_t n = 0;
            if (!http_diff_same(lim, text, len, NULL, 0, stop, take, NULL, &n))
                fail_msg("differs fed whole (stop %d, take %d): %.*s", stop, take, (int)len, text);
            if (stop == 0 && take == 0)
                taken = n;
        }
    }
    for (size_t cut = 0; cut <= len; cut++) {
        if (!http_diff_same(lim, text, len, &cut, 1, 0, cut & 1, NULL, NULL))
            fail_msg("differs cut at %zu: %.*s", cut, (int)len, text);
        if (!http_diff_same(lim, text, cut, NULL, 0, 0, false, NULL, NULL))
            fail_msg("differs truncated at %zu: %.*s", cut, (int)len, text);
    }
    size_t *cuts = malloc((len + 1) * sizeof *cuts);
    assert_non_null(cuts);
    for (size_t i = 0; i < len; i++)
        cuts[i] = i + 1;
    if (len && !http_diff_same(lim, text, len, cuts, len - 1, 0, true, NULL, NULL))
        fail_msg("differs byte by byte: %.*s", (int)len, text);
    free(cuts);
    return taken;
}

static uint64_t same_everywhere_str(const char *text)
{
    return same_everywhere(&ROOMY, text, strlen(text));
}

/* A message as cproc encodes it (docs/wire.md), appended to *out. */
static void encode(cp__buf_t *out, const char *to_id, const char *name, const char *body,
                   size_t body_len, const char *headers)
{
    cp_upid_t from, to;
    assert_int_equal(cp_upid_make("ping(1)", 0x7f000001u, 40001, &from), 0);
    assert_int_equal(cp_upid_make(to_id, 0x0a000002u, 5050, &to), 0);
    assert_int_equal(cp__wire_encode_message_headers(&out[0], &from, &to, name, body, body_len,
                                                     headers, headers ? strlen(headers) : 0),
                     0);
}

static void test_fast_path_takes_the_messages_cproc_sends(void **state)
{
    cp__buf_t out = {0};
    char big[3000];
    memset(big, 'b', sizeof big);
    encode(&out, "pong", "pingpong.Ping", "x", 1, NULL);
    encode(&out, "pong", "pingpong.Ping", NULL, 0, NULL);
    encode(&out, "a b/c", "x/y", big, sizeof big, "Cproc-Call: 7\r\nCproc-Method: M\r\n");
    encode(&out, "pong", "pingpong.Pong", big, 16, "Cproc-Reply: 7\r\nCproc-Status: ok\r\n");
    assert_int_equal(same_everywhere(&ROOMY, out.data, out.len), 4);
    cp__buf_close(&out);
}

static void test_fast_path_takes_libprocess_and_plain_requests(void **state)
{
    /* libprocess's own framing of a message with a body, without one, and
     * with a Content-Length; then plain HTTP requests. */
    assert_int_equal(same_everywhere_str("POST /master/mesos.internal.Ping HTTP/1.1\r\n"
                                         "User-Agent: libprocess/slave(1)@10.0.0.3:5051\r\n"
                                         "Libprocess-From: slave(1)@10.0.0.3:5051\r\n"
                                         "Connection: Keep-Alive\r\nHost: \r\n"
                                         "Transfer-Encoding: chunked\r\n\r\n"
                                         "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n"
                                         "POST /master/x HTTP/1.1\r\n"
                                         "User-Agent: libprocess/slave(1)@10.0.0.3:5051\r\n"
                                         "Libprocess-From: slave(1)@10.0.0.3:5051\r\n"
                                         "Connection: Keep-Alive\r\nHost: \r\n\r\n"
                                         "POST /echo/seq HTTP/1.1\r\n"
                                         "user-agent: libprocess/x@1.2.3.4:5\r\n"
                                         "content-length: 5\r\n\r\nhello"),
                     3);
    assert_int_equal(same_everywhere_str("GET /metrics/snapshot?jsonp=f&x=%20 HTTP/1.1\r\n"
                                         "Host: x:1\r\nAccept:   */*  \r\nA:\r\nB: \r\n\r\n"
                                         "GET / HTTP/1.1\r\nconnection: KEEP-ALIVE\r\n\r\n"
                                         "POST /a/b HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
                                         "3\r\nabc\r\n00000002\r\nde\r\n0\r\n\r\n"),
                     3);
}

/* Each of these is read by llhttp, never by the fast path, and the two
 * decoders still agree on it and on what follows. */
static void test_fast_path_leaves_odd_requests_to_llhttp(void **state)
{
    static const char *const odd[] = {
        "GET / HTTP/1.0\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n",
        "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        "GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n",
        "GET / HTTP/1.1\r\nProxy-Connection: close\r\n\r\n",
        "CONNECT 10.0.0.1:443 HTTP/1.1\r\nHost: 10.0.0.1:443\r\n\r\n",
        "PUT /a HTTP/1.1\r\nContent-Length: 1\r\n\r\nx",
        "GET http://x/a HTTP/1.1\r\n\r\n",
        "GET /a#frag HTTP/1.1\r\n\r\n",
        "GET /a\"b HTTP/1.1\r\n\r\n",
        "GET  /a HTTP/1.1\r\n\r\n",
        "GET /a  HTTP/1.1\r\n\r\n",
        "GET /a HTTP/1.1\n\n",
        "GET /a HTTP/1.1\r\nA: b\nC: d\r\n\r\n",
        "GET /a HTTP/1.1\r\nA: b\r\n c\r\n\r\n", /* obs-fold */
        "GET /a HTTP/1.1\r\nA : b\r\n\r\n",
        "GET /a HTTP/1.1\r\nA:\tb\r\n\r\n",
        "GET /a HTTP/1.1\r\nA: b\tc\r\n\r\n",
        "GET /a HTTP/1.1\r\nA: \x80\xff\r\n\r\n",
        "GET /a HTTP/1.1\r\n: b\r\n\r\n",
        "GET /a HTTP/1.1\r\nA: b\r\r\n\r\n",
        "\r\nGET /a HTTP/1.1\r\n\r\n",
        "POST /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
        "POST /a HTTP/1.1\r\nContent-Length: 1 \r\n\r\nx",
        "POST /a HTTP/1.1\r\nContent-Length: +1\r\n\r\nx",
        "POST /a HTTP/1.1\r\nContent-Length: 0000000001\r\n\r\nx",
        "POST /a HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "POST /a HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: "
        "chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
        "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: "
        "1\r\n\r\n1\r\nx\r\n0\r\n\r\n",
        "POST /a HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
        "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
        "chunked\r\n\r\n0\r\n\r\n",
        "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;a=b\r\nx\r\n0\r\n\r\n",
        "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1 \r\nx\r\n0\r\n\r\n",
        "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nT: v\r\n\r\n",
        "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n0\r\n\r\n",
        "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n000000001\r\nx\r\n0\r\n\r\n",
        "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n",
    };
    const char *next =
        "POST /n/m HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\nContent-Length: 2\r\n\r\nok";
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        uint64_t taken = 0;
        if (!http_diff_same(&ROOMY, odd[i], strlen(odd[i]), NULL, 0, 0, false, NULL, &taken))
            fail_msg("differs: %s", odd[i]);
        if (taken != 0)
            fail_msg("the fast path took: %s", odd[i]);
        char both[512];
        snprintf(both, sizeof both, "%s%s", odd[i], next);
        same_everywhere_str(both);
        snprintf(both, sizeof both, "%s%s", next, odd[i]);
        same_everywhere_str(both);
    }
}

/* The inputs of test_http_decoder.c. */
static void test_fast_path_matches_llhttp_on_the_decoder_vectors(void **state)
{
    static const char *const vectors[] = {
        "POST /pong/pingpong.Ping HTTP/1.1\r\nuser-agent: libprocess/ping@127.0.0.1:99\r\n"
        "content-length: 5\r\n\r\nhello",
        "POST /pong/m HTTP/1.1\r\nLIBPROCESS-FROM: x@1.2.3.4:5\r\n"
        "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        "POST /a/one HTTP/1.1\r\nLibprocess-From: x@1.2.3.4:5\r\n\r\n"
        "GET /a/route?x=1&y=2 HTTP/1.1\r\n\r\n"
        "POST /b/two HTTP/1.1\r\nLibprocess-From: x@1.2.3.4:5\r\nContent-Length: 1\r\n\r\nZ",
        "POST /p%20q/a%2Fb HTTP/1.1\r\nLibprocess-From: x@1.2.3.4:5\r\n"
        "Transfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n",
        "GET /a/b HTTP/1.1\r\nX-Long: "
        "0123456789012345678901234567890123456789012345678901234567890123456789\r\n\r\n",
        "POST /a/b HTTP/1.1\r\nContent-Length: 11\r\n\r\n",
        "POST /a/b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n",
        "POST /__calls__/cproc.Failed HTTP/1.1\r\nCproc-Reply: 42\r\nContent-Length: 11\r\n\r\n",
        "POST /a/b HTTP/1.1\r\nTransfer-Encoding: chunked\r\nCproc-Reply: "
        "7\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n",
        "\x01\x02garbage\r\n\r\n",
        "BAD\x7f\r\nGET / HTTP/1.1\r\n\r\n",
        "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
        "POST pong/m HTTP/1.1\r\nLibprocess-From: x@1.2.3.4:5\r\n\r\n",
        "POST /pong/m HTTP/1.1\r\nLibprocess-From: nonsense\r\n\r\n",
        "POST /pong HTTP/1.1\r\nLibprocess-From: x@1.2.3.4:5\r\n\r\n"
        "POST /pong/ HTTP/1.1\r\nLibprocess-From: x@1.2.3.4:5\r\n\r\n",
        "GET /pong/m HTTP/1.1\r\nUser-Agent: libprocess/x@1.2.3.4:5\r\n\r\n",
        "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nConnection: close\r\n\r\nGET /c "
        "HTTP/1.1\r\n\r\n",
        "GET /c HTTP/1.0\r\n\r\n",
        "GET / HTTP/1.1\r\nA:\r\nB: x\r\nC: \r\n\r\n",
        "POST /pong/ping HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\n"
        "Connection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n",
        "GET /help HTTP/1.1\r\nUpgrade: h2c\r\n\r\n",
        "CONNECT 10.0.0.1:443 HTTP/1.1\r\nHost: 10.0.0.1:443\r\n\r\n",
        "GET /help HTTP/1.1\r\n\r\nGET /help HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n",
        "POST /pong/ping HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\nTransfer-Encoding: "
        "chunked\r\n\r\n"
        "3;a=b;c=d\r\nabc\r\n2;name=\"quoted value\";x\r\nde\r\n0;last=1\r\n\r\n",
        "POST /pong/ping HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\nTransfer-Encoding: "
        "chunked\r\n\r\n"
        "3 ; a=b ; c=d\r\nabc\r\n0\r\n\r\n",
        "POST /pong/pingpong.StatsRequest HTTP/1.1\r\nLibprocess-From: p@1.2.3.4:5\r\n"
        "Cproc-Call: 18446744073709551615\r\ncproc-method:  GetStats \r\n"
        "Cproc-Caller: ping@10.0.0.1:7\r\nContent-Length: 0\r\n\r\n",
    };
    cp__http_limits_t tight = {.max_header = 64, .max_body = 10};
    for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
        same_everywhere_str(vectors[i]);
        same_everywhere(&tight, vectors[i], strlen(vectors[i]));
    }
}

/* After llhttp reads a request split across reads, the fast path takes
 * the whole ones behind it in the same read. */
static void test_fast_path_resumes_after_a_split_request(void **state)
{
    const char *one =
        "POST /a/m HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\nContent-Length: 3\r\n\r\nabc";
    char text[1024];
    snprintf(text, sizeof text, "%s%s%s", one, one, one);
    size_t cut = 10;
    http_diff_run_t r = {0};
    http_diff_feed(&r, true, NULL, text, strlen(text), &cut, 1);
    assert_int_equal(r.requests, 3);
    assert_int_equal(r.fast_requests, 2);
    cp__buf_close(&r.trace);
    assert_true(http_diff_same(NULL, text, strlen(text), &cut, 1, 0, false, NULL, NULL));
}

/* A request's head counted as the decoder counts it toward max_header:
 * the target, and each header's name and value plus 4. */
static void test_fast_path_matches_llhttp_at_the_limits(void **state)
{
    const char *cl =
        "POST /a/m HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\nContent-Length: 5\r\n\r\nhello";
    const char *ch = "POST /a/m HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n";
    size_t head_cl = 4 + (15 + 11 + 4) + (14 + 1 + 4);
    size_t head_ch = 4 + (15 + 11 + 4) + (17 + 7 + 4);
    const char *texts[] = {cl, ch};
    size_t heads[] = {head_cl, head_ch};
    for (int t = 0; t < 2; t++) {
        for (size_t h = heads[t] - 1; h <= heads[t] + 1; h++) {
            for (size_t b = 4; b <= 6; b++) {
                cp__http_limits_t lim = {.max_header = h, .max_body = b};
                char two[512];
                snprintf(two, sizeof two, "%s%s", texts[t], texts[t]);
                uint64_t taken = same_everywhere(&lim, two, strlen(two));
                bool fits = h >= heads[t] && b >= 5;
                assert_int_equal(taken, fits ? 2 : 0);
            }
        }
    }
}

/* Every byte of two pipelined messages replaced by bytes that matter to
 * HTTP's grammar, the result fed whole and cut around the change. */
static void test_fast_path_matches_llhttp_with_mutated_bytes(void **state)
{
    cp__buf_t out = {0};
    encode(&out, "pong", "pingpong.Ping", "xyz", 3, NULL);
    assert_int_equal(
        cp__buf_append_str(&out, "POST /pong/m HTTP/1.1\r\nContent-Length: 2\r\n\r\nok"), 0);
    static const char repl[] = {' ', '\t', '\r', '\n', ':',  ';',    '0',   'F',
                                'x', '#',  '?',  '"',  '\0', '\x7f', '\x80'};
    char *text = malloc(out.len);
    assert_non_null(text);
    for (size_t i = 0; i < out.len; i++) {
        for (size_t k = 0; k < sizeof repl; k++) {
            memcpy(text, out.data, out.len);
            if (text[i] == repl[k])
                continue;
            text[i] = repl[k];
            size_t cuts[] = {i, i + 1};
            if (!http_diff_same(&ROOMY, text, out.len, NULL, 0, 0, false, NULL, NULL) ||
                !http_diff_same(&ROOMY, text, out.len, &cuts[0], 1, 0, true, NULL, NULL) ||
                !http_diff_same(&ROOMY, text, out.len, &cuts[1], 1, 1, false, NULL, NULL))
                fail_msg("differs with byte %zu set to 0x%02x", i, (unsigned char)repl[k]);
        }
        /* And the byte removed. */
        memcpy(text, out.data, i);
        memcpy(text + i, out.data + i + 1, out.len - i - 1);
        if (!http_diff_same(&ROOMY, text, out.len - 1, NULL, 0, 0, false, NULL, NULL))
            fail_msg("differs with byte %zu removed", i);
    }
    free(text);
    cp__buf_close(&out);
}

/* Requests built from parts: method, target, header spelling, framing,
 * body size, in pipelines of one to three. */
static void test_fast_path_matches_llhttp_on_generated_requests(void **state)
{
    static const char *const lines[] = {"POST /p/n HTTP/1.1\r\n", "GET /p?q=1&r HTTP/1.1\r\n",
                                        "POST /%41(1)/a.b/c HTTP/1.1\r\n"};
    static const char *const headers[] = {"",
                                          "Libprocess-From: a@1.2.3.4:5\r\n",
                                          "User-Agent: libprocess/a@1.2.3.4:5\r\nHost: h\r\n",
                                          "CONNECTION: keep-alive\r\nX-A: 1 2 3 \r\n",
                                          "Connection: close\r\n",
                                          "X:\r\nY:    \r\n"};
    /* A length goes after the ones that end in ": ". */
    static const char *const framing[] = {"", "Content-Length: ", "Transfer-Encoding: chunked\r\n",
                                          "content-length: ", "transfer-encoding: CHUNKED\r\n"};
    static const size_t sizes[] = {0, 1, 15, 16, 17, 255};
    char one[3][1024];
    size_t nl = sizeof lines / sizeof *lines, nh = sizeof headers / sizeof *headers;
    size_t nf = sizeof framing / sizeof *framing, ns = sizeof sizes / sizeof *sizes;
    size_t total = nl * nh * nf * ns;
    for (size_t v = 0; v < total; v++) {
        /* Three requests: this variant and two others spread over the set. */
        for (int r = 0; r < 3; r++) {
            size_t w = (v + (size_t)r * 37) % total;
            const char *line = lines[w % nl];
            const char *hdr = headers[w / nl % nh];
            size_t f = w / nl / nh % nf;
            size_t size = sizes[w / nl / nh / nf % ns];
            char fr[64];
            if (f == 1 || f == 3)
                snprintf(fr, sizeof fr, "%s%zu\r\n", framing[f], size);
            else
                snprintf(fr, sizeof fr, "%s", framing[f]);
            char body[600];
            size_t n = 0;
            if (f == 2 || f == 4) {
                if (size)
                    n += (size_t)snprintf(body, sizeof body, "%zx\r\n%.*s\r\n", size, (int)size,
                                          lines[0] /* any bytes */);
                n += (size_t)snprintf(body + n, sizeof body - n, "0\r\n\r\n");
            } else if (f != 0) {
                n += (size_t)snprintf(
                    body, sizeof body, "%.*s", (int)size,
                    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
            }
            snprintf(one[r], sizeof one[r], "%s%s%s\r\n%.*s", line, hdr, fr, (int)n, body);
        }
        char text[3200];
        int len = snprintf(text, sizeof text, "%s%s%s", one[0], one[1], one[2]);
        for (int cut = 0; cut <= len; cut += 7) {
            size_t c = (size_t)cut;
            if (!http_diff_same(&ROOMY, text, (size_t)len, &c, 1, 0, v & 1, NULL, NULL))
                fail_msg("differs, variant %zu cut at %d", v, cut);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_path_takes_the_messages_cproc_sends),
        cmocka_unit_test(test_fast_path_takes_libprocess_and_plain_requests),
        cmocka_unit_test(test_fast_path_leaves_odd_requests_to_llhttp),
        cmocka_unit_test(test_fast_path_matches_llhttp_on_the_decoder_vectors),
        cmocka_unit_test(test_fast_path_resumes_after_a_split_request),
        cmocka_unit_test(test_fast_path_matches_llhttp_at_the_limits),
        cmocka_unit_test(test_fast_path_matches_llhttp_with_mutated_bytes),
        cmocka_unit_test(test_fast_path_matches_llhttp_on_generated_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The request decoder with and without its fast path, side by side: the
 * same bytes, cut into the same reads, go into one decoder of each kind,
 * and everything observable is written to a trace (each feed's result,
 * mid_request after it, each request as handed out, each on_too_large
 * call, the final error). The two traces must be equal byte for byte.
 * Shared by tests/runtime/test_http_decoder.c and the fuzz target. */
#ifndef CPROC_TESTS_HTTP_DIFF_H
#define CPROC_TESTS_HTTP_DIFF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/buf.h"
#include "transport/http_decoder.h"

typedef struct http_diff_run {
    cp__buf_t trace;
    int requests;
    int stop_after; /* the callback asks to stop at this request; 0 never */
    bool take_odd;  /* take the body of every other request */
    /* Called with each request after it is traced (may be NULL). */
    void (*also)(cp__http_request_t *req);
    uint64_t fast_requests; /* how many the fast path took */
} http_diff_run_t;

static void http_diff_put(http_diff_run_t *r, const void *p, size_t n)
{
    if (cp__buf_append(&r->trace, p, n))
        abort();
}

static void http_diff_putf(http_diff_run_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void http_diff_putf(http_diff_run_t *r, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    http_diff_put(r, tmp, n < (int)sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A string with its length, and whether it is NUL-terminated there. */
static void http_diff_str(http_diff_run_t *r, const char *tag, const char *s, size_t n)
{
    http_diff_putf(r, " %s[%zu]=", tag, n);
    if (n)
        http_diff_put(r, s, n);
    http_diff_putf(r, "%s", s != NULL && s[n] == '\0' ? "" : "(unterminated)");
}

static void http_diff_request(http_diff_run_t *r, const cp__http_request_t *req, bool with_body)
{
    http_diff_putf(r, "method %d %s", req->method, req->method_name);
    http_diff_str(r, "url", req->url, req->url_len);
    http_diff_str(r, "path", req->path, req->path_len);
    http_diff_str(r, "query", req->query, req->query_len);
    for (size_t i = 0; i < req->nheaders; i++) {
        http_diff_str(r, "name", req->headers[i].name, req->headers[i].name_len);
        http_diff_str(r, "value", req->headers[i].value, req->headers[i].value_len);
    }
    if (with_body) {
        http_diff_putf(r, " body[%zu]%s=", req->body_len, req->body ? "" : "(null)");
        if (req->body)
            http_diff_put(r, req->body, req->body_len);
        http_diff_putf(r, " keep_alive=%d", req->keep_alive);
    }
    http_diff_put(r, "\n", 1);
}

static int http_diff_on_request(void *arg, cp__http_request_t *req)
{
    http_diff_run_t *r = arg;
    r->requests++;
    http_diff_putf(r, "request %d: ", r->requests);
    http_diff_request(r, req, true);
    if (r->also)
        r->also(req);
    if (r->take_odd && (r->requests & 1)) {
        size_t len;
        void *body = cp__http_request_take_body(req, &len);
        if ((body == NULL) != (len == 0))
            abort();
        free(body);
    }
    return r->stop_after && r->requests >= r->stop_after;
}

static void http_diff_on_too_large(void *arg, const cp__http_request_t *req, uint64_t len)
{
    http_diff_run_t *r = arg;
    http_diff_putf(r, "too large %llu: ", (unsigned long long)len);
    http_diff_request(r, req, false);
}

/* Feeds data[0, len) cut before each of cuts[0..ncuts) (ascending) into a
 * decoder with the fast path on or off; the trace goes to r->trace. */
static void http_diff_feed(http_diff_run_t *r, bool fast, const cp__http_limits_t *lim,
                           const char *data, size_t len, const size_t *cuts, size_t ncuts)
{
    cp__http_decoder_t d;
    cp__http_decoder_init(&d, lim, http_diff_on_request, r);
    cp__http_decoder_set_fast(&d, fast);
    d.on_too_large = http_diff_on_too_large;
    size_t at = 0;
    for (size_t k = 0; k <= ncuts; k++) {
        size_t to = k < ncuts ? cuts[k] : len;
        int rc = cp__http_decoder_feed(&d, data + at, to - at);
        http_diff_putf(r, "feed %zu..%zu: %d mid=%d\n", at, to, rc,
                       cp__http_decoder_mid_request(&d));
        at = to;
    }
    http_diff_putf(r, "end: %d %s\n", d.error_status, d.error_reason ? d.error_reason : "-");
    r->fast_requests = d.fast_requests;
    cp__http_decoder_close(&d);
}

/* Runs both decoders. Returns true when their traces are equal; when not,
 * prints both to stderr. `also`, stop_after and take_odd as in the run.
 * *fast_requests (when not NULL) gets how many the fast path took. */
static bool http_diff_same(const cp__http_limits_t *lim, const char *data, size_t len,
                           const size_t *cuts, size_t ncuts, int stop_after, bool take_odd,
                           void (*also)(cp__http_request_t *), uint64_t *fast_requests)
{
    http_diff_run_t fast = {.stop_after = stop_after, .take_odd = take_odd, .also = also};
    http_diff_run_t slow = fast;
    http_diff_feed(&fast, true, lim, data, len, cuts, ncuts);
    http_diff_feed(&slow, false, lim, data, len, cuts, ncuts);
    if (fast_requests)
        *fast_requests = fast.fast_requests;
    bool same = fast.trace.len == slow.trace.len &&
                memcmp(fast.trace.data, slow.trace.data, fast.trace.len) == 0;
    if (!same)
        fprintf(stderr, "fast path differs; fast:\n%.*s\nllhttp:\n%.*s\n", (int)fast.trace.len,
                fast.trace.data, (int)slow.trace.len, slow.trace.data);
    cp__buf_close(&fast.trace);
    cp__buf_close(&slow.trace);
    return same;
}

#endif

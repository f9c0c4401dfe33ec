/* Internal: the HTTP/1.1 request decoder, on llhttp.
 *
 * Feed it bytes as they arrive; it calls back once per complete request,
 * with pipelined requests in order. Content-Length and chunked bodies are
 * both accepted, chunk extensions too (and ignored). A request that asks
 * for a protocol upgrade (an Upgrade header) or uses CONNECT is refused
 * with 400 before it is handed out. Limits on header and body size are
 * enforced while bytes arrive, so an oversized request is refused before
 * it is buffered.
 * Complete requests of the shape cproc and libprocess send skip llhttp
 * (transport/http_fast.h); everything else goes through it.
 * Pure C with no I/O: one decoder per connection, used by one thread.
 */
#ifndef CPROC_TRANSPORT_HTTP_DECODER_H
#define CPROC_TRANSPORT_HTTP_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llhttp.h"
#include "transport/buf.h"

typedef struct cp__http_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} cp__http_header_t;

/* A decoded request. Every pointer is into the decoder's storage and valid
 * only during the on_request callback, except the body, which the callback
 * may take with cp__http_request_take_body(). Strings are NUL-terminated
 * as a convenience (lengths are authoritative). */
typedef struct cp__http_request {
    int method;              /* an llhttp_method_t */
    const char *method_name; /* "GET", "POST", ... */
    char *url;               /* the raw request target */
    size_t url_len;
    char *path;              /* url up to '?' or '#', not decoded */
    size_t path_len;
    char *query;             /* after '?', not decoded; "" when none */
    size_t query_len;
    cp__http_header_t *headers;
    size_t nheaders;
    char *body; /* malloc'd or NULL when empty */
    size_t body_len;
    bool keep_alive; /* HTTP/1.1 default or Connection: keep-alive */
} cp__http_request_t;

/* Returns 0 to go on parsing, non-zero to stop (the feed returns
 * CP_ESTATE and the decoder must not be fed again). */
typedef int (*cp__http_on_request_fn)(void *arg, cp__http_request_t *req);

typedef struct cp__http_limits {
    size_t max_header; /* request line plus headers, bytes */
    size_t max_body;   /* body bytes after de-chunking */
} cp__http_limits_t;

#define CP_HTTP_DEFAULT_MAX_HEADER ((size_t)80 * 1024)
#define CP_HTTP_DEFAULT_MAX_BODY ((size_t)64 * 1024 * 1024)
#define CP_HTTP_MAX_HEADERS 100

typedef struct cp__http_span {
    size_t name_off, name_len, value_off, value_len;
} cp__http_span_t;

typedef struct cp__http_decoder {
    llhttp_t parser;
    llhttp_settings_t settings;
    cp__http_limits_t limits;
    cp__http_on_request_fn on_request;
    void *arg;
    cp__buf_t head; /* url, then each header name and value, each NUL-ended */
    cp__buf_t body;
    cp__http_span_t spans[CP_HTTP_MAX_HEADERS];
    cp__http_header_t headers[CP_HTTP_MAX_HEADERS];
    size_t nspans;
    size_t url_len;
    size_t head_bytes; /* counted toward max_header */
    int in_field;      /* 0 none, 1 url, 2 header name, 3 header value */
    int error_status;  /* HTTP status to answer on error (400, 413, 431) */
    const char *error_reason;
    bool failed;
    bool in_message;
    bool chunk_line; /* llhttp is paused where a chunk-size line starts */
    bool last_chunk; /* the chunk being read has size 0 */
    cp__buf_t line;  /* a chunk-size line read so far */
    bool fast;       /* the fast path may be tried (tests turn it off) */
    bool between;    /* llhttp waits for a new request (none started, the
                      * last one kept the connection alive) */
    uint64_t fast_requests; /* requests the fast path took (tests read it) */
    /* Told, once, of a request refused for its body size, with its headers
     * (no body) and the size known so far (Content-Length, or the de-chunked
     * bytes that passed the limit). NULL: nobody is told. */
    void (*on_too_large)(void *arg, const cp__http_request_t *req, uint64_t len);
} cp__http_decoder_t;

/* Prepares *d. `limits` may be NULL for the defaults. Never fails. */
void cp__http_decoder_init(cp__http_decoder_t *d, const cp__http_limits_t *limits,
                           cp__http_on_request_fn on_request, void *arg);

/* Frees the decoder's buffers. */
void cp__http_decoder_close(cp__http_decoder_t *d);

/* Parses `len` more bytes. Returns 0 when all were consumed (a request may
 * be incomplete), CP_EPROTO for malformed input, CP_ETOOBIG for a limit,
 * CP_ENOMEM, or CP_ESTATE when the callback asked to stop. After any error
 * d->error_status and d->error_reason say what to answer, and further
 * feeds return the same error. */
int cp__http_decoder_feed(cp__http_decoder_t *d, const char *data, size_t len);

/* Turns the fast path (transport/http_fast.h) on or off; on by default.
 * Off, every byte goes through llhttp: tests compare the two. Call before
 * the first feed. */
void cp__http_decoder_set_fast(cp__http_decoder_t *d, bool on);

/* True when a request has started but not completed (bytes are pending). */
bool cp__http_decoder_mid_request(const cp__http_decoder_t *d);

/* The value of the first header named `name` (case-insensitive), with its
 * length in *len, or NULL. */
const char *cp__http_request_header(const cp__http_request_t *req, const char *name, size_t *len);

/* Takes the body (malloc'd, the caller frees it; NULL when empty) out of
 * the request. */
void *cp__http_request_take_body(cp__http_request_t *req, size_t *len);

#endif

/* The request decoder: llhttp callbacks copy the spans of a request into
 * one growing buffer (llhttp may split a field across reads), and the
 * request is handed out whole when llhttp reports its end.
 *
 * Chunk-size lines are read here, not by llhttp: llhttp 8.1 (Debian 12)
 * refuses valid chunk extensions with several parameters (";a=b;c=d":
 * the ';' after a token value sends it back to the size digits). llhttp
 * pauses where a size line starts (after the headers of a chunked request
 * and after each data chunk); the decoder collects the line, checks it
 * against RFC 9112's grammar, and feeds llhttp only "<hex>\r\n".
 *
 * Between requests the fast path (transport/http_fast.h) is tried first;
 * it takes whole requests of the common shape and declines the rest, which
 * llhttp then reads from their first byte. llhttp pauses after each
 * request it completes so that the next one gets the fast path again. */
#include "transport/http_decoder.h"

#include <ctype.h>
#include <strings.h>

#include "cproc/error.h"
#include "transport/http_fast.h"

enum { FIELD_NONE, FIELD_URL, FIELD_NAME, FIELD_VALUE };

static cp__http_decoder_t *decoder_of(llhttp_t *p)
{
    return (cp__http_decoder_t *)p->data;
}

int cp__http_decoder_fail(cp__http_decoder_t *d, int status, const char *reason)
{
    if (!d->failed) {
        d->failed = true;
        d->error_status = status;
        d->error_reason = reason;
    }
    return -1;
}

/* Ends the field in progress with a NUL so every span is a C string. */
static int end_field(cp__http_decoder_t *d)
{
    if (d->in_field == FIELD_NONE)
        return 0;
    if (cp__buf_append(&d->head, "", 1))
        return cp__http_decoder_fail(d, 500, "out of memory");
    if (d->in_field == FIELD_URL) {
        d->url_len = d->head.len - 1;
    } else if (d->in_field == FIELD_NAME) {
        cp__http_span_t *s = &d->spans[d->nspans];
        s->name_len = d->head.len - 1 - s->name_off;
    } else {
        cp__http_span_t *s = &d->spans[d->nspans];
        s->value_len = d->head.len - 1 - s->value_off;
        d->nspans++;
    }
    d->in_field = FIELD_NONE;
    return 0;
}

static int add_head_bytes(cp__http_decoder_t *d, const char *at, size_t len)
{
    d->head_bytes += len;
    if (d->head_bytes > d->limits.max_header)
        return cp__http_decoder_fail(d, 431, "request header too large");
    if (cp__buf_append(&d->head, at, len))
        return cp__http_decoder_fail(d, 500, "out of memory");
    return 0;
}

static int on_message_begin(llhttp_t *p)
{
    cp__http_decoder_t *d = decoder_of(p);
    d->head.len = 0;
    d->body.len = 0;
    d->nspans = 0;
    d->url_len = 0;
    d->head_bytes = 0;
    d->in_field = FIELD_NONE;
    d->in_message = true;
    d->between = false;
    return 0;
}

/* Each field is delimited by llhttp's *_complete callbacks, never by the
 * arrival of the next one: a header with an empty value gets no data
 * callback at all. */
static int on_url(llhttp_t *p, const char *at, size_t len)
{
    cp__http_decoder_t *d = decoder_of(p);
    d->in_field = FIELD_URL;
    return add_head_bytes(d, at, len);
}

static int on_url_complete(llhttp_t *p)
{
    cp__http_decoder_t *d = decoder_of(p);
    d->in_field = FIELD_URL;
    return end_field(d);
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    cp__http_decoder_t *d = decoder_of(p);
    if (d->in_field != FIELD_NAME) {
        if (d->nspans == CP_HTTP_MAX_HEADERS)
            return cp__http_decoder_fail(d, 431, "too many request headers");
        d->spans[d->nspans] = (cp__http_span_t){.name_off = d->head.len};
        d->in_field = FIELD_NAME;
        /* Each header costs its line ending and separator, as on the wire. */
        d->head_bytes += 4;
    }
    return add_head_bytes(d, at, len);
}

static int on_header_field_complete(llhttp_t *p)
{
    cp__http_decoder_t *d = decoder_of(p);
    if (d->in_field != FIELD_NAME)
        return cp__http_decoder_fail(d, 400, "malformed request: empty header name");
    if (end_field(d))
        return -1;
    d->spans[d->nspans].value_off = d->head.len;
    d->in_field = FIELD_VALUE;
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    return add_head_bytes(decoder_of(p), at, len);
}

static int on_header_value_complete(llhttp_t *p)
{
    cp__http_decoder_t *d = decoder_of(p);
    if (d->in_field != FIELD_VALUE)
        return cp__http_decoder_fail(d, 400, "malformed request: header value without a name");
    return end_field(d);
}

static void split_url(cp__http_request_t *r);

/* The headers of the request being read, for on_too_large. The url is
 * split in place: nothing reads it again, as the request is refused. */
static void tell_too_large(cp__http_decoder_t *d, uint64_t len)
{
    if (d->on_too_large == NULL)
        return;
    cp__http_request_t r;
    memset(&r, 0, sizeof r);
    r.method = d->parser.method;
    r.method_name = llhttp_method_name((llhttp_method_t)d->parser.method);
    r.url = d->head.data;
    r.url_len = d->url_len;
    r.nheaders = d->nspans;
    for (size_t i = 0; i < d->nspans; i++) {
        const cp__http_span_t *s = &d->spans[i];
        d->headers[i] = (cp__http_header_t){d->head.data + s->name_off, s->name_len,
                                            d->head.data + s->value_off, s->value_len};
    }
    r.headers = d->headers;
    if (r.url == NULL || r.url_len == 0)
        return;
    split_url(&r);
    void (*fn)(void *, const cp__http_request_t *, uint64_t) = d->on_too_large;
    d->on_too_large = NULL; /* once: the decoder is failed from here on */
    fn(d->arg, &r, len);
}

static int on_headers_complete(llhttp_t *p)
{
    cp__http_decoder_t *d = decoder_of(p);
    if (d->url_len == 0)
        return cp__http_decoder_fail(d, 400, "empty request target");
    /* Refused here, before the request is delivered: llhttp would hand it
     * out whole and only then stop. */
    if (p->method == HTTP_CONNECT)
        return cp__http_decoder_fail(d, 400, "CONNECT is not supported");
    if (p->upgrade || (p->flags & F_UPGRADE))
        return cp__http_decoder_fail(d, 400, "protocol upgrade is not supported");
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > d->limits.max_body) {
        tell_too_large(d, p->content_length);
        return cp__http_decoder_fail(d, 413, "request body too large");
    }
    if (p->flags & F_CHUNKED) {
        d->chunk_line = true;
        return HPE_PAUSED;
    }
    return 0;
}

static int on_chunk_header(llhttp_t *p)
{
    decoder_of(p)->last_chunk = p->content_length == 0;
    return 0;
}

/* After a data chunk's CRLF comes the next size line; after the last
 * chunk's trailers, the end of the message. */
static int on_chunk_complete(llhttp_t *p)
{
    cp__http_decoder_t *d = decoder_of(p);
    if (d->last_chunk)
        return 0;
    d->chunk_line = true;
    return HPE_PAUSED;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    cp__http_decoder_t *d = decoder_of(p);
    if (len > d->limits.max_body - d->body.len) {
        tell_too_large(d, (uint64_t)d->body.len + len);
        return cp__http_decoder_fail(d, 413, "request body too large");
    }
    if (cp__buf_append(&d->body, at, len))
        return cp__http_decoder_fail(d, 500, "out of memory");
    return 0;
}

static void split_url(cp__http_request_t *r)
{
    size_t end = r->url_len;
    char *hash = memchr(r->url, '#', end);
    if (hash) {
        *hash = '\0';
        end = (size_t)(hash - r->url);
    }
    char *q = memchr(r->url, '?', end);
    r->path = r->url;
    if (q) {
        *q = '\0';
        r->path_len = (size_t)(q - r->url);
        r->query = q + 1;
        r->query_len = end - r->path_len - 1;
    } else {
        r->path_len = end;
        r->query = r->url + end;
        r->query_len = 0;
    }
}

int cp__http_decoder_deliver(cp__http_decoder_t *d, cp__http_request_t *r)
{
    /* The split writes NULs only inside the url, before every header. */
    split_url(r);
    int rc = d->on_request(d->arg, r);
    if (r->body_len && r->body == NULL)
        cp__buf_init(&d->body); /* taken: the caller owns the old storage */
    d->body.len = 0;
    d->head.len = 0;
    d->nspans = 0;
    if (rc)
        return cp__http_decoder_fail(d, 0, "stopped");
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    cp__http_decoder_t *d = decoder_of(p);
    cp__http_request_t r;
    r.method = p->method;
    r.method_name = llhttp_method_name((llhttp_method_t)p->method);
    r.url = d->head.data;
    r.url_len = d->url_len;
    r.nheaders = d->nspans;
    for (size_t i = 0; i < d->nspans; i++) {
        const cp__http_span_t *s = &d->spans[i];
        d->headers[i] = (cp__http_header_t){d->head.data + s->name_off, s->name_len,
                                            d->head.data + s->value_off, s->value_len};
    }
    r.headers = d->headers;
    r.keep_alive = llhttp_should_keep_alive(p) != 0;
    r.body_len = d->body.len;
    r.body = r.body_len ? d->body.data : NULL;
    d->in_message = false;
    if (cp__http_decoder_deliver(d, &r))
        return -1;
    /* After "Connection: close" (or HTTP/1.0) llhttp refuses more bytes;
     * only after a request that keeps the connection alive may the fast
     * path read the next one. Pausing here hands the bytes back to feed(). */
    if (!r.keep_alive)
        return 0;
    d->between = true;
    return d->fast ? HPE_PAUSED : 0;
}

void cp__http_decoder_init(cp__http_decoder_t *d, const cp__http_limits_t *limits,
                           cp__http_on_request_fn on_request, void *arg)
{
    memset(d, 0, sizeof *d);
    llhttp_settings_init(&d->settings);
    d->settings.on_message_begin = on_message_begin;
    d->settings.on_url = on_url;
    d->settings.on_url_complete = on_url_complete;
    d->settings.on_header_field = on_header_field;
    d->settings.on_header_field_complete = on_header_field_complete;
    d->settings.on_header_value = on_header_value;
    d->settings.on_header_value_complete = on_header_value_complete;
    d->settings.on_headers_complete = on_headers_complete;
    d->settings.on_body = on_body;
    d->settings.on_chunk_header = on_chunk_header;
    d->settings.on_chunk_complete = on_chunk_complete;
    d->settings.on_message_complete = on_message_complete;
    llhttp_init(&d->parser, HTTP_REQUEST, &d->settings);
    d->parser.data = d;
    if (limits) {
        d->limits = *limits;
    } else {
        d->limits.max_header = CP_HTTP_DEFAULT_MAX_HEADER;
        d->limits.max_body = CP_HTTP_DEFAULT_MAX_BODY;
    }
    d->on_request = on_request;
    d->arg = arg;
    d->fast = true;
    d->between = true;
    cp__buf_init(&d->head);
    cp__buf_init(&d->body);
    cp__buf_init(&d->line);
}

void cp__http_decoder_set_fast(cp__http_decoder_t *d, bool on)
{
    d->fast = on;
}

void cp__http_decoder_close(cp__http_decoder_t *d)
{
    cp__buf_close(&d->head);
    cp__buf_close(&d->body);
    cp__buf_close(&d->line);
}

static int status_code(const cp__http_decoder_t *d)
{
    if (d->error_status == 0)
        return CP_ESTATE;
    if (d->error_status == 413 || d->error_status == 431)
        return CP_ETOOBIG;
    if (d->error_status == 500)
        return CP_ENOMEM;
    return CP_EPROTO;
}

static bool is_tchar(unsigned char c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static size_t skip_bws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

/* A chunk-size line without its CRLF: 1*HEXDIG *( BWS ";" BWS name
 * [ BWS "=" BWS ( token / quoted-string ) ] ). Returns the number of hex
 * digits, or 0 when the line does not match. */
static size_t chunk_line_check(const char *s, size_t n)
{
    size_t hex = 0;
    while (hex < n && isxdigit((unsigned char)s[hex]))
        hex++;
    if (hex == 0)
        return 0;
    size_t i = hex;
    while (i < n) {
        i = skip_bws(s, i, n);
        if (i == n || s[i] != ';')
            return 0;
        i = skip_bws(s, i + 1, n);
        size_t start = i;
        while (i < n && is_tchar((unsigned char)s[i]))
            i++;
        if (i == start)
            return 0;
        size_t k = skip_bws(s, i, n);
        if (k == n || s[k] != '=')
            continue;
        i = skip_bws(s, k + 1, n);
        if (i < n && s[i] == '"') {
            for (i++;; i++) {
                if (i == n)
                    return 0;
                unsigned char c = (unsigned char)s[i];
                if (c == '"')
                    break;
                if (c == '\\') {
                    if (++i == n)
                        return 0;
                    c = (unsigned char)s[i];
                    if (c != '\t' && (c < 0x20 || c == 0x7f))
                        return 0;
                } else if (c != '\t' && (c < 0x20 || c == 0x7f)) {
                    return 0;
                }
            }
            i++;
        } else {
            start = i;
            while (i < n && is_tchar((unsigned char)s[i]))
                i++;
            if (i == start)
                return 0;
        }
    }
    return hex;
}

/* A size line longer than this is refused (its extensions are ignored
 * anyway, so only a peer wasting memory sends one). */
#define CHUNK_LINE_MAX 4096

static int check_execute(cp__http_decoder_t *d, llhttp_errno_t err)
{
    if (d->failed)
        return -1;
    if (err == HPE_OK || err == HPE_PAUSED)
        return 0;
    if (err == HPE_PAUSED_UPGRADE)
        cp__http_decoder_fail(d, 400, "protocol upgrade is not supported");
    else if (err == HPE_INVALID_METHOD)
        cp__http_decoder_fail(d, 400, "malformed request: invalid method");
    else
        cp__http_decoder_fail(d, 400, "malformed request");
    return -1;
}

/* Takes bytes of a chunk-size line; once the line is whole, feeds llhttp
 * its size. Returns how many bytes of data it used, or -1 on error. */
static long take_chunk_line(cp__http_decoder_t *d, const char *data, size_t len)
{
    const char *lf = memchr(data, '\n', len);
    size_t use = lf ? (size_t)(lf - data) + 1 : len;
    if (d->line.len + use > CHUNK_LINE_MAX)
        return cp__http_decoder_fail(d, 400, "malformed request: chunk size line too long");
    if (cp__buf_append(&d->line, data, use))
        return cp__http_decoder_fail(d, 500, "out of memory");
    if (!lf)
        return (long)use;
    const char *s = d->line.data;
    size_t n = d->line.len;
    if (n < 2 || s[n - 2] != '\r')
        return cp__http_decoder_fail(d, 400,
                                     "malformed request: chunk size line must end with CRLF");
    size_t hex = chunk_line_check(s, n - 2);
    if (hex == 0)
        return cp__http_decoder_fail(d, 400, "malformed request: bad chunk size line");
    /* Keep the digits and the CRLF, drop the extensions. */
    memmove(d->line.data + hex, d->line.data + n - 2, 2);
    d->line.len = hex + 2;
    d->chunk_line = false;
    llhttp_errno_t err = llhttp_execute(&d->parser, d->line.data, d->line.len);
    d->line.len = 0;
    if (err == HPE_PAUSED)
        llhttp_resume(&d->parser);
    if (check_execute(d, err))
        return -1;
    return (long)use;
}

int cp__http_decoder_feed(cp__http_decoder_t *d, const char *data, size_t len)
{
    if (d->failed)
        return status_code(d);
    while (len > 0) {
        if (d->chunk_line) {
            long used = take_chunk_line(d, data, len);
            if (used < 0)
                return status_code(d);
            data += used;
            len -= (size_t)used;
            continue;
        }
        if (d->fast && d->between) {
            long used = cp__http_fast_take(d, data, len);
            if (used < 0)
                return status_code(d);
            if (used > 0) {
                data += used;
                len -= (size_t)used;
                continue;
            }
        }
        llhttp_errno_t err = llhttp_execute(&d->parser, data, len);
        if (check_execute(d, err))
            return status_code(d);
        if (err == HPE_OK)
            return 0;
        /* Paused where a chunk-size line starts, or after a request. */
        size_t used = (size_t)(llhttp_get_error_pos(&d->parser) - data);
        llhttp_resume(&d->parser);
        data += used;
        len -= used;
    }
    return 0;
}

bool cp__http_decoder_mid_request(const cp__http_decoder_t *d)
{
    return d->in_message;
}

const char *cp__http_request_header(const cp__http_request_t *req, const char *name, size_t *len)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < req->nheaders; i++) {
        const cp__http_header_t *h = &req->headers[i];
        if (h->name_len == n && strncasecmp(h->name, name, n) == 0) {
            if (len)
                *len = h->value_len;
            return h->value;
        }
    }
    return NULL;
}

void *cp__http_request_take_body(cp__http_request_t *req, size_t *len)
{
    void *b = req->body;
    *len = b ? req->body_len : 0;
    req->body = NULL;
    return b;
}

/* The decoder's fast path (transport/http_fast.h).
 *
 * The shape it takes, every byte accounted for (anything else declines):
 *   request line  "POST " or "GET ", a target starting with '/' made of
 *                 URL_OK bytes, " HTTP/1.1\r\n" (HTTP/1.0's keep-alive
 *                 rules and absolute targets are llhttp's);
 *   each header   a name of token bytes, ':' right after it, spaces, then
 *                 a value of visible ASCII and spaces up to "\r\n"; llhttp
 *                 skips the same leading spaces and keeps trailing ones,
 *                 so the value handed out is the same span;
 *   headers llhttp reads itself
 *                 Content-Length (1 to 9 digits), Transfer-Encoding
 *                 ("chunked"), once each and not both; Connection only as
 *                 "keep-alive"; Upgrade and Proxy-Connection never;
 *   body          Content-Length bytes, or chunks whose size lines are
 *                 bare hex digits (at most 8) and whose last chunk has no
 *                 trailers.
 * Such a request is HTTP/1.1 without "Connection: close", so it keeps the
 * connection alive, as llhttp_should_keep_alive() would say, and llhttp,
 * never having seen it, is still between requests afterwards.
 *
 * Limits are counted as the llhttp path counts them (the target, and each
 * header's name and value plus 4); a request over any of them declines,
 * so the refusal, and the on_too_large call, are llhttp's. */
#include "transport/http_fast.h"

#include <stdint.h>

/* Byte classes as tables (GNU range designators, hence __extension__). */

/* Request-target bytes taken as they are: unreserved, sub-delims, ':',
 * '@', '/', '%' and '?' ('#' and the rest are left to llhttp). */
__extension__ static const uint8_t URL_OK[256] = {
    ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['0' ... '9'] = 1, ['-'] = 1, ['.'] = 1,  ['_'] = 1,
    ['~'] = 1,         ['!'] = 1,         ['$'] = 1,         ['&'] = 1, ['\''] = 1, ['('] = 1,
    [')'] = 1,         ['*'] = 1,         ['+'] = 1,         [','] = 1, [';'] = 1,  ['='] = 1,
    [':'] = 1,         ['@'] = 1,         ['/'] = 1,         ['%'] = 1, ['?'] = 1,
};

/* RFC 9110's tchar: the bytes of a header name. */
__extension__ static const uint8_t TOKEN[256] = {
    ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['0' ... '9'] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1,
    ['%'] = 1,         ['&'] = 1,         ['\''] = 1,        ['*'] = 1, ['+'] = 1, ['-'] = 1,
    ['.'] = 1,         ['^'] = 1,         ['_'] = 1,         ['`'] = 1, ['|'] = 1, ['~'] = 1,
};

/* Header value bytes: visible ASCII and space (no tab, no obs-text). */
__extension__ static const uint8_t VALUE_OK[256] = {[' ' ... '~'] = 1};

/* Hex digit values plus one; 0 for anything else. */
static const uint8_t HEX[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* The end of a header value from s[i]: the first byte not in VALUE_OK,
 * or len. Values are most of a message's head, so it looks at 8 bytes at
 * a time while all of them are in ' '..'~' (none is below ' ' once ' ' is
 * taken from each, none has its top bit set, none is 0x7f before adding
 * 1), then byte by byte. */
static size_t value_end(const char *s, size_t i, size_t len)
{
    const uint64_t ones = 0x0101010101010101u, tops = 0x8080808080808080u;
    while (len - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (((w - ones * ' ') | w | (w + ones)) & tops)
            break;
        i += 8;
    }
    while (i < len && VALUE_OK[(unsigned char)s[i]])
        i++;
    return i;
}

/* s[0, n) equals the lowercase literal `lit` ignoring ASCII case. */
static bool eq_lower(const char *s, size_t n, const char *lit, size_t lit_len)
{
    if (n != lit_len)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + ('a' - 'A'));
        if (c != (unsigned char)lit[i])
            return false;
    }
    return true;
}

#define EQ(s, n, lit) eq_lower(s, n, lit, sizeof(lit) - 1)

enum framing { NO_BODY, LENGTH, CHUNKED };

typedef struct head {
    size_t end; /* bytes from the request's start to its body */
    size_t url_off, url_len;
    int method;
    enum framing framing;
    size_t length; /* Content-Length */
} head_t;

/* Reads the headers llhttp itself acts on. Returns false to decline. */
static bool note_header(head_t *h, const char *name, size_t name_len, const char *v, size_t vlen)
{
    /* Quick exit for the rest: every such name starts with c, t, u or p. */
    switch (name[0] | 0x20) {
    case 'c':
        if (EQ(name, name_len, "connection"))
            return EQ(v, vlen, "keep-alive");
        if (!EQ(name, name_len, "content-length"))
            return true;
        if (h->framing != NO_BODY || vlen == 0 || vlen > 9)
            return false;
        h->length = 0;
        for (size_t i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9')
                return false;
            h->length = h->length * 10 + (size_t)(v[i] - '0');
        }
        h->framing = LENGTH;
        return true;
    case 't':
        if (!EQ(name, name_len, "transfer-encoding"))
            return true;
        if (h->framing != NO_BODY || !EQ(v, vlen, "chunked"))
            return false;
        h->framing = CHUNKED;
        return true;
    case 'u':
        return !EQ(name, name_len, "upgrade");
    case 'p':
        return !EQ(name, name_len, "proxy-connection");
    default:
        return true;
    }
}

/* The request line and headers. Records each header's span (offsets from
 * data) in d->spans. Returns false to decline. */
static bool read_head(cp__http_decoder_t *d, const char *data, size_t len, head_t *h)
{
    size_t i;
    if (len > 5 && memcmp(data, "POST ", 5) == 0) {
        h->method = HTTP_POST;
        i = 5;
    } else if (len > 4 && memcmp(data, "GET ", 4) == 0) {
        h->method = HTTP_GET;
        i = 4;
    } else {
        return false;
    }
    if (data[i] != '/')
        return false;
    h->url_off = i;
    while (i < len && URL_OK[(unsigned char)data[i]])
        i++;
    h->url_len = i - h->url_off;
    if (len - i < 11 || memcmp(data + i, " HTTP/1.1\r\n", 11) != 0)
        return false;
    i += 11;
    size_t head_bytes = h->url_len;
    d->nspans = 0;
    h->framing = NO_BODY;
    h->length = 0;
    for (;;) {
        if (len - i < 2)
            return false;
        if (data[i] == '\r') {
            if (data[i + 1] != '\n')
                return false;
            h->end = i + 2;
            return head_bytes <= d->limits.max_header;
        }
        size_t name = i;
        while (i < len && TOKEN[(unsigned char)data[i]])
            i++;
        if (i == name || i == len || data[i] != ':')
            return false;
        size_t name_len = i - name;
        for (i++; i < len && data[i] == ' ';)
            i++;
        size_t value = i;
        i = value_end(data, i, len);
        if (len - i < 2 || data[i] != '\r' || data[i + 1] != '\n')
            return false;
        size_t value_len = i - value;
        i += 2;
        if (d->nspans == CP_HTTP_MAX_HEADERS)
            return false;
        head_bytes += name_len + value_len + 4;
        if (head_bytes > d->limits.max_header)
            return false;
        if (!note_header(h, data + name, name_len, data + value, value_len))
            return false;
        d->spans[d->nspans++] = (cp__http_span_t){name, name_len, value, value_len};
    }
}

#define DECLINE (-2)

/* Copies the body at data[0, len) into d->body. Returns the bytes it took
 * (from data), DECLINE, or -1 when out of memory. */
static long read_body(cp__http_decoder_t *d, const head_t *h, const char *data, size_t len)
{
    if (h->framing == NO_BODY)
        return 0;
    if (h->framing == LENGTH) {
        if (h->length > d->limits.max_body || h->length > len)
            return DECLINE;
        if (cp__buf_append(&d->body, data, h->length))
            return -1;
        return (long)h->length;
    }
    size_t i = 0;
    for (;;) {
        size_t size = 0, digits = 0;
        while (i < len && HEX[(unsigned char)data[i]] && digits < 9) {
            size = size * 16 + (size_t)(HEX[(unsigned char)data[i]] - 1);
            i++;
            digits++;
        }
        if (digits == 0 || digits > 8 || len - i < 2 || data[i] != '\r' || data[i + 1] != '\n')
            return DECLINE;
        i += 2;
        if (size == 0) /* the last chunk: no trailers, then the end */
            return len - i >= 2 && data[i] == '\r' && data[i + 1] == '\n' ? (long)(i + 2) : DECLINE;
        if (size > d->limits.max_body - d->body.len || len - i < size + 2 ||
            data[i + size] != '\r' || data[i + size + 1] != '\n')
            return DECLINE;
        if (cp__buf_append(&d->body, data + i, size))
            return -1;
        i += size + 2;
    }
}

long cp__http_fast_take(cp__http_decoder_t *d, const char *data, size_t len)
{
    head_t h;
    if (!read_head(d, data, len, &h))
        return 0;
    d->body.len = 0;
    long body = read_body(d, &h, data + h.end, len - h.end);
    if (body == -1)
        return cp__http_decoder_fail(d, 500, "out of memory");
    if (body == DECLINE) {
        d->body.len = 0;
        return 0;
    }
    /* One copy of the head; the url and each name and value become C
     * strings where the byte after them (' ', ':', '\r') was. */
    d->head.len = 0;
    if (cp__buf_append(&d->head, data, h.end))
        return cp__http_decoder_fail(d, 500, "out of memory");
    char *head = d->head.data;
    for (size_t k = 0; k < d->nspans; k++) {
        const cp__http_span_t *s = &d->spans[k];
        head[s->name_off + s->name_len] = '\0';
        head[s->value_off + s->value_len] = '\0';
        d->headers[k] =
            (cp__http_header_t){head + s->name_off, s->name_len, head + s->value_off, s->value_len};
    }
    head[h.url_off + h.url_len] = '\0';
    cp__http_request_t r;
    r.method = h.method;
    r.method_name = llhttp_method_name((llhttp_method_t)h.method);
    r.url = head + h.url_off;
    r.url_len = h.url_len;
    r.headers = d->headers;
    r.nheaders = d->nspans;
    r.body_len = d->body.len;
    r.body = r.body_len ? d->body.data : NULL;
    r.keep_alive = true; /* HTTP/1.1, and no "Connection: close" */
    d->fast_requests++;
    if (cp__http_decoder_deliver(d, &r))
        return -1;
    return (long)(h.end + (size_t)body);
}

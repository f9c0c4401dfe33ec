/* The libprocess framing, written by hand for speed: one message is
 * encoded with a handful of memcpy calls into the connection's buffer,
 * no printf and no allocation once the buffer is warm. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "transport/wire.h"

#include <string.h>
#include <time.h>

#include "core/node.h"
#include "cproc/error.h"

size_t cp__wire_format_ip(char *buf, uint32_t ip)
{
    size_t n = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        unsigned v = (ip >> shift) & 0xffu;
        if (v >= 100)
            buf[n++] = (char)('0' + v / 100);
        if (v >= 10)
            buf[n++] = (char)('0' + v / 10 % 10);
        buf[n++] = (char)('0' + v % 10);
        if (shift)
            buf[n++] = '.';
    }
    buf[n] = '\0';
    return n;
}

static size_t format_uint(char *buf, unsigned long v, unsigned base)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

/* "id@ip:port" without the NUL; buf needs CP_UPID_STRLEN bytes. */
static size_t format_upid(char *buf, const cp_upid_t *pid)
{
    size_t n = strlen(pid->id);
    memcpy(buf, pid->id, n);
    buf[n++] = '@';
    n += cp__wire_format_ip(buf + n, pid->ip);
    buf[n++] = ':';
    n += format_uint(buf + n, pid->port, 10);
    return n;
}

/* Characters allowed unescaped in a path segment (RFC 3986 pchar minus
 * '%'), so ordinary libprocess ids go out exactly as libprocess sends
 * them. */
static bool path_safe(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && strchr("-._~!$&'()*+,;=:@", c) != NULL;
}

static bool name_ok(const char *name, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= ' ' || c == 0x7f || c == '?' || c == '#' || c == '%')
            return false;
    }
    return true;
}

int cp__wire_encode_message(cp__buf_t *out, const cp_upid_t *from, const cp_upid_t *to,
                            const char *name, const void *body, size_t len)
{
    return cp__wire_encode_message_headers(out, from, to, name, body, len, NULL, 0);
}

int cp__wire_encode_message_headers(cp__buf_t *out, const cp_upid_t *from, const cp_upid_t *to,
                                    const char *name, const void *body, size_t len,
                                    const char *headers, size_t hlen)
{
    size_t name_len = name ? strlen(name) : 0;
    if (!name_ok(name, name_len))
        return CP_EINVAL;
    size_t id_len = strlen(to->id);
    char fromtxt[CP_UPID_STRLEN];
    size_t from_len = format_upid(fromtxt, from);
    /* Worst case: every id byte escaped; fixed text is well under 200. */
    size_t need = 200 + 3 * id_len + name_len + 2 * from_len + 24 + len + hlen;
    if (cp__buf_reserve(out, need))
        return CP_ENOMEM;
    char *p = out->data + out->len;
    memcpy(p, "POST ", 5);
    p += 5;
    /* An empty id would make "//name"; libprocess leaves the segment out. */
    if (id_len) {
        *p++ = '/';
        for (size_t i = 0; i < id_len; i++) {
            unsigned char c = (unsigned char)to->id[i];
            if (path_safe(c)) {
                *p++ = (char)c;
            } else {
                static const char hex[] = "0123456789ABCDEF";
                *p++ = '%';
                *p++ = hex[c >> 4];
                *p++ = hex[c & 15];
            }
        }
    }
    *p++ = '/';
    memcpy(p, name, name_len);
    p += name_len;
#define PUT(lit)                                                                                   \
    do {                                                                                           \
        memcpy(p, lit, sizeof(lit) - 1);                                                           \
        p += sizeof(lit) - 1;                                                                      \
    } while (0)
    PUT(" HTTP/1.1\r\nUser-Agent: libprocess/");
    memcpy(p, fromtxt, from_len);
    p += from_len;
    PUT("\r\nLibprocess-From: ");
    memcpy(p, fromtxt, from_len);
    p += from_len;
    PUT("\r\nConnection: Keep-Alive\r\nHost: ");
    p += cp__wire_format_ip(p, to->ip);
    *p++ = ':';
    p += format_uint(p, to->port, 10);
    PUT("\r\n");
    if (hlen) {
        memcpy(p, headers, hlen);
        p += hlen;
    }
    if (len) {
        PUT("Transfer-Encoding: chunked\r\n\r\n");
        p += format_uint(p, (unsigned long)len, 16);
        PUT("\r\n");
        memcpy(p, body, len);
        p += len;
        PUT("\r\n0\r\n\r\n");
    } else {
        PUT("\r\n");
    }
#undef PUT
    out->len = (size_t)(p - out->data);
    return 0;
}

const char *cp__wire_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Request Entity Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

/* The Date header changes once a second; formatting it for every 202 would
 * cost more than the rest of the answer, so keep the last one per thread. */
static size_t http_date(char *buf)
{
    static _Thread_local struct {
        time_t last;
        size_t len;
        char text[40];
    } cache __attribute__((tls_model("initial-exec")));
    time_t now = time(NULL);
    if (now != cache.last || cache.len == 0) {
        struct tm tm;
        gmtime_r(&now, &tm);
        cache.len = strftime(cache.text, sizeof cache.text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cache.last = now;
    }
    memcpy(buf, cache.text, cache.len);
    return cache.len;
}

int cp__wire_encode_response(cp__buf_t *out, int status, const char *extra_headers,
                             const void *body, size_t len, bool close)
{
    size_t extra = extra_headers ? strlen(extra_headers) : 0;
    const char *reason = cp__wire_reason(status);
    if (cp__buf_reserve(out, 160 + strlen(reason) + extra + len))
        return CP_ENOMEM;
    char *p = out->data + out->len;
    memcpy(p, "HTTP/1.1 ", 9);
    p += 9;
    p += format_uint(p, (unsigned long)(status % 1000), 10);
    *p++ = ' ';
    memcpy(p, reason, strlen(reason));
    p += strlen(reason);
    memcpy(p, "\r\nDate: ", 8);
    p += 8;
    p += http_date(p);
    memcpy(p, "\r\n", 2);
    p += 2;
    memcpy(p, extra_headers ? extra_headers : "", extra);
    p += extra;
    memcpy(p, "Content-Length: ", 16);
    p += 16;
    p += format_uint(p, (unsigned long)len, 10);
    memcpy(p, "\r\n", 2);
    p += 2;
    if (close) {
        memcpy(p, "Connection: close\r\n", 19);
        p += 19;
    }
    memcpy(p, "\r\n", 2);
    p += 2;
    if (len)
        memcpy(p, body, len);
    p += len;
    out->len = (size_t)(p - out->data);
    return 0;
}

bool cp__wire_is_message(const cp__http_request_t *req)
{
    if (req->method != HTTP_POST)
        return false;
    if (cp__http_request_header(req, "Libprocess-From", NULL))
        return true;
    size_t n;
    const char *ua = cp__http_request_header(req, "User-Agent", &n);
    return ua && n >= 11 && memmem(ua, n, "libprocess/", 11) != NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long cp__wire_percent_decode(char *s, size_t len)
{
    size_t w = 0;
    for (size_t r = 0; r < len; r++) {
        if (s[r] != '%') {
            s[w++] = s[r];
            continue;
        }
        if (r + 2 >= len)
            return -1;
        int hi = hexval(s[r + 1]), lo = hexval(s[r + 2]);
        if (hi < 0 || lo < 0)
            return -1;
        s[w++] = (char)(hi * 16 + lo);
        r += 2;
    }
    return (long)w;
}

static bool parse_uint(const char **p, const char *end, unsigned max, unsigned *out)
{
    const char *s = *p;
    unsigned v = 0;
    if (s == end || *s < '0' || *s > '9')
        return false;
    while (s < end && *s >= '0' && *s <= '9') {
        v = v * 10 + (unsigned)(*s++ - '0');
        if (v > max)
            return false;
    }
    *p = s;
    *out = v;
    return true;
}

/* The sender as libprocess writes it, "id@a.b.c.d:port". Parsed here
 * rather than with cp_upid_parse_n() so that the wire code stays a leaf
 * with no dependency on the core. */
int cp__wire_parse_upid(const char *text, size_t len, cp_upid_t *out)
{
    const char *end = text + len;
    const char *at = memchr(text, '@', len);
    if (!at || at == text || (size_t)(at - text) > CP_UPID_ID_MAX)
        return CP_EINVAL;
    const char *p = at + 1;
    uint32_t ip = 0;
    if ((size_t)(end - p) > 10 && memcmp(p, "localhost:", 10) == 0) {
        ip = 0x7f000001u;
        p += 9;
    } else {
        for (int i = 0; i < 4; i++) {
            unsigned v;
            if (!parse_uint(&p, end, 255, &v))
                return CP_EINVAL;
            ip = ip << 8 | v;
            if (i < 3) {
                if (p == end || *p != '.')
                    return CP_EINVAL;
                p++;
            }
        }
    }
    unsigned port;
    if (p == end || *p++ != ':' || !parse_uint(&p, end, 65535, &port) || p != end)
        return CP_EINVAL;
    size_t id_len = (size_t)(at - text);
    if (memchr(text, '\0', id_len))
        return CP_EINVAL;
    memset(out, 0, sizeof *out);
    memcpy(out->id, text, id_len);
    out->ip = ip;
    out->port = (uint16_t)port;
    return 0;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

int cp__wire_parse_message(cp__http_request_t *req, const char **id, size_t *id_len,
                           const char **name, size_t *name_len, cp_upid_t *from)
{
    return cp__wire_parse_message_cached(req, NULL, id, id_len, name, name_len, from);
}

int cp__wire_parse_message_cached(cp__http_request_t *req, cp__wire_sender_cache_t *cache,
                                  const char **id, size_t *id_len, const char **name,
                                  size_t *name_len, cp_upid_t *from)
{
    size_t n;
    const char *who = cp__http_request_header(req, "Libprocess-From", &n);
    if (!who) {
        const char *ua = cp__http_request_header(req, "User-Agent", &n);
        const char *at = ua ? memmem(ua, n, "libprocess/", 11) : NULL;
        if (!at)
            return CP_EINVAL;
        who = at + 11;
        n -= (size_t)(who - ua);
    }
    trim(&who, &n);
    if (cache && cache->len == n && memcmp(cache->text, who, n) == 0) {
        *from = cache->pid;
    } else {
        if (cp__wire_parse_upid(who, n, from))
            return CP_EINVAL;
        if (cache && n < sizeof cache->text) {
            memcpy(cache->text, who, n);
            cache->len = n;
            cache->pid = *from;
        }
    }

    char *path = req->path;
    size_t len = req->path_len;
    if (len < 2 || path[0] != '/')
        return CP_EINVAL;
    char *slash = memchr(path + 1, '/', len - 1);
    if (!slash || slash == path + 1 || (size_t)(slash - path) + 1 >= len)
        return CP_EINVAL;
    char *nm = slash + 1;
    size_t nm_len = len - (size_t)(nm - path);
    long il = cp__wire_percent_decode(path + 1, (size_t)(slash - path - 1));
    long nl = cp__wire_percent_decode(nm, nm_len);
    if (il <= 0 || nl <= 0 || il > CP_UPID_ID_MAX)
        return CP_EINVAL;
    path[1 + il] = '\0';
    nm[nl] = '\0';
    if (memchr(path + 1, '\0', (size_t)il) || memchr(nm, '\0', (size_t)nl))
        return CP_EINVAL;
    *id = path + 1;
    *id_len = (size_t)il;
    *name = nm;
    *name_len = (size_t)nl;
    return 0;
}

static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
    trim(&s, &n);
    if (n == 0 || n > 20)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return v != 0;
}

int cp__wire_parse_call(const cp__http_request_t *req, struct cp__callmeta *meta)
{
    size_t n;
    const char *v;
    memset(meta, 0, sizeof *meta);
    if ((v = cp__http_request_header(req, "Cproc-Call", &n)) != NULL) {
        meta->kind = CP__CALL_REQUEST;
        if (!parse_u64(v, n, &meta->id))
            return CP_EINVAL;
        const char *m = cp__http_request_header(req, "Cproc-Method", &n);
        if (m == NULL)
            return CP_EINVAL;
        trim(&m, &n);
        if (n == 0 || n > 128)
            return CP_EINVAL;
        meta->method = m;
        meta->method_len = n;
        const char *c = cp__http_request_header(req, "Cproc-Caller", &n);
        if (c != NULL) {
            trim(&c, &n);
            if (cp__wire_parse_upid(c, n, &meta->caller))
                return CP_EINVAL;
            meta->has_caller = true;
        }
        return 1;
    }
    if ((v = cp__http_request_header(req, "Cproc-Reply", &n)) != NULL) {
        meta->kind = CP__CALL_REPLY;
        if (!parse_u64(v, n, &meta->id))
            return CP_EINVAL;
        const char *st = cp__http_request_header(req, "Cproc-Status", &n);
        if (st == NULL)
            return CP_EINVAL;
        trim(&st, &n);
        if (n == 2 && memcmp(st, "ok", 2) == 0)
            meta->status = CP__CALL_OK;
        else if (n == 6 && memcmp(st, "failed", 6) == 0)
            meta->status = CP__CALL_FAILED;
        else if (n == 9 && memcmp(st, "discarded", 9) == 0)
            meta->status = CP__CALL_DISCARDED;
        else
            return CP_EINVAL;
        return 1;
    }
    if ((v = cp__http_request_header(req, "Cproc-Cancel", &n)) != NULL) {
        meta->kind = CP__CALL_CANCEL;
        return parse_u64(v, n, &meta->id) ? 1 : CP_EINVAL;
    }
    return 0;
}

/* UPIDs: "id@ip:port" parsing and formatting. */
#include <stdio.h>
#include <string.h>

#include "cproc/error.h"
#include "cproc/pid.h"

/* Parses a decimal number of 1..5 digits no larger than max. */
static bool parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
    if (len == 0 || len > 5)
        return false;
    unsigned long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_ip(const char *s, size_t len, uint32_t *out)
{
    if (len == 9 && memcmp(s, "localhost", 9) == 0) {
        *out = 0x7f000001u;
        return true;
    }
    uint32_t ip = 0;
    size_t start = 0;
    for (int part = 0; part < 4; part++) {
        size_t end = start;
        while (end < len && s[end] != '.')
            end++;
        unsigned long v;
        if (end - start > 3 || !parse_uint(s + start, end - start, 255, &v))
            return false;
        ip = (ip << 8) | (uint32_t)v;
        if (part < 3) {
            if (end >= len)
                return false;
            start = end + 1;
        } else if (end != len) {
            return false;
        }
    }
    *out = ip;
    return true;
}

int cp_upid_parse_n(const char *text, size_t len, cp_upid_t *out)
{
    if (text == NULL || out == NULL)
        return CP_EINVAL;
    const char *at = memchr(text, '@', len);
    if (at == NULL || at == text || memchr(text, '\0', len) != NULL)
        return CP_EINVAL;
    size_t id_len = (size_t)(at - text);
    const char *addr = at + 1;
    size_t addr_len = len - id_len - 1;
    if (memchr(addr, '@', addr_len) != NULL)
        return CP_EINVAL;
    const char *colon = NULL;
    for (size_t i = addr_len; i > 0; i--) {
        if (addr[i - 1] == ':') {
            colon = addr + i - 1;
            break;
        }
    }
    if (colon == NULL)
        return CP_EINVAL;
    uint32_t ip;
    unsigned long port;
    if (!parse_ip(addr, (size_t)(colon - addr), &ip) ||
        !parse_uint(colon + 1, addr_len - (size_t)(colon - addr) - 1, 65535, &port))
        return CP_EINVAL;
    if (id_len > CP_UPID_ID_MAX)
        return CP_ETOOBIG;
    memset(out->id, 0, sizeof out->id);
    memcpy(out->id, text, id_len);
    out->ip = ip;
    out->port = (uint16_t)port;
    out->hint = 0;
    return 0;
}

int cp_upid_parse(const char *text, cp_upid_t *out)
{
    if (text == NULL)
        return CP_EINVAL;
    return cp_upid_parse_n(text, strlen(text), out);
}

int cp_upid_format(const cp_upid_t *pid, char *buf, size_t size)
{
    if (pid == NULL || buf == NULL)
        return CP_EINVAL;
    int n = snprintf(buf, size, "%s@%u.%u.%u.%u:%u", pid->id, (pid->ip >> 24) & 255u,
                     (pid->ip >> 16) & 255u, (pid->ip >> 8) & 255u, pid->ip & 255u,
                     (unsigned)pid->port);
    if (n < 0)
        return CP_EINVAL;
    if ((size_t)n >= size) {
        if (size > 0)
            buf[0] = '\0';
        return CP_ETOOBIG;
    }
    return n;
}

bool cp_upid_equal(const cp_upid_t *a, const cp_upid_t *b)
{
    return a->ip == b->ip && a->port == b->port && strcmp(a->id, b->id) == 0;
}

bool cp_upid_is_null(const cp_upid_t *pid)
{
    return pid->id[0] == '\0';
}

int cp_upid_make(const char *id, uint32_t ip, uint16_t port, cp_upid_t *out)
{
    if (id == NULL || out == NULL || *id == '\0' || strchr(id, '@') != NULL)
        return CP_EINVAL;
    size_t len = strlen(id);
    if (len > CP_UPID_ID_MAX)
        return CP_ETOOBIG;
    memset(out->id, 0, sizeof out->id);
    memcpy(out->id, id, len);
    out->ip = ip;
    out->port = port;
    out->hint = 0;
    return 0;
}

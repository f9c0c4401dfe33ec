#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emit.h"

static void out_of_memory(void)
{
    fputs("cproc-gen: out of memory\n", stderr);
    exit(1);
}

void *cpgen_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *cpgen_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *cpgen_xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

char *cpgen_xstrdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *p = cpgen_xmalloc(len);
    memcpy(p, s, len);
    return p;
}

char *cpgen_xasprintf(const char *fmt, ...)
{
    cpgen_out_t out;
    cpgen_out_init(&out);
    va_list ap;
    va_start(ap, fmt);
    cpgen_out_vprintf(&out, fmt, ap);
    va_end(ap);
    if (!out.data)
        cpgen_out_puts(&out, "");
    return out.data;
}

void cpgen_out_init(cpgen_out_t *out)
{
    out->data = NULL;
    out->len = 0;
    out->cap = 0;
}

void cpgen_out_close(cpgen_out_t *out)
{
    free(out->data);
    cpgen_out_init(out);
}

static void reserve(cpgen_out_t *out, size_t extra)
{
    if (out->len + extra + 1 <= out->cap)
        return;
    size_t cap = out->cap ? out->cap : 4096;
    while (cap < out->len + extra + 1)
        cap *= 2;
    out->data = cpgen_xrealloc(out->data, cap);
    out->cap = cap;
}

void cpgen_out_puts(cpgen_out_t *out, const char *s)
{
    size_t len = strlen(s);
    reserve(out, len);
    memcpy(out->data + out->len, s, len + 1);
    out->len += len;
}

void cpgen_out_vprintf(cpgen_out_t *out, const char *fmt, va_list ap)
{
    /* Format straight into the free space; only when it does not fit grow
     * and format again (generation time is mostly spent here). */
    reserve(out, 256);
    va_list copy;
    va_copy(copy, ap);
    size_t room = out->cap - out->len;
    int n = vsnprintf(out->data + out->len, room, fmt, copy);
    va_end(copy);
    if (n < 0) {
        out->data[out->len] = '\0';
        return;
    }
    if ((size_t)n >= room) {
        reserve(out, (size_t)n);
        vsnprintf(out->data + out->len, (size_t)n + 1, fmt, ap);
    }
    out->len += (size_t)n;
}

void cpgen_out_printf(cpgen_out_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cpgen_out_vprintf(out, fmt, ap);
    va_end(ap);
}

void cpgen_out_c_bytes(cpgen_out_t *out, const unsigned char *bytes, size_t len)
{
    reserve(out, 4 * len);
    for (size_t i = 0; i < len; i++) {
        unsigned char b = bytes[i];
        if (b == '"' || b == '\\') {
            out->data[out->len++] = '\\';
            out->data[out->len++] = (char)b;
        } else if (b == '\n') {
            out->data[out->len++] = '\\';
            out->data[out->len++] = 'n';
        } else if (b == '\t') {
            out->data[out->len++] = '\\';
            out->data[out->len++] = 't';
        } else if (b >= 0x20 && b < 0x7f && b != '?') {
            out->data[out->len++] = (char)b;
        } else
            out->len += (size_t)sprintf(out->data + out->len, "\\%03o", b);
    }
    out->data[out->len] = '\0';
}

void cpgen_out_comment(cpgen_out_t *out, const char *indent, const char *text)
{
    cpgen_out_printf(out, "%s/*", indent);
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\r' || p[len - 1] == '\t'))
            len--;
        cpgen_out_printf(out, "\n%s *%s", indent, len ? " " : "");
        for (size_t i = 0; i < len; i++) {
            reserve(out, 2);
            out->data[out->len++] = p[i];
            if (p[i] == '*' && i + 1 < len && p[i + 1] == '/')
                out->data[out->len++] = ' ';
            else if (p[i] == '/' && i + 1 < len && p[i + 1] == '*')
                out->data[out->len++] = ' ';
            out->data[out->len] = '\0';
        }
        p = nl ? nl + 1 : p + strlen(p);
    }
    cpgen_out_printf(out, "\n%s */\n", indent);
}

int cpgen_out_write_file(const cpgen_out_t *out, const char *path)
{
    char *tmp = cpgen_xasprintf("%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        /* Name the file the user asked for, not the temporary beside it. */
        fprintf(stderr, "cproc-gen: cannot write %s: %s\n", path, strerror(errno));
        free(tmp);
        return -1;
    }
    int ok = out->len == 0 || fwrite(out->data, 1, out->len, f) == out->len;
    if (fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "cproc-gen: %s: %s\n", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

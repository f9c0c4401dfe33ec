/* Internal: a growable byte buffer, the transport's only container for
 * bytes on their way in or out. Growth doubles, so appending a stream of
 * small messages costs amortised O(1) and no allocation once warm. */
#ifndef CPROC_TRANSPORT_BUF_H
#define CPROC_TRANSPORT_BUF_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cproc/error.h"

typedef struct cp__buf {
    char *data;
    size_t len;
    size_t cap;
} cp__buf_t;

static inline void cp__buf_init(cp__buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

static inline void cp__buf_close(cp__buf_t *b)
{
    free(b->data);
    cp__buf_init(b);
}

/* Makes room for `extra` more bytes; returns 0 or CP_ENOMEM. */
static inline int cp__buf_reserve(cp__buf_t *b, size_t extra)
{
    if (extra <= b->cap - b->len)
        return 0;
    size_t need = b->len + extra;
    if (need < b->len)
        return CP_ENOMEM;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > (size_t)-1 / 2)
            return CP_ENOMEM;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p)
        return CP_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

static inline int cp__buf_append(cp__buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    int rc = cp__buf_reserve(b, n);
    if (rc)
        return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static inline int cp__buf_append_str(cp__buf_t *b, const char *s)
{
    return cp__buf_append(b, s, strlen(s));
}

/* Swaps the contents of two buffers (used to hand a filled buffer to a
 * write while the other keeps collecting). */
static inline void cp__buf_swap(cp__buf_t *a, cp__buf_t *b)
{
    cp__buf_t t = *a;
    *a = *b;
    *b = t;
}

#endif

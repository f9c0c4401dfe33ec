#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cpidl_arena_chunk {
    cpidl_arena_chunk_t *next;
    size_t used;
    size_t cap;
    max_align_t data[];
};

enum { CHUNK_DEFAULT = 64 * 1024 };

void *cpidl_arena_alloc(cpidl_arena_t *arena, size_t size)
{
    size_t align = _Alignof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    cpidl_arena_chunk_t *c = arena->head;
    if (c == NULL || c->cap - c->used < size) {
        size_t cap = size > CHUNK_DEFAULT / 2 ? size : CHUNK_DEFAULT;
        c = malloc(sizeof *c + cap);
        if (c == NULL) {
            arena->failed = true;
            return NULL;
        }
        c->used = 0;
        c->cap = cap;
        /* A big block gets its own chunk behind the current one so the
         * current chunk's free space is not wasted. */
        if (arena->head != NULL && cap != CHUNK_DEFAULT) {
            c->next = arena->head->next;
            arena->head->next = c;
        } else {
            c->next = arena->head;
            arena->head = c;
        }
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *cpidl_arena_strndup(cpidl_arena_t *arena, const char *s, size_t n)
{
    char *p = cpidl_arena_alloc(arena, n + 1);
    if (p == NULL)
        return NULL;
    if (n > 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *cpidl_arena_strdup(cpidl_arena_t *arena, const char *s)
{
    return cpidl_arena_strndup(arena, s, strlen(s));
}

char *cpidl_arena_printf(cpidl_arena_t *arena, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = cpidl_arena_alloc(arena, (size_t)n + 1);
    if (p == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void cpidl_arena_free(cpidl_arena_t *arena)
{
    cpidl_arena_chunk_t *c = arena->head;
    while (c != NULL) {
        cpidl_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    arena->head = NULL;
}

bool cpidl_vec_push(cpidl_arena_t *arena, cpidl_vec_t *vec, void *item)
{
    if (vec->n == vec->cap) {
        size_t cap = vec->cap ? vec->cap * 2 : 4;
        void **items = cpidl_arena_alloc(arena, cap * sizeof *items);
        if (items == NULL)
            return false;
        if (vec->n > 0)
            memcpy(items, vec->items, vec->n * sizeof *items);
        vec->items = items;
        vec->cap = cap;
    }
    vec->items[vec->n++] = item;
    return true;
}

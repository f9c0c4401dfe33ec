/* Internal: a bump allocator owning every AST node and string of a program,
 * and a growable pointer vector whose storage lives in the arena. */
#ifndef CPIDL_ARENA_H
#define CPIDL_ARENA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cpidl_arena_chunk cpidl_arena_chunk_t;

typedef struct cpidl_arena {
    cpidl_arena_chunk_t *head;
    bool failed; /* an allocation failed; the load reports ENOMEM */
} cpidl_arena_t;

/* Zeroed memory, aligned for any type; NULL (and arena->failed) on OOM. */
void *cpidl_arena_alloc(cpidl_arena_t *arena, size_t size);
char *cpidl_arena_strndup(cpidl_arena_t *arena, const char *s, size_t n);
char *cpidl_arena_strdup(cpidl_arena_t *arena, const char *s);
/* printf into the arena. */
char *cpidl_arena_printf(cpidl_arena_t *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cpidl_arena_free(cpidl_arena_t *arena);

/* A vector of pointers; `items` is arena memory and may move on push. */
typedef struct cpidl_vec {
    void **items;
    size_t n;
    size_t cap;
} cpidl_vec_t;

/* Append; returns false on OOM. */
bool cpidl_vec_push(cpidl_arena_t *arena, cpidl_vec_t *vec, void *item);

#endif

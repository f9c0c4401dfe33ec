/* collect, await and select: one result over many futures. */
#include "cproc/collect.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cproc/error.h"
#include "future/future_internal.h"

typedef enum { GATHER_COLLECT, GATHER_AWAIT, GATHER_SELECT } gather_kind_t;

/* Shared by the callbacks on every input and the result's discard
 * callback; the last of them frees it. */
typedef struct gather {
    atomic_int refs;
    atomic_size_t remaining; /* inputs not yet complete */
    gather_kind_t kind;
    cp_future_t *result;
    size_t n;
    cp_future_t *inputs[];
} gather_t;

static void gather_unref(void *p)
{
    gather_t *g = p;
    if (atomic_fetch_sub(&g->refs, 1) != 1)
        return;
    for (size_t i = 0; i < g->n; i++)
        cp_future_unref(g->inputs[i]);
    cp_future_unref(g->result);
    free(g);
}

static void collected_free(void *p)
{
    cp_collected_t *c = p;
    for (size_t i = 0; i < c->count; i++)
        cp_future_unref(c->futures[i]);
    free(c);
}

void *cp_collected_value(const cp_collected_t *c, size_t i)
{
    if (c == NULL || i >= c->count)
        return NULL;
    return cp_future_value(c->futures[i]);
}

cp_future_t *cp_collected_future(const cp_collected_t *c, size_t i)
{
    if (c == NULL || i >= c->count)
        return NULL;
    return c->futures[i];
}

/* The futures and their count in one allocation. */
static cp_collected_t *collected_new(cp_future_t *const *futures, size_t n)
{
    cp_collected_t *c = malloc(sizeof(*c) + n * sizeof(cp_future_t *));
    if (c == NULL)
        return NULL;
    c->count = n;
    c->futures = (cp_future_t **)(c + 1);
    for (size_t i = 0; i < n; i++)
        c->futures[i] = cp_future_ref(futures[i]);
    return c;
}

static void gather_finish(gather_t *g)
{
    cp_collected_t *c = collected_new(g->inputs, g->n);
    if (c == NULL) {
        cp__future_fail(g->result, "out of memory");
        return;
    }
    if (cp__future_complete(g->result, CP_FUTURE_READY, c, NULL) != 0)
        collected_free(c);
}

static void input_done(cp_future_t *in, void *p)
{
    gather_t *g = p;
    cp_future_state_t s = cp_future_state(in);
    if (s == CP_FUTURE_PENDING && g->kind != GATHER_SELECT) {
        /* Abandoned: the result can never be complete, so it is abandoned
         * too (libprocess lets its aggregator process go). */
        cp__future_abandon(g->result);
        return;
    }
    bool last = atomic_fetch_sub(&g->remaining, 1) == 1;
    switch (g->kind) {
    case GATHER_SELECT:
        if (s == CP_FUTURE_READY) {
            cp_future_ref(in);
            if (cp__future_complete(g->result, CP_FUTURE_READY, in, NULL) != 0)
                cp_future_unref(in);
        } else if (last) {
            /* Every input ended (or was abandoned) and none was READY:
             * nothing will ever complete the result. */
            cp__future_abandon(g->result);
        }
        return;
    case GATHER_COLLECT:
        if (s == CP_FUTURE_FAILED) {
            const char *why = cp_future_failure(in);
            size_t len = strlen(why) + sizeof("Collect failed: ");
            char *msg = malloc(len);
            if (msg != NULL)
                snprintf(msg, len, "Collect failed: %s", why);
            if (cp__future_complete(g->result, CP_FUTURE_FAILED, NULL, msg) != 0)
                free(msg);
            return;
        }
        if (s == CP_FUTURE_DISCARDED) {
            cp__future_complete(g->result, CP_FUTURE_DISCARDED, NULL, NULL);
            return;
        }
        break;
    case GATHER_AWAIT:
        break;
    }
    if (last)
        gather_finish(g);
}

/* A discard asked of the result: collect and await ask it of every input
 * first (so callers may rely on that having happened), then the result
 * itself is DISCARDED without waiting for the inputs — the way out of a
 * producer that ignores discards. select only discards its result. */
static void result_discard(cp_future_t *result, void *p)
{
    gather_t *g = p;
    if (g->kind != GATHER_SELECT)
        for (size_t i = 0; i < g->n; i++)
            cp_future_discard(g->inputs[i]);
    cp__future_complete(result, CP_FUTURE_DISCARDED, NULL, NULL);
}

static cp_future_t *gather(cp_future_t *const *futures, size_t n, gather_kind_t kind,
                           const char *name)
{
    cp_future_t *result =
        cp__future_pending(kind == GATHER_SELECT ? cp__future_unref_void : collected_free);
    if (result == NULL)
        return NULL;
    bool bad = n > 0 && futures == NULL;
    for (size_t i = 0; !bad && i < n; i++)
        bad = futures[i] == NULL;
    if (bad || (n == 0 && kind == GATHER_SELECT)) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%s: %s", name,
                 bad ? "NULL future in the input" : "no futures to select from");
        cp__future_fail(result, msg);
        return result;
    }
    if (n == 0) {
        cp_collected_t *c = collected_new(NULL, 0);
        if (c == NULL || cp__future_complete(result, CP_FUTURE_READY, c, NULL) != 0)
            cp__future_fail(result, "out of memory");
        return result;
    }
    gather_t *g = malloc(sizeof(*g) + n * sizeof(cp_future_t *));
    if (g == NULL) {
        cp__future_fail(result, "out of memory");
        return result;
    }
    /* One reference for this function, one per callback below. */
    atomic_init(&g->refs, (int)1);
    atomic_init(&g->remaining, n);
    g->kind = kind;
    g->result = cp_future_ref(result);
    g->n = n;
    for (size_t i = 0; i < n; i++)
        g->inputs[i] = cp_future_ref(futures[i]);
    atomic_fetch_add(&g->refs, 1);
    cp__future_register(result, CP_EV_DISCARD_REQ, false, result_discard, g, gather_unref);
    for (size_t i = 0; i < n; i++) {
        atomic_fetch_add(&g->refs, 1);
        cp__future_register(g->inputs[i], CP_EV_ANY | CP_EV_ABANDONED, true, input_done, g,
                            gather_unref);
    }
    gather_unref(g);
    return result;
}

cp_future_t *cp_future_collect(cp_future_t *const *futures, size_t n)
{
    return gather(futures, n, GATHER_COLLECT, "cp_future_collect");
}

cp_future_t *cp_future_await(cp_future_t *const *futures, size_t n)
{
    return gather(futures, n, GATHER_AWAIT, "cp_future_await");
}

cp_future_t *cp_future_select(cp_future_t *const *futures, size_t n)
{
    return gather(futures, n, GATHER_SELECT, "cp_future_select");
}

/* collect, await and select: one result over many futures. */
#include "cproc/collect.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "cproc/error.h"
#include "future/future_internal.h"

typedef enum { GATHER_COLLECT, GATHER_AWAIT, GATHER_SELECT } gather_kind_t;

/* Shared by the callbacks on every input. */
typedef struct gather {
    atomic_int refs;
    atomic_size_t remaining;
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
    if (i >= c->count)
        return NULL;
    return cp_future_value(c->futures[i]);
}

static void gather_finish(gather_t *g)
{
    cp_collected_t *c = malloc(sizeof(*c) + g->n * sizeof(cp_future_t *));
    if (c == NULL) {
        cp__future_complete(g->result, CP_FUTURE_FAILED, NULL, cp__strdup_or_null("out of memory"));
        return;
    }
    c->count = g->n;
    c->futures = (cp_future_t **)(c + 1);
    for (size_t i = 0; i < g->n; i++)
        c->futures[i] = cp_future_ref(g->inputs[i]);
    if (cp__future_complete(g->result, CP_FUTURE_READY, c, NULL) != 0)
        collected_free(c);
}

static void input_done(cp_future_t *in, void *p)
{
    gather_t *g = p;
    cp_future_state_t s = cp_future_state(in);
    if (s == CP_FUTURE_PENDING) { /* abandoned */
        cp__future_abandon(g->result);
        return;
    }
    switch (g->kind) {
    case GATHER_SELECT:
        cp_future_ref(in);
        if (cp__future_complete(g->result, CP_FUTURE_READY, in, NULL) != 0)
            cp_future_unref(in);
        return;
    case GATHER_COLLECT:
        if (s == CP_FUTURE_FAILED) {
            cp__future_complete(g->result, CP_FUTURE_FAILED, NULL,
                                cp__strdup_or_null(cp_future_failure(in)));
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
    if (atomic_fetch_sub(&g->remaining, 1) == 1)
        gather_finish(g);
}

static void discard_inputs(cp_future_t *result, void *p)
{
    gather_t *g = p;
    for (size_t i = 0; i < g->n; i++)
        cp_future_discard(g->inputs[i]);
}

static cp_future_t *gather(cp_future_t *const *futures, size_t n, gather_kind_t kind)
{
    cp_future_t *result =
        cp__future_pending(kind == GATHER_SELECT ? cp__future_unref_void : collected_free);
    if (result == NULL)
        return NULL;
    if (n == 0) {
        if (kind == GATHER_SELECT) {
            cp__future_complete(result, CP_FUTURE_FAILED, NULL,
                                cp__strdup_or_null("select() of no futures"));
            return result;
        }
    }
    gather_t *g = malloc(sizeof(*g) + n * sizeof(cp_future_t *));
    if (g == NULL) {
        cp__future_complete(result, CP_FUTURE_FAILED, NULL, cp__strdup_or_null("out of memory"));
        return result;
    }
    atomic_init(&g->refs, 1);
    atomic_init(&g->remaining, n);
    g->kind = kind;
    g->result = cp_future_ref(result);
    g->n = n;
    for (size_t i = 0; i < n; i++)
        g->inputs[i] = cp_future_ref(futures[i]);
    if (n == 0) {
        gather_finish(g);
        gather_unref(g);
        return result;
    }
    atomic_fetch_add(&g->refs, 1);
    cp__future_register(result, CP_EV_DISCARD_REQ, false, discard_inputs, g, gather_unref);
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
    return gather(futures, n, GATHER_COLLECT);
}

cp_future_t *cp_future_await(cp_future_t *const *futures, size_t n)
{
    return gather(futures, n, GATHER_AWAIT);
}

cp_future_t *cp_future_select(cp_future_t *const *futures, size_t n)
{
    return gather(futures, n, GATHER_SELECT);
}

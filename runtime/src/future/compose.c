/* Composition: then, repair, recover, undiscardable. */
#include "future/future_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "cproc/error.h"

typedef enum { STEP_THEN, STEP_REPAIR, STEP_RECOVER } step_kind_t;

/* One continuation waiting on a source future. */
typedef struct step {
    step_kind_t kind;
    cp_future_t *result; /* the future handed to the caller */
    union {
        cp_then_fn then;
        cp_repair_fn repair;
        cp_recover_fn recover;
    } fn;
    void *arg;
    cp_free_fn arg_free;
} step_t;

static void step_free(void *p)
{
    step_t *st = p;
    if (st->arg_free != NULL)
        st->arg_free(st->arg);
    cp_future_unref(st->result);
    free(st);
}

/* The result takes the outcome of the future a continuation returned. */
static void adopt(cp_future_t *result, cp_future_t *next)
{
    if (next == NULL) {
        cp__future_fail(result, "continuation returned NULL");
        return;
    }
    cp__future_follow(result, next, true);
    cp_future_unref(next);
}

static void step_run(cp_future_t *src, void *p)
{
    step_t *st = p;
    cp_future_state_t s = cp_future_state(src);
    bool abandoned = s == CP_FUTURE_PENDING; /* only reached that way */

    bool handles;
    switch (st->kind) {
    case STEP_THEN:
        handles = s == CP_FUTURE_READY;
        break;
    case STEP_REPAIR:
        handles = s == CP_FUTURE_FAILED;
        break;
    default:
        handles = s != CP_FUTURE_READY;
        break;
    }

    if (!handles) {
        if (abandoned)
            cp__future_abandon(st->result);
        else
            cp__future_follow(st->result, src, false);
        return;
    }
    /* A discard asked of the result before the value arrived wins. */
    if (st->kind == STEP_THEN && cp_future_has_discard(st->result)) {
        cp__future_complete(st->result, CP_FUTURE_DISCARDED, NULL, NULL);
        return;
    }
    cp_future_t *next;
    switch (st->kind) {
    case STEP_THEN:
        next = st->fn.then(cp_future_value(src), st->arg);
        break;
    case STEP_REPAIR:
        next = st->fn.repair(cp_future_failure(src), st->arg);
        break;
    default:
        next = st->fn.recover(src, st->arg);
        break;
    }
    adopt(st->result, next);
}

/* The clear error for a NULL future or function. */
static void fail_null_argument(cp_future_t *result, const char *fn)
{
    char msg[96];
    snprintf(msg, sizeof(msg), "%s: NULL future or function", fn);
    cp__future_fail(result, msg);
}

static void forward_discard(cp_future_t *result, void *src)
{
    cp_future_discard(src);
}

static cp_future_t *step_start(cp_future_t *src, step_kind_t kind, void (*fn)(void), void *arg,
                               cp_free_fn arg_free)
{
    static const char *const names[] = {"cp_future_then", "cp_future_repair",
                                        "cp_future_recover"};
    cp_future_t *result = cp__future_pending(NULL);
    step_t *st = NULL;
    if (result != NULL && src != NULL && fn != NULL)
        st = malloc(sizeof(*st));
    if (st == NULL) {
        if (arg_free != NULL)
            arg_free(arg);
        if (result == NULL)
            return NULL;
        if (src == NULL || fn == NULL)
            fail_null_argument(result, names[kind]);
        else
            cp__future_fail(result, "out of memory");
        return result;
    }
    st->kind = kind;
    st->result = cp_future_ref(result);
    switch (kind) {
    case STEP_THEN:
        st->fn.then = (cp_then_fn)fn;
        break;
    case STEP_REPAIR:
        st->fn.repair = (cp_repair_fn)fn;
        break;
    default:
        st->fn.recover = (cp_recover_fn)fn;
        break;
    }
    st->arg = arg;
    st->arg_free = arg_free;
    cp__future_register(result, CP_EV_DISCARD_REQ, false, forward_discard, cp_future_ref(src),
                        cp__future_unref_void);
    cp__future_register(src, CP_EV_ANY | CP_EV_ABANDONED, true, step_run, st, step_free);
    return result;
}

cp_future_t *cp_future_then(cp_future_t *f, cp_then_fn fn, void *arg, cp_free_fn arg_free)
{
    return step_start(f, STEP_THEN, (void (*)(void))fn, arg, arg_free);
}

cp_future_t *cp_future_repair(cp_future_t *f, cp_repair_fn fn, void *arg, cp_free_fn arg_free)
{
    return step_start(f, STEP_REPAIR, (void (*)(void))fn, arg, arg_free);
}

cp_future_t *cp_future_recover(cp_future_t *f, cp_recover_fn fn, void *arg, cp_free_fn arg_free)
{
    return step_start(f, STEP_RECOVER, (void (*)(void))fn, arg, arg_free);
}

cp_future_t *cp_future_undiscardable(cp_future_t *f)
{
    cp_future_t *result = cp__future_pending(NULL);
    if (result == NULL)
        return NULL;
    if (f == NULL)
        fail_null_argument(result, "cp_future_undiscardable");
    else
        cp__future_follow(result, f, false);
    return result;
}

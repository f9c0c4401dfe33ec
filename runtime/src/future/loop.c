/* cp_loop: iterate → body until break, as a trampoline so that steps which
 * complete synchronously do not grow the stack. */
#include "cproc/loop.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "cproc/error.h"
#include "future/future_internal.h"

typedef struct control {
    bool brk;
    void *value;
    cp_free_fn free_value;
} control_t;

static void control_free(void *p)
{
    control_t *c = p;
    if (c->value != NULL && c->free_value != NULL)
        c->free_value(c->value);
    free(c);
}

static cp_future_t *control_future(bool brk, void *value, cp_free_fn free_value)
{
    control_t *c = malloc(sizeof(*c));
    if (c == NULL) {
        if (value != NULL && free_value != NULL)
            free_value(value);
        return cp_future_failed("out of memory");
    }
    *c = (control_t){.brk = brk, .value = value, .free_value = free_value};
    return cp_future_ready(c, control_free);
}

cp_future_t *cp_loop_continue(void)
{
    return control_future(false, NULL, NULL);
}

cp_future_t *cp_loop_break(void *value, cp_free_fn free_value)
{
    return control_future(true, value, free_value);
}

typedef enum { PHASE_ITERATE, PHASE_BODY } phase_t;

typedef struct loop {
    atomic_int refs;
    pthread_mutex_t lock;
    cp_future_t *result;
    cp_future_t *waiting; /* the step being waited for, or NULL */
    cp_loop_iterate_fn iterate;
    cp_loop_body_fn body;
    void *arg;
    cp_free_fn arg_free;
    phase_t phase; /* what the step being waited for is */
} loop_t;

static void loop_unref(void *p)
{
    loop_t *l = p;
    if (atomic_fetch_sub(&l->refs, 1) != 1)
        return;
    if (l->arg_free != NULL)
        l->arg_free(l->arg);
    cp_future_unref(l->result);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

static void loop_run(loop_t *l, phase_t phase, cp_future_t *step);

static void loop_resume(cp_future_t *step, void *p)
{
    loop_t *l = p;
    pthread_mutex_lock(&l->lock);
    phase_t phase = l->phase;
    cp_future_t *waiting = l->waiting;
    l->waiting = NULL;
    pthread_mutex_unlock(&l->lock);
    cp_future_unref(waiting);
    loop_run(l, phase, cp_future_ref(step));
}

/* Returns true when `step` (owned) is READY and the loop may go on at
 * once; otherwise the loop has either ended or is waiting for step. */
static bool loop_ready(loop_t *l, phase_t phase, cp_future_t *step)
{
    if (step == NULL) {
        cp__future_fail(l->result, "loop step returned NULL");
        return false;
    }
    if (cp_future_is_pending(step) && !cp_future_is_abandoned(step)) {
        pthread_mutex_lock(&l->lock);
        l->waiting = cp_future_ref(step);
        l->phase = phase;
        bool discard = cp_future_has_discard(l->result);
        pthread_mutex_unlock(&l->lock);
        if (discard)
            cp_future_discard(step);
        atomic_fetch_add(&l->refs, 1);
        cp__future_register(step, CP_EV_ANY | CP_EV_ABANDONED, true, loop_resume, l, loop_unref);
        cp_future_unref(step);
        return false;
    }
    switch (cp_future_state(step)) {
    case CP_FUTURE_READY:
        return true;
    case CP_FUTURE_FAILED:
        cp__future_fail(l->result, cp_future_failure(step));
        break;
    case CP_FUTURE_DISCARDED:
        cp__future_complete(l->result, CP_FUTURE_DISCARDED, NULL, NULL);
        break;
    case CP_FUTURE_PENDING:
        cp__future_abandon(l->result);
        break;
    }
    cp_future_unref(step);
    return false;
}

static void loop_run(loop_t *l, phase_t phase, cp_future_t *step)
{
    for (;;) {
        if (phase == PHASE_ITERATE) {
            if (step == NULL)
                step = l->iterate != NULL ? l->iterate(l->arg) : cp_future_ready(NULL, NULL);
            if (!loop_ready(l, PHASE_ITERATE, step))
                return;
            cp_future_t *item = step;
            step = l->body(cp_future_value(item), l->arg);
            cp_future_unref(item);
            phase = PHASE_BODY;
        }
        if (!loop_ready(l, PHASE_BODY, step))
            return;
        control_t *c = cp_future_value(step);
        if (c == NULL) {
            cp__future_fail(l->result, "loop body gave no control value");
            cp_future_unref(step);
            return;
        }
        if (c->brk) {
            /* Move the break value into the result. */
            void *value = c->value;
            c->value = NULL;
            l->result->free_value = c->free_value;
            if (cp__future_complete(l->result, CP_FUTURE_READY, value, NULL) != 0 &&
                value != NULL && c->free_value != NULL)
                c->free_value(value);
            cp_future_unref(step);
            return;
        }
        cp_future_unref(step);
        step = NULL;
        phase = PHASE_ITERATE;
    }
}

static void loop_discard(cp_future_t *result, void *p)
{
    loop_t *l = p;
    pthread_mutex_lock(&l->lock);
    cp_future_t *waiting = l->waiting != NULL ? cp_future_ref(l->waiting) : NULL;
    pthread_mutex_unlock(&l->lock);
    if (waiting != NULL) {
        cp_future_discard(waiting);
        cp_future_unref(waiting);
    }
}

cp_future_t *cp_loop(cp_loop_iterate_fn iterate, cp_loop_body_fn body, void *arg,
                     cp_free_fn arg_free)
{
    cp_future_t *result = cp__future_pending(NULL);
    loop_t *l = malloc(sizeof(*l));
    if (result == NULL || l == NULL || body == NULL) {
        free(l);
        if (arg_free != NULL)
            arg_free(arg);
        if (result != NULL)
            cp__future_fail(result, body == NULL ? "cp_loop: NULL body" : "out of memory");
        return result;
    }
    atomic_init(&l->refs, 2);
    pthread_mutex_init(&l->lock, NULL);
    l->result = cp_future_ref(result);
    l->waiting = NULL;
    l->iterate = iterate;
    l->body = body;
    l->arg = arg;
    l->arg_free = arg_free;
    l->phase = PHASE_ITERATE;
    cp__future_register(result, CP_EV_DISCARD_REQ, false, loop_discard, l, loop_unref);
    loop_run(l, PHASE_ITERATE, NULL);
    loop_unref(l);
    return result;
}

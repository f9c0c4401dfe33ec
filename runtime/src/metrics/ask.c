/* Asking processes and finishing once (ask.h). */
#include "metrics/ask.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "cproc/clock.h"
#include "cproc/error.h"

struct cp__ask {
    atomic_uint refs;
    pthread_mutex_t mu;
    bool finished;  /* under mu: later answers are dropped */
    size_t pending; /* under mu: answers and holds awaited, plus one until started */
    bool has_timer; /* under mu */
    uint64_t timer_id;
    const cp__ask_ops_t *ops;
    void *user;
};

/* One dispatch's answer: both future callbacks hold it, the first runs. */
typedef struct one {
    atomic_uint refs;
    atomic_bool done;
    cp__ask_t *a;
    size_t i;
} one_t;

cp__ask_t *cp__ask_ref(cp__ask_t *a)
{
    atomic_fetch_add(&a->refs, 1);
    return a;
}

void cp__ask_unref(cp__ask_t *a)
{
    if (!a || atomic_fetch_sub(&a->refs, 1) != 1)
        return;
    if (a->ops->free)
        a->ops->free(a->user);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

static void unref_arg(void *a)
{
    cp__ask_unref(a);
}

cp__ask_t *cp__ask_new(const cp__ask_ops_t *ops, void *user)
{
    cp__ask_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    atomic_init(&a->refs, 1);
    pthread_mutex_init(&a->mu, NULL);
    a->pending = 1;
    a->ops = ops;
    a->user = user;
    return a;
}

/* Finishes once; the caller holds a reference throughout. */
void cp__ask_close(cp__ask_t *a)
{
    pthread_mutex_lock(&a->mu);
    bool first = !a->finished;
    a->finished = true;
    bool cancel = a->has_timer;
    a->has_timer = false;
    uint64_t id = a->timer_id;
    pthread_mutex_unlock(&a->mu);
    if (!first)
        return;
    if (cancel)
        cp_timer_cancel(id); /* CP_ENOENT when it is firing: fine */
    a->ops->finish(a->user);
}

static void one_less(cp__ask_t *a)
{
    pthread_mutex_lock(&a->mu);
    bool last = --a->pending == 0;
    pthread_mutex_unlock(&a->mu);
    if (last)
        cp__ask_close(a);
}

static void on_timeout(void *arg)
{
    cp__ask_close(arg);
}

static void one_unref(void *p)
{
    one_t *o = p;
    if (atomic_fetch_sub(&o->refs, 1) != 1)
        return;
    cp__ask_unref(o->a);
    free(o);
}

static void answered(cp_future_t *f, void *arg)
{
    one_t *o = arg;
    cp__ask_t *a = o->a;
    if (atomic_exchange(&o->done, true))
        return; /* the other callback ran */
    pthread_mutex_lock(&a->mu);
    if (!a->finished && a->ops->answer)
        a->ops->answer(a->user, o->i, f);
    bool last = --a->pending == 0;
    pthread_mutex_unlock(&a->mu);
    if (last)
        cp__ask_close(a);
}

int cp__ask_one(cp__ask_t *a, size_t i, const cp_upid_t *pid, cp_dispatch_future_fn fn,
                const void *args, size_t size, cp_args_free_fn args_free)
{
    one_t *o = malloc(sizeof *o);
    if (!o) {
        if (args_free) /* on the caller's block: it is not needed after */
            args_free(size ? (void *)args : NULL);
        return CP_ENOMEM;
    }
    cp_future_t *f = cp_dispatch_future(pid, fn, args, size, args_free);
    if (!f) {
        free(o);
        return CP_ENOMEM;
    }
    atomic_init(&o->refs, 2);
    atomic_init(&o->done, false);
    o->a = cp__ask_ref(a);
    o->i = i;
    pthread_mutex_lock(&a->mu);
    a->pending++;
    pthread_mutex_unlock(&a->mu);
    cp_future_on_any(f, answered, o, one_unref);
    cp_future_on_abandoned(f, answered, o, one_unref);
    cp_future_unref(f);
    return 0;
}

void cp__ask_hold(cp__ask_t *a)
{
    cp__ask_ref(a);
    pthread_mutex_lock(&a->mu);
    a->pending++;
    pthread_mutex_unlock(&a->mu);
}

void cp__ask_release(cp__ask_t *a)
{
    one_less(a);
    cp__ask_unref(a);
}

void cp__ask_start(cp__ask_t *a, uint64_t timeout_ns)
{
    /* Still holding the start's count: finish cannot have run, so the
     * timer's id is set before anyone may cancel it. */
    pthread_mutex_lock(&a->mu);
    bool waiting = a->pending > 1;
    pthread_mutex_unlock(&a->mu);
    if (waiting && timeout_ns != UINT64_MAX) {
        uint64_t id;
        if (cp_timer_start(timeout_ns, on_timeout, cp__ask_ref(a), unref_arg, &id) == 0) {
            pthread_mutex_lock(&a->mu);
            a->has_timer = true;
            a->timer_id = id;
            pthread_mutex_unlock(&a->mu);
        }
    }
    one_less(a);
}

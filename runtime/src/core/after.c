/* cp_future_after(): a timeout on a future, on the runtime's timers. */
#include <pthread.h>
#include <stdlib.h>

#include "core/core_internal.h"
#include "cproc/clock.h"
#include "cproc/error.h"

/* Shared by the timer, the callback on the source and the discard
 * forwarder on the result. `src` is a real reference, held only while the
 * timer is pending, so nothing keeps itself alive once the timer is gone;
 * `promise` is freed as soon as the result has its outcome. */
struct after {
    _Atomic int refs;
    pthread_mutex_t mu;
    cp_future_t *src;
    cp_promise_t *promise;
    _Atomic uint64_t timer;
    bool done;
    cp_after_fn fn;
    void *arg;
    cp_free_fn arg_free;
};

static void after_unref(void *p)
{
    struct after *a = p;
    if (atomic_fetch_sub(&a->refs, 1) != 1)
        return;
    if (a->promise)
        cp_promise_free(a->promise);
    if (a->src)
        cp_future_unref(a->src);
    if (a->arg_free)
        a->arg_free(a->arg);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

/* Takes the promise and the source out of `a` once, for whoever decides. */
static bool after_claim(struct after *a, cp_promise_t **pr, cp_future_t **src)
{
    pthread_mutex_lock(&a->mu);
    bool won = !a->done;
    a->done = true;
    *pr = a->promise;
    *src = a->src;
    a->promise = NULL;
    a->src = NULL;
    pthread_mutex_unlock(&a->mu);
    return won;
}

static void after_timeout(void *arg)
{
    struct after *a = arg;
    cp_promise_t *pr;
    cp_future_t *src;
    if (!after_claim(a, &pr, &src))
        return;
    cp_future_t *r = a->fn(src, a->arg);
    if (r) {
        cp_promise_associate(pr, r);
        cp_future_unref(r);
    } else {
        cp_promise_fail(pr, "after: callback returned NULL");
    }
    cp_promise_free(pr);
    cp_future_unref(src);
}

/* The timer's reference: dropped after firing, on cancel, or at runtime
 * stop; in the last case the result is abandoned and f let go. */
static void after_timer_free(void *arg)
{
    struct after *a = arg;
    cp_promise_t *pr;
    cp_future_t *src;
    if (after_claim(a, &pr, &src)) {
        cp_promise_free(pr);
        cp_future_unref(src);
    }
    after_unref(a);
}

static void after_completed(cp_future_t *f, void *arg)
{
    struct after *a = arg;
    cp_promise_t *pr;
    cp_future_t *src;
    if (!after_claim(a, &pr, &src))
        return;
    cp_timer_cancel(atomic_load(&a->timer));
    cp_promise_associate(pr, f);
    cp_promise_free(pr);
    cp_future_unref(src);
}

static void after_discard(cp_future_t *result, void *arg)
{
    struct after *a = arg;
    pthread_mutex_lock(&a->mu);
    cp_future_t *src = a->src ? cp_future_ref(a->src) : NULL;
    pthread_mutex_unlock(&a->mu);
    if (src) {
        cp_future_discard(src);
        cp_future_unref(src);
    }
}

cp_future_t *cp_future_after(cp_future_t *f, uint64_t timeout_ns, cp_after_fn fn, void *arg,
                             cp_free_fn arg_free)
{
    struct after *a = calloc(1, sizeof *a);
    cp_promise_t *pr = a ? cp_promise_new(NULL) : NULL;
    if (pr == NULL || f == NULL || fn == NULL) {
        if (pr)
            cp_promise_free(pr);
        free(a);
        if (arg_free)
            arg_free(arg);
        return NULL;
    }
    cp_future_t *result = cp_promise_future(pr);
    pthread_mutex_init(&a->mu, NULL);
    a->promise = pr;
    a->src = cp_future_ref(f);
    a->fn = fn;
    a->arg = arg;
    a->arg_free = arg_free;
    atomic_init(&a->refs, 3); /* timer, on_any on f, on_discard on result */
    if (cp_future_on_discard(result, after_discard, a, after_unref) != 0)
        after_unref(a);
    /* Without a running runtime the timer's free abandons the result. If
     * f completes before the id is stored, the timer stays until it fires
     * (a no-op) or the runtime stops. */
    uint64_t tid = 0;
    if (cp_timer_start(timeout_ns, after_timeout, a, after_timer_free, &tid) == 0)
        atomic_store(&a->timer, tid);
    if (cp_future_on_any(f, after_completed, a, after_unref) != 0)
        after_unref(a);
    return result;
}

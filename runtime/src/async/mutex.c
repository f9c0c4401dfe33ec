/* process::Mutex in C: a held flag and a FIFO of waiting promises. */
#include <stdlib.h>

#include "async/waitlist.h"
#include "cproc/error.h"
#include "cproc/mutex.h"

struct cp_mutex {
    cp__async_core_t core; /* first: the core is the allocation */
    bool locked;
    cp__waitlist_t waiters;
};

static void mutex_destroy(cp__async_core_t *core)
{
    free(core);
}

cp_mutex_t *cp_mutex_new(void)
{
    cp_mutex_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    cp__async_core_init(&m->core, mutex_destroy);
    cp__waitlist_init(&m->waiters, &m->core);
    return m;
}

void cp_mutex_free(cp_mutex_t *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->core.mu);
    cp__waiter_t *w, *list = NULL;
    while ((w = cp__waitlist_pop(&m->waiters)) != NULL) {
        w->next = list;
        list = w;
    }
    pthread_mutex_unlock(&m->core.mu);
    while (list) {
        w = list;
        list = w->next;
        cp__waiter_release(w);
    }
    cp__async_core_unref(&m->core);
}

cp_future_t *cp_mutex_lock(cp_mutex_t *m)
{
    if (!m)
        return NULL;
    pthread_mutex_lock(&m->core.mu);
    if (!m->locked) {
        m->locked = true;
        pthread_mutex_unlock(&m->core.mu);
        cp_future_t *f = cp_future_ready(NULL, NULL);
        if (!f)
            cp_mutex_unlock(m);
        return f;
    }
    cp_future_t *f = NULL;
    cp__waiter_t *w = cp__waiter_push(&m->waiters, NULL, &f);
    pthread_mutex_unlock(&m->core.mu);
    if (w)
        cp__waiter_arm(w, f);
    return f;
}

int cp_mutex_unlock(cp_mutex_t *m)
{
    if (!m)
        return CP_EINVAL;
    for (;;) {
        pthread_mutex_lock(&m->core.mu);
        if (!m->locked) {
            pthread_mutex_unlock(&m->core.mu);
            return CP_ESTATE;
        }
        cp__waiter_t *w = cp__waitlist_pop(&m->waiters);
        if (!w)
            m->locked = false;
        pthread_mutex_unlock(&m->core.mu);
        if (!w)
            return 0;
        /* The mutex stays locked while it passes to w. */
        if (cp__waiter_discarded(w)) {
            cp__waiter_release(w);
            continue;
        }
        cp_promise_set(w->promise, NULL);
        cp__waiter_release(w);
        return 0;
    }
}

bool cp_mutex_locked(cp_mutex_t *m)
{
    if (!m)
        return false;
    pthread_mutex_lock(&m->core.mu);
    bool l = m->locked;
    pthread_mutex_unlock(&m->core.mu);
    return l;
}

size_t cp_mutex_waiting(cp_mutex_t *m)
{
    if (!m)
        return 0;
    pthread_mutex_lock(&m->core.mu);
    size_t n = m->waiters.len;
    pthread_mutex_unlock(&m->core.mu);
    return n;
}

/* ---- lock, run, unlock ------------------------------------------------ */

/* Shared by the result's on_any and on_abandoned hooks: exactly one of
 * them unlocks (when the lock was held). */
typedef struct run {
    atomic_uint refs;
    atomic_bool done;
    cp_mutex_t *m;
    cp_future_t *lock;
} run_t;

static void run_unref(void *p)
{
    run_t *r = p;
    if (atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    cp_future_unref(r->lock);
    cp__async_core_unref(&r->m->core);
    free(r);
}

static void run_finish(cp_future_t *f, void *arg)
{
    run_t *r = arg;
    if (atomic_exchange(&r->done, true))
        return;
    if (cp_future_is_ready(r->lock))
        cp_mutex_unlock(r->m);
}

cp_future_t *cp_mutex_run(cp_mutex_t *m, const cp_upid_t *pid, cp_defer_then_fn fn, void *arg,
                          cp_free_fn arg_free)
{
    if (!m || !pid || !fn) {
        if (arg_free)
            arg_free(arg);
        return cp_future_failed("cp_mutex_run: NULL argument");
    }
    run_t *r = calloc(1, sizeof *r);
    cp_future_t *lock = cp_mutex_lock(m);
    if (!r || !lock) {
        free(r);
        if (lock) {
            /* Not handed out: give the mutex back once it is ours. */
            cp_future_discard(lock);
            if (cp_future_is_ready(lock))
                cp_mutex_unlock(m);
            cp_future_unref(lock);
        }
        if (arg_free)
            arg_free(arg);
        return NULL;
    }
    cp_future_t *res = cp_future_then_defer(lock, pid, fn, arg, arg_free);
    if (!res) {
        cp_future_discard(lock);
        if (cp_future_is_ready(lock))
            cp_mutex_unlock(m);
        cp_future_unref(lock);
        free(r);
        return NULL;
    }
    atomic_init(&r->refs, 2);
    r->m = m;
    r->lock = lock;
    cp__async_core_ref(&m->core);
    cp_future_on_any(res, run_finish, r, run_unref);
    cp_future_on_abandoned(res, run_finish, r, run_unref);
    return res;
}

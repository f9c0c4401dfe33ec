/* cp_future_wait: block a thread outside the runtime until a future ends. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "cproc/log.h"
#include "cproc/process.h"
#include "future/future_internal.h"

typedef struct waiter {
    atomic_int refs; /* the waiting thread and the callback */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
} waiter_t;

static void waiter_unref(void *p)
{
    waiter_t *w = p;
    if (atomic_fetch_sub(&w->refs, 1) != 1)
        return;
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}

static void waiter_wake(cp_future_t *f, void *p)
{
    waiter_t *w = p;
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static bool finished(const cp_future_t *f)
{
    return !cp_future_is_pending(f) || cp_future_is_abandoned(f);
}

bool cp_future_wait(cp_future_t *f, uint64_t timeout_ns)
{
    if (finished(f))
        return true;
    if (cp__in_loop_turn()) {
        /* Blocking here would stop the event loop, which may be what has
         * to complete f: fail at once instead of hanging the node. */
        cp_process_t *self = cp_process_current();
        cp_log(CP_LOG_ERROR,
               "%s: cp_future_wait() inside a loop turn returns false without waiting (it "
               "would block the event loop); continue with cp_future_then() or a defer "
               "instead, or call cp_process_set_loop_turns(self, false)",
               self ? cp_process_id(self) : "?");
        return false;
    }
    waiter_t *w = malloc(sizeof(*w));
    if (w == NULL)
        return false;
    atomic_init(&w->refs, 2);
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &attr);
    pthread_condattr_destroy(&attr);
    w->done = false;
    cp__future_register(f, CP_EV_ANY | CP_EV_ABANDONED, true, waiter_wake, w, waiter_unref);

    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    bool forever = timeout_ns == UINT64_MAX;
    if (!forever) {
        uint64_t ns = (uint64_t)deadline.tv_nsec + timeout_ns % 1000000000u;
        deadline.tv_sec += (time_t)(timeout_ns / 1000000000u + ns / 1000000000u);
        deadline.tv_nsec = (long)(ns % 1000000000u);
    }
    pthread_mutex_lock(&w->lock);
    while (!w->done) {
        if (forever)
            pthread_cond_wait(&w->cond, &w->lock);
        else if (pthread_cond_timedwait(&w->cond, &w->lock, &deadline) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&w->lock);
    waiter_unref(w);
    return finished(f);
}

/* Scheduling: mailboxes, the run queue, worker threads and resume. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "cproc/error.h"

/* How many events a process runs before yielding its worker: the fairness
 * bound that keeps one busy process from starving the others. */
#define BATCH 256

/* Pause iterations an idle worker polls the run queue before sleeping. */
#define SPIN 200

_Thread_local struct cp_process *cp__current;
_Thread_local bool cp__is_worker;

/* ---- mailbox (Vyukov's intrusive MPSC queue) --------------------------- */

static void mb_push(struct cp_process *p, cp__event_t *ev)
{
    atomic_store_explicit(&ev->next, NULL, memory_order_relaxed);
    cp__event_t *prev = atomic_exchange_explicit(&p->head, ev, memory_order_acq_rel);
    atomic_store_explicit(&prev->next, ev, memory_order_release);
}

/* Returns the oldest event, or NULL when empty or when a producer is half
 * way through a push (the caller then reschedules). */
static cp__event_t *mb_pop(struct cp_process *p)
{
    cp__event_t *tail = p->tail;
    cp__event_t *next = atomic_load_explicit(&tail->next, memory_order_acquire);
    if (tail == &p->stub) {
        if (next == NULL)
            return NULL;
        p->tail = next;
        tail = next;
        next = atomic_load_explicit(&next->next, memory_order_acquire);
    }
    if (next) {
        p->tail = next;
        return tail;
    }
    if (tail != atomic_load_explicit(&p->head, memory_order_acquire))
        return NULL;
    mb_push(p, &p->stub);
    next = atomic_load_explicit(&tail->next, memory_order_acquire);
    if (next) {
        p->tail = next;
        return tail;
    }
    return NULL;
}

bool cp__mailbox_nonempty(struct cp_process *p)
{
    return atomic_load_explicit(&p->head, memory_order_acquire) != &p->stub;
}

void cp__mailbox_drain(struct cp_process *p);
void cp__mailbox_drain(struct cp_process *p)
{
    for (;;) {
        cp__event_t *ev = mb_pop(p);
        if (ev == NULL) {
            if (!cp__mailbox_nonempty(p))
                return;
            continue; /* a push is completing */
        }
        cp__event_drop(ev);
    }
}

/* ---- run queue ---------------------------------------------------------- */

static void runq_push(struct cp_process *p)
{
    p->runq_next = NULL;
    pthread_mutex_lock(&cp__rt.rq_mu);
    if (cp__rt.rq_tail)
        cp__rt.rq_tail->runq_next = p;
    else
        atomic_store_explicit(&cp__rt.rq_head, p, memory_order_relaxed);
    cp__rt.rq_tail = p;
    bool wake = cp__rt.rq_idle > 0;
    pthread_mutex_unlock(&cp__rt.rq_mu);
    if (wake)
        pthread_cond_signal(&cp__rt.rq_cv);
}

void cp__schedule(struct cp_process *p)
{
    if (atomic_exchange_explicit(&p->sched, 1, memory_order_acq_rel) == 0)
        runq_push(p);
}

bool cp__filter_drop(const cp_upid_t *to, const cp__event_t *ev)
{
    cp_event_view_t v = {.to = to};
    switch (ev->kind) {
    case CP__EV_DISPATCH:
    case CP__EV_DISPATCH_FUTURE:
        v.kind = CP_EVENT_DISPATCH;
        v.fn = ev->u.d.fn;
        v.future_fn = ev->u.d.future_fn;
        v.args = ev->u.d.size ? CP__EVENT_PAYLOAD(ev) : NULL;
        break;
    case CP__EV_MESSAGE:
        v.kind = CP_EVENT_MESSAGE;
        v.name = ev->u.m.name;
        v.from = ev->u.m.from;
        v.body = ev->u.m.body;
        v.len = ev->u.m.len;
        break;
    case CP__EV_EXITED:
        v.kind = CP_EVENT_EXITED;
        v.exited = ev->u.x.pid;
        break;
    default:
        return false;
    }
    bool drop = false;
    pthread_rwlock_rdlock(&cp__rt.filter_mu);
    for (cp__filter_entry_t *f = cp__rt.filters; f && !drop; f = f->next)
        drop = f->fn(&v, f->arg);
    pthread_rwlock_unlock(&cp__rt.filter_mu);
    return drop;
}

int cp__enqueue(struct cp_process *p, cp__event_t *ev)
{
    if (atomic_load_explicit(&cp__rt.nfilters, memory_order_acquire) > 0 &&
        ev->kind != CP__EV_TERMINATE) {
        cp_upid_t to;
        cp__process_fill_upid(p, &to);
        if (cp__filter_drop(&to, ev)) {
            cp__event_drop(ev);
            return 0;
        }
    }
    if (p->mb_bound) {
        int rc = cp__mailbox_admit(p, ev);
        if (rc)
            return rc;
    }
    mb_push(p, ev);
    cp__schedule(p);
    return 0;
}

/* ---- running a process ---------------------------------------------------- */

static void terminate(struct cp_process *p)
{
    atomic_store(&p->pstate, CP_PROCESS_TERMINATING);
    if (p->ops && p->ops->finalize)
        p->ops->finalize(p);
    cp__handlers_free(p);
    cp__links_notify(p);
    if (p->ops && p->ops->destroy)
        p->ops->destroy(p->data);
    p->data = NULL;
    p->dead = true;
    cp__mailbox_drain(p);
    cp__process_retire(p);
}

static void run_event(struct cp_process *p, cp__event_t *ev)
{
    switch (ev->kind) {
    case CP__EV_DISPATCH: {
        void *args = ev->u.d.size ? CP__EVENT_PAYLOAD(ev) : NULL;
        ev->u.d.fn(p, args);
        if (ev->u.d.args_free)
            ev->u.d.args_free(args);
        cp__event_free(ev);
        break;
    }
    case CP__EV_DISPATCH_FUTURE: {
        void *args = ev->u.d.size ? CP__EVENT_PAYLOAD(ev) : NULL;
        cp_future_t *f = ev->u.d.future_fn(p, args);
        if (ev->u.d.args_free)
            ev->u.d.args_free(args);
        if (f) {
            cp_promise_associate(ev->u.d.promise, f);
            cp_future_unref(f);
        } else {
            cp_promise_fail(ev->u.d.promise, "dispatched function returned NULL");
        }
        cp_promise_free(ev->u.d.promise);
        cp__event_free(ev);
        break;
    }
    case CP__EV_MESSAGE:
        cp__message_run(p, ev);
        break;
    case CP__EV_EXITED:
        if (p->ops && p->ops->exited)
            p->ops->exited(p, ev->u.x.pid);
        cp__event_free(ev);
        break;
    case CP__EV_TERMINATE:
        cp__event_free(ev);
        terminate(p);
        break;
    default:
        cp__event_free(ev);
        break;
    }
}

static void resume(struct cp_process *p)
{
    cp__current = p;
    if (!p->initialized) {
        p->initialized = true;
        if (p->ops && p->ops->initialize)
            p->ops->initialize(p);
    }
    atomic_store_explicit(&p->pstate, CP_PROCESS_READY, memory_order_relaxed);
    int n = 0;
    for (; n < BATCH && !p->dead; n++) {
        if (atomic_load_explicit(&p->inject, memory_order_acquire)) {
            terminate(p);
            break;
        }
        cp__event_t *ev = mb_pop(p);
        if (ev == NULL)
            break;
        if (p->mb_bound && cp__mailbox_skip(p, ev))
            continue;
        run_event(p, ev);
    }
    /* One writer (this thread): a plain add, published for the metrics. */
    atomic_store_explicit(&p->events,
                          atomic_load_explicit(&p->events, memory_order_relaxed) + (uint64_t)n,
                          memory_order_relaxed);
    cp__current = NULL;
    if (p->dead) {
        /* sched stays 1: nobody schedules a dead process again. */
        atomic_fetch_add(&cp__rt.resumes, 1);
        cp__process_unref(p);
        return;
    }
    atomic_store_explicit(&p->pstate, CP_PROCESS_BLOCKED, memory_order_relaxed);
    atomic_store_explicit(&p->sched, 0, memory_order_seq_cst);
    atomic_fetch_add(&cp__rt.resumes, 1);
    if (cp__mailbox_nonempty(p) || atomic_load(&p->inject))
        cp__schedule(p);
}

/* Spins briefly before sleeping: under load work arrives within
 * microseconds, and a futex sleep/wake pair per event costs more than the
 * event. */
static void spin_for_work(void)
{
    for (int i = 0; i < SPIN; i++) {
        if (atomic_load_explicit(&cp__rt.rq_head, memory_order_relaxed) != NULL ||
            atomic_load_explicit(&cp__rt.rq_quit, memory_order_relaxed))
            return;
        if (i % 8 == 7)
            sched_yield(); /* let a producer sharing this core run */
#if defined(__x86_64__) || defined(__i386__)
        else
            __builtin_ia32_pause();
#endif
    }
}

static void *worker_main(void *arg)
{
    cp__is_worker = true;
    for (;;) {
        spin_for_work();
        pthread_mutex_lock(&cp__rt.rq_mu);
        while (atomic_load_explicit(&cp__rt.rq_head, memory_order_relaxed) == NULL &&
               !atomic_load(&cp__rt.rq_quit)) {
            cp__rt.rq_idle++;
            pthread_cond_wait(&cp__rt.rq_cv, &cp__rt.rq_mu);
            cp__rt.rq_idle--;
        }
        struct cp_process *p = atomic_load_explicit(&cp__rt.rq_head, memory_order_relaxed);
        if (p == NULL) {
            pthread_mutex_unlock(&cp__rt.rq_mu);
            break;
        }
        atomic_store_explicit(&cp__rt.rq_head, p->runq_next, memory_order_relaxed);
        if (p->runq_next == NULL)
            cp__rt.rq_tail = NULL;
        pthread_mutex_unlock(&cp__rt.rq_mu);
        resume(p);
    }
    cp__event_cache_flush();
    cp__is_worker = false;
    return NULL;
}

int cp__sched_start(unsigned n)
{
    pthread_mutex_init(&cp__rt.rq_mu, NULL);
    pthread_cond_init(&cp__rt.rq_cv, NULL);
    atomic_store(&cp__rt.rq_head, NULL);
    cp__rt.rq_tail = NULL;
    cp__rt.rq_idle = 0;
    atomic_store(&cp__rt.rq_quit, false);
    cp__rt.workers = calloc(n, sizeof *cp__rt.workers);
    if (cp__rt.workers == NULL)
        return CP_ENOMEM;
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&cp__rt.workers[i], NULL, worker_main, NULL) != 0) {
            cp__rt.num_workers = i;
            cp__sched_stop();
            return CP_EIO;
        }
    }
    return 0;
}

void cp__sched_stop(void)
{
    pthread_mutex_lock(&cp__rt.rq_mu);
    atomic_store(&cp__rt.rq_quit, true);
    pthread_cond_broadcast(&cp__rt.rq_cv);
    pthread_mutex_unlock(&cp__rt.rq_mu);
    for (unsigned i = 0; i < cp__rt.num_workers; i++)
        pthread_join(cp__rt.workers[i], NULL);
    free(cp__rt.workers);
    cp__rt.workers = NULL;
    pthread_mutex_destroy(&cp__rt.rq_mu);
    pthread_cond_destroy(&cp__rt.rq_cv);
}

/* Scheduling: mailboxes, per-worker run queues with work stealing, worker
 * threads, sleeping and waking, and resume.
 *
 * Each worker owns a bounded ring of runnable processes (runq.h) and a
 * one-process "next" slot. A process made runnable by a process running on
 * a worker goes into that worker's slot, so a ping and its pong run on the
 * same core one after the other; the process the slot held moves to the
 * ring. Processes made runnable from other threads (the main thread, the
 * event loop) go to a shared injection queue. An idle worker takes from
 * the injection queue and steals from the other workers' rings, and, only
 * just before it would sleep, from their slots. A sleeping worker is woken
 * only when work appears in a ring or the injection queue. A process made
 * runnable from outside whose turn empties its mailbox lingers on its
 * worker's ring, still scheduled, for a few looks, so a thread that keeps
 * it busy from outside never schedules it (LINGER_LOOKS below). */
#include <sched.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/mailbox_queue.h"
#include "core/runq.h"
#include "cproc/error.h"
#include "cproc/log.h"

/* How many events a process runs before yielding its worker: the fairness
 * bound that keeps one busy process from starving the others. */
#define BATCH 256

/* Rounds an idle worker searches (injection queue, other rings) before it
 * sleeps; it yields the CPU every few rounds so a producer sharing its core
 * can run. */
#define SPIN 200

/* Processes a worker takes from its slot in a row before it looks at its
 * ring: two processes bouncing messages cannot starve the rest. */
#define SLOT_RUN_MAX 16

/* Every this many picks a worker looks at the injection queue first, so
 * work from outside runs even when the workers keep each other busy. */
#define INJECT_EVERY 61

/* Lingering: a process made runnable from outside the workers whose turn
 * on a worker emptied its mailbox stays scheduled (sched 1) on that
 * worker's ring for up to LINGER_LOOKS looks, and a worker ends the
 * lingering of those it meets after LINGER_IDLE empty looks in a row. A
 * sender to a lingering process only claims a slot: no schedule, no
 * injection, no wake-up (docs/runtime.md). */
#define LINGER_LOOKS 32
#define LINGER_IDLE  64

/* Slow loop turns in a row after which a process's loop turns end. */
#define SLOW_TURNS 3

_Thread_local struct cp_process *cp__current CP__TLS_IE;
_Thread_local bool cp__is_worker CP__TLS_IE;

typedef struct worker {
    cp__runq_t ring;
    struct cp_process *_Atomic slot; /* the next process to run here */
    _Atomic uint64_t turns;          /* turns started here (owner writes) */
    _Atomic uint64_t busy_ns;        /* time spent in turns (owner writes) */
    unsigned index;
    unsigned tick;
    unsigned slot_run;
    unsigned idle_looks; /* empty looks at lingering processes in a row */
    bool spinning;
    uint64_t seed;
    pthread_t thread;
} worker_t;

static struct {
    worker_t *w;
    unsigned n;
    unsigned started;  /* threads to join */
    uint64_t start_ns; /* CLOCK_MONOTONIC at start, for utilisation */
    /* Injection queue: processes made runnable off the workers (below).
     * inj_tail is the takers' end, under inj_mu. */
    struct cp_process *_Atomic inj_head;
    pthread_mutex_t inj_mu;
    struct cp_process *inj_tail;
    _Atomic size_t inj_len;
    /* Sleeping. `sleepers` is read without the lock by producers,
     * `spinners` (workers searching) by searchers; `wakes` counts signals
     * not yet consumed. */
    pthread_mutex_t sleep_mu;
    pthread_cond_t sleep_cv;
    _Atomic unsigned sleepers;
    _Atomic unsigned spinners;
    unsigned wakes;
    _Atomic bool quit;
} S;

static _Thread_local worker_t *me __attribute__((tls_model("initial-exec")));

/* ---- mailbox (mailbox_queue.h) ------------------------------------------- */

bool cp__mailbox_nonempty(struct cp_process *p)
{
    return cp__mq_nonempty(p);
}

void cp__mailbox_drain(struct cp_process *p);
void cp__mailbox_drain(struct cp_process *p)
{
    for (;;) {
        cp__event_t *ev = cp__mq_pop(p);
        if (ev == NULL) {
            if (!cp__mq_nonempty(p))
                break;
            continue; /* a push is completing */
        }
        cp__event_drop(ev);
    }
    cp__mq_release_if_empty(p);
}

/* ---- injection queue ---------------------------------------------------- */

/* Vyukov's intrusive MPSC list of processes, linked by runq_next: any
 * thread pushes with one exchange and no lock; the workers take from it
 * one at a time under inj_mu, which a worker only tries to take (another
 * worker taking from it means there is no need to wait). A pusher never
 * waits for a worker, which matters on a small machine: the thread that
 * dispatches to a process its worker has just drained used to meet that
 * worker on this lock for nearly every event, and a contended lock is a
 * sleep and a wake-up. `inj_len` counts what was pushed and not taken,
 * for the sleeping protocol (work_visible). The stub is the list's
 * placeholder node; only its runq_next is used. */
static struct cp_process inj_stub;

static void inject_link(struct cp_process *p)
{
    atomic_store_explicit(&p->runq_next, NULL, memory_order_relaxed);
    struct cp_process *prev = atomic_exchange_explicit(&S.inj_head, p, memory_order_acq_rel);
    atomic_store_explicit(&prev->runq_next, p, memory_order_release);
}

static void inject_push(struct cp_process *p)
{
    inject_link(p);
    atomic_fetch_add_explicit(&S.inj_len, 1, memory_order_seq_cst);
}

/* Under inj_mu: the oldest process, or NULL when empty or when a push is
 * half done (inj_len then still counts it: the caller looks again). */
static struct cp_process *inject_take(void)
{
    struct cp_process *tail = S.inj_tail;
    struct cp_process *next = atomic_load_explicit(&tail->runq_next, memory_order_acquire);
    if (tail == &inj_stub) {
        if (next == NULL)
            return NULL;
        S.inj_tail = next;
        tail = next;
        next = atomic_load_explicit(&next->runq_next, memory_order_acquire);
    }
    if (next == NULL) {
        if (tail != atomic_load_explicit(&S.inj_head, memory_order_acquire))
            return NULL;
        inject_link(&inj_stub);
        next = atomic_load_explicit(&tail->runq_next, memory_order_acquire);
        if (next == NULL)
            return NULL;
    }
    S.inj_tail = next;
    return tail;
}

static struct cp_process *inject_pop(void)
{
    if (atomic_load_explicit(&S.inj_len, memory_order_seq_cst) == 0)
        return NULL;
    if (pthread_mutex_trylock(&S.inj_mu) != 0)
        return NULL;
    struct cp_process *p = inject_take();
    if (p)
        atomic_fetch_sub_explicit(&S.inj_len, 1, memory_order_relaxed);
    pthread_mutex_unlock(&S.inj_mu);
    return p;
}

/* ---- waking --------------------------------------------------------------- */

/* Called after work became visible to other workers: wakes one sleeping
 * worker, if any sleeps and has not been signalled already. (Not skipped
 * while another worker searches: a searcher yields the CPU every few
 * rounds, and on a loaded machine it may not run again for milliseconds,
 * while a woken thread is scheduled at once. Skipping doubled the p50 of
 * a remote round trip.) The woken worker starts out counted as
 * searching. */
static void wake_one(void)
{
    if (atomic_load_explicit(&S.sleepers, memory_order_seq_cst) == 0)
        return;
    pthread_mutex_lock(&S.sleep_mu);
    if (atomic_load_explicit(&S.sleepers, memory_order_relaxed) > S.wakes) {
        S.wakes++;
        atomic_fetch_add_explicit(&S.spinners, 1, memory_order_seq_cst);
        pthread_cond_signal(&S.sleep_cv);
    }
    pthread_mutex_unlock(&S.sleep_mu);
}

/* Work that a sleeping worker would have to be woken for. Slots are left
 * out: filling one wakes nobody, because its owner is awake and runs it
 * next. */
static bool work_visible(void)
{
    if (atomic_load_explicit(&S.inj_len, memory_order_seq_cst) > 0)
        return true;
    for (unsigned i = 0; i < S.n; i++)
        if (!cp__runq_empty(&S.w[i].ring))
            return true;
    return false;
}

/* ---- making a process runnable ---------------------------------------- */

static void push_ring(worker_t *w, struct cp_process *p)
{
    if (!cp__runq_push(&w->ring, p))
        inject_push(p); /* ring full */
    wake_one();
}

/* For a thread that is not a worker: the injection queue, and a worker
 * woken to take it. */
void cp__sched_inject(struct cp_process *p)
{
    inject_push(p);
    wake_one();
}

static void runnable(struct cp_process *p)
{
    worker_t *w = me;
    if (w == NULL) {
        /* The event-loop thread runs the turns of processes that allow it
         * (loop_turns.c) instead of waking a worker. */
        if (!(p->loop_turns && cp__loop_turns_take(p)))
            cp__sched_inject(p);
        return;
    }
    /* The new process runs next here; the one it displaces can be stolen. */
    struct cp_process *old = atomic_exchange_explicit(&w->slot, p, memory_order_seq_cst);
    if (old)
        push_ring(w, old);
}

void cp__schedule(struct cp_process *p)
{
    /* Already queued or running: the runner sees the new event (the push
     * and resume's sched/mailbox checks are all seq_cst). */
    if (atomic_load_explicit(&p->sched, memory_order_seq_cst) != 0)
        return;
    if (atomic_exchange_explicit(&p->sched, 1, memory_order_acq_rel) == 0)
        runnable(p);
}

bool cp__filter_drop(const cp_upid_t *to, const cp__event_t *ev)
{
    cp_event_view_t v = {.to = to};
    cp_upid_t from;
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
        cp__sender_upid(ev->u.m.from, &from);
        v.from = &from;
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
    if (p->bounded) {
        int rc = cp__mailbox_admit(p, ev);
        if (rc)
            return rc;
    }
    ev->from_worker = cp__is_worker;
    if (cp__mq_push(p, ev) != 0) {
        if (p->bounded)
            cp__mailbox_unadmit(p, ev);
        cp__event_drop(ev);
        return CP_ENOMEM;
    }
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

uint64_t cp__sched_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Turns ended, for cp_clock_settle() (clock.c): once per turn, not per
 * event, and on a cache line of its own. */
static void count_resume(void)
{
    atomic_fetch_add_explicit(&cp__rt.resumes, 1, memory_order_seq_cst);
}

/* How a turn left its process. */
enum turn_end {
    TURN_DEAD,   /* terminated: nobody schedules it again */
    TURN_ENDED,  /* sched is 0: it may have events left (more_work) */
    TURN_LINGER, /* its mailbox ran empty and sched is still 1 (linger) */
};

/* The end of a turn after which p is idle: an idle process holds no
 * segment of mailbox, and sched = 0 lets the next sender schedule it. */
static void end_turn(struct cp_process *p)
{
    cp__mq_release_if_empty(p);
    atomic_store_explicit(&p->sched, 0, memory_order_seq_cst);
    count_resume();
}

/* One turn of p, as the thread inside: at most `max` events, fewer when
 * `until` (CLOCK_MONOTONIC ns, 0: none) passes. A loop turn (slow_ns not
 * 0) that began at `*clock` and lasted longer than slow_ns counts as slow;
 * it leaves the clock at its end in `*clock`. When `may_linger`, the
 * mailbox ran empty and no event of the turn came from a worker, the turn
 * leaves sched at 1 (TURN_LINGER). An event from a worker means a process
 * there talks to p: p's turn ends, so that the next such event schedules
 * it into that worker's slot, next to its sender, instead of p lingering
 * on another core. */
static enum turn_end turn(struct cp_process *p, int max, uint64_t until, uint64_t slow_ns,
                          uint64_t *clock, bool may_linger)
{
    cp__current = p;
    if (!p->initialized) {
        p->initialized = true;
        if (p->ops && p->ops->initialize)
            p->ops->initialize(p);
    }
    atomic_store_explicit(&p->pstate, CP_PROCESS_READY, memory_order_relaxed);
    /* Nothing on the first cache line, the senders': a read there would
     * make the next sender's atomics on it wait for this core. */
    bool bounded = p->bounded_in;
    bool emptied = false, from_worker = false;
    int n = 0, skipped = 0;
    for (; n < max && !p->dead; n++) {
        /* The clock every 16 events: a read costs about as much as a
         * short handler. */
        if (until != 0 && n > 0 && n % 16 == 0 && cp__sched_now_ns() >= until)
            break;
        if (atomic_load_explicit(&p->inject, memory_order_acquire)) {
            terminate(p);
            break;
        }
        cp__event_t *ev = cp__mq_pop(p);
        if (ev == NULL) {
            emptied = true;
            break;
        }
        if (bounded && cp__mailbox_skip(p, ev)) {
            skipped++; /* dropped by drop-oldest: not an event run */
            continue;
        }
        from_worker |= ev->from_worker;
        run_event(p, ev);
    }
    /* One writer (this thread): a plain add, published for the metrics. */
    atomic_store_explicit(&p->events,
                          atomic_load_explicit(&p->events, memory_order_relaxed) +
                              (uint64_t)(n - skipped),
                          memory_order_relaxed);
    cp__current = NULL;
    uint64_t took = 0;
    if (slow_ns) {
        uint64_t end = cp__sched_now_ns();
        took = end - *clock;
        *clock = end;
    }
    if (p->dead) {
        /* sched stays 1: nobody schedules a dead process again. */
        count_resume();
        cp__process_unref(p);
        return TURN_DEAD;
    }
    if (slow_ns && p->loop_turns) {
        /* Three slow turns in a row: one may be the loop thread losing its
         * CPU on a busy machine, three are the handlers. Still inside: this
         * thread owns the field. */
        if (took <= slow_ns) {
            p->loop_turns = 1;
        } else if (++p->loop_turns > SLOW_TURNS) {
            p->loop_turns = 0;
            cp__loop_turns_revoked();
            cp_log(CP_LOG_WARN,
                   "%s: %d turns in a row on the event-loop thread took over %llu us (the "
                   "last %llu us); its turns run on the workers from now on "
                   "(cp_process_set_loop_turns)",
                   p->id, SLOW_TURNS, (unsigned long long)(slow_ns / 1000),
                   (unsigned long long)(took / 1000));
        }
    }
    atomic_store_explicit(&p->pstate, CP_PROCESS_BLOCKED, memory_order_relaxed);
    if (may_linger && emptied && !from_worker && !p->loop_turns) {
        p->linger = 1;
        return TURN_LINGER;
    }
    end_turn(p);
    return TURN_ENDED;
}

/* Still has work after its turn (the fairness bound, or events that
 * arrived while it ran), and this thread got it back to schedule. */
static bool more_work(struct cp_process *p)
{
    return (cp__mailbox_nonempty(p) || atomic_load(&p->inject)) &&
           atomic_exchange_explicit(&p->sched, 1, memory_order_acq_rel) == 0;
}

/* Ends p's lingering: its turn really ends, and it goes back on the ring
 * if events came in the meantime. */
static void end_linger(worker_t *w, struct cp_process *p)
{
    p->linger = 0;
    end_turn(p);
    if (more_work(p))
        push_ring(w, p);
}

/* A look at a lingering process (one whose turn emptied its mailbox, kept
 * scheduled on a worker's ring). True when it has work again. Else it
 * goes back on this worker's ring for another look, or its turn really
 * ends: at once when this worker stole it, so that it does not linger
 * away from the processes that talk to it (its next sender schedules it
 * again, into that sender's worker's slot). */
static bool look(worker_t *w, struct cp_process *p, bool stolen)
{
    if (cp__mq_peek(p) || atomic_load_explicit(&p->inject, memory_order_acquire)) {
        p->linger = 0;
        return true;
    }
    if (!stolen && p->linger < LINGER_LOOKS && w->idle_looks++ < LINGER_IDLE &&
        !atomic_load_explicit(&S.quit, memory_order_relaxed)) {
        p->linger++; /* before the push: a thief may take p at once */
        if (cp__runq_push(&w->ring, p))
            return false;
    }
    end_linger(w, p);
    return false;
}

/* Where a worker found the process it runs next. */
enum source {
    FROM_HERE,    /* its own slot or ring */
    FROM_OUTSIDE, /* the injection queue: made runnable off the workers */
    FROM_THEFT,   /* another worker's ring or slot */
};

/* Runs a turn of p, found at `src`. A process made runnable from outside
 * may linger after it, and so may one that was lingering here. A stolen
 * process does not linger here, so the next message from a process it
 * talks to schedules it next to that process again (into its worker's
 * slot) instead of keeping the two apart. */
static void resume(worker_t *w, struct cp_process *p, enum source src)
{
    bool lingering = p->linger != 0;
    if (lingering && !look(w, p, src == FROM_THEFT))
        return;
    w->idle_looks = 0;
    atomic_store_explicit(&w->turns, atomic_load_explicit(&w->turns, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    /* Utilisation: two clock reads per turn, not per event. */
    uint64_t t0 = cp__sched_now_ns();
    switch (turn(p, BATCH, 0, 0, NULL,
                 src != FROM_THEFT && (lingering || src == FROM_OUTSIDE))) {
    case TURN_LINGER:
        /* Behind what is already queued here, and without waking anyone:
         * there is no work in it until a sender's push, which this worker
         * sees at its next look. */
        if (!cp__runq_push(&w->ring, p))
            end_linger(w, p);
        break;
    case TURN_ENDED:
        /* Behind what is already queued here, never in the slot, so it
         * cannot starve the processes waiting in the ring. */
        if (more_work(p))
            push_ring(w, p);
        break;
    case TURN_DEAD:
        break;
    }
    atomic_store_explicit(&w->busy_ns,
                          atomic_load_explicit(&w->busy_ns, memory_order_relaxed) +
                              (cp__sched_now_ns() - t0),
                          memory_order_relaxed);
}

uint64_t cp__sched_loop_turn(struct cp_process *p, int max, uint64_t start, uint64_t until,
                             uint64_t slow_ns)
{
    uint64_t clock = start;
    if (turn(p, max, until, slow_ns, &clock, false) == TURN_ENDED && more_work(p))
        cp__sched_inject(p);
    return clock;
}

/* ---- finding work ---------------------------------------------------------- */

static struct cp_process *take_slot(worker_t *w)
{
    if (atomic_load_explicit(&w->slot, memory_order_relaxed) == NULL)
        return NULL;
    return atomic_exchange_explicit(&w->slot, NULL, memory_order_acq_rel);
}

/* The injection queue's oldest process, noting where it came from. */
static struct cp_process *take_injected(enum source *src)
{
    struct cp_process *p = inject_pop();
    if (p != NULL)
        *src = FROM_OUTSIDE;
    return p;
}

/* The worker's own queues, in the order that keeps locality and is fair;
 * *src says which. */
static struct cp_process *find_local(worker_t *w, enum source *src)
{
    struct cp_process *p = NULL;
    *src = FROM_HERE;
    if (++w->tick % INJECT_EVERY == 0 && (p = take_injected(src)) != NULL)
        goto other;
    if (w->slot_run < SLOT_RUN_MAX && (p = take_slot(w)) != NULL) {
        w->slot_run++;
        return p;
    }
    if ((p = cp__runq_pop(&w->ring)) != NULL || (p = take_injected(src)) != NULL)
        goto other;
    if ((p = take_slot(w)) != NULL)
        return p; /* slot_run at its limit, nothing else here */
    return NULL;
other:
    w->slot_run = 0;
    return p;
}

static uint64_t next_rand(worker_t *w)
{
    w->seed ^= w->seed << 13;
    w->seed ^= w->seed >> 7;
    w->seed ^= w->seed << 17;
    return w->seed;
}

/* Workers whose slot a search may take: those still in the turn they were
 * in when the search began (a handler running long). */
#define SEEN_MAX 64u

/* One pass over the other workers, starting at a random one. Slots are
 * only taken on the last pass before sleeping, and only from a worker
 * that has not started a new turn during the whole search: an owner that
 * is making progress runs its slot next, and taking it would move a ping
 * away from its pong. */
static struct cp_process *steal(worker_t *w, const uint64_t *seen, enum source *src)
{
    struct cp_process *p = take_injected(src);
    if (p)
        return p;
    *src = FROM_THEFT;
    unsigned start = (unsigned)(next_rand(w) % S.n);
    for (unsigned k = 0; k < S.n; k++) {
        unsigned j = (start + k) % S.n;
        worker_t *v = &S.w[j];
        if (v == w)
            continue;
        if ((p = cp__runq_pop(&v->ring)) != NULL)
            return p;
        if (seen &&
            (j >= SEEN_MAX || atomic_load_explicit(&v->turns, memory_order_relaxed) == seen[j]) &&
            (p = take_slot(v)) != NULL)
            return p;
    }
    return NULL;
}

static void stop_spinning(worker_t *w)
{
    if (!w->spinning)
        return;
    w->spinning = false;
    /* The last searcher found work: there may be more, and nobody else is
     * looking for it. */
    if (atomic_fetch_sub_explicit(&S.spinners, 1, memory_order_seq_cst) == 1 && work_visible())
        wake_one();
}

/* *src says where what it returns came from. */
static struct cp_process *search(worker_t *w, enum source *src)
{
    if (!w->spinning) {
        w->spinning = true;
        atomic_fetch_add_explicit(&S.spinners, 1, memory_order_seq_cst);
    }
    uint64_t seen[SEEN_MAX];
    for (unsigned j = 0; j < S.n && j < SEEN_MAX; j++)
        seen[j] = atomic_load_explicit(&S.w[j].turns, memory_order_relaxed);
    for (int i = 0; i < SPIN; i++) {
        struct cp_process *p = steal(w, i == SPIN - 1 ? seen : NULL, src);
        if (p)
            return p;
        if (atomic_load_explicit(&S.quit, memory_order_relaxed))
            return NULL;
        if (i % 8 == 7)
            sched_yield();
#if defined(__x86_64__) || defined(__i386__)
        else
            __builtin_ia32_pause();
#endif
    }
    return NULL;
}

/* Sleeps until woken. Returns false when the scheduler stops. */
static bool sleep_until_woken(worker_t *w)
{
    pthread_mutex_lock(&S.sleep_mu);
    atomic_fetch_add_explicit(&S.sleepers, 1, memory_order_seq_cst);
    if (w->spinning) {
        w->spinning = false;
        atomic_fetch_sub_explicit(&S.spinners, 1, memory_order_seq_cst);
    }
    /* Announced (seq_cst) before this last look: a producer either sees a
     * sleeper or its work is seen here. */
    bool work = work_visible();
    bool quit = atomic_load(&S.quit);
    if (!work && !quit) {
        while (S.wakes == 0 && !atomic_load(&S.quit))
            pthread_cond_wait(&S.sleep_cv, &S.sleep_mu);
        if (S.wakes > 0) {
            S.wakes--;
            w->spinning = true; /* the waker counted us as searching */
        }
    }
    atomic_fetch_sub_explicit(&S.sleepers, 1, memory_order_seq_cst);
    quit = atomic_load(&S.quit);
    pthread_mutex_unlock(&S.sleep_mu);
    return !quit || work;
}

unsigned cp__sched_busy(uint64_t *busy_ns, unsigned max, uint64_t *now_ns, uint64_t *start_ns)
{
    unsigned n = S.started < max ? S.started : max;
    for (unsigned i = 0; i < n; i++)
        busy_ns[i] = atomic_load_explicit(&S.w[i].busy_ns, memory_order_relaxed);
    *now_ns = cp__sched_now_ns();
    *start_ns = S.start_ns;
    return n;
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    me = w;
    cp__is_worker = true;
    for (;;) {
        enum source src;
        struct cp_process *p = find_local(w, &src);
        if (p == NULL)
            p = search(w, &src);
        if (p == NULL) {
            if (atomic_load(&S.quit) && !work_visible())
                break;
            if (!sleep_until_woken(w) && !work_visible())
                break;
            continue;
        }
        stop_spinning(w);
        resume(w, p, src);
    }
    if (w->spinning) {
        w->spinning = false;
        atomic_fetch_sub(&S.spinners, 1);
    }
    cp__event_cache_flush();
    cp__is_worker = false;
    me = NULL;
    return NULL;
}

int cp__sched_start(unsigned n)
{
    memset(&S, 0, sizeof S);
    atomic_store(&inj_stub.runq_next, NULL);
    atomic_store(&S.inj_head, &inj_stub);
    S.inj_tail = &inj_stub;
    pthread_mutex_init(&S.inj_mu, NULL);
    pthread_mutex_init(&S.sleep_mu, NULL);
    pthread_cond_init(&S.sleep_cv, NULL);
    if (posix_memalign((void **)&S.w, 64, n * sizeof *S.w) != 0)
        return CP_ENOMEM;
    memset(S.w, 0, n * sizeof *S.w);
    S.n = n;
    S.start_ns = cp__sched_now_ns();
    for (unsigned i = 0; i < n; i++) {
        S.w[i].index = i;
        S.w[i].seed = 0x9e3779b97f4a7c15u * (i + 1);
    }
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&S.w[i].thread, NULL, worker_main, &S.w[i]) != 0) {
            cp__sched_stop(); /* the others' rings stay empty */
            return CP_EIO;
        }
        S.started = i + 1;
    }
    return 0;
}

void cp__sched_stop(void)
{
    pthread_mutex_lock(&S.sleep_mu);
    atomic_store(&S.quit, true);
    pthread_cond_broadcast(&S.sleep_cv);
    pthread_mutex_unlock(&S.sleep_mu);
    for (unsigned i = 0; i < S.started; i++)
        pthread_join(S.w[i].thread, NULL);
    free(S.w);
    S.w = NULL;
    S.n = 0;
    S.started = 0;
    pthread_mutex_destroy(&S.inj_mu);
    pthread_mutex_destroy(&S.sleep_mu);
    pthread_cond_destroy(&S.sleep_cv);
}

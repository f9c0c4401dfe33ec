/* Loop turns: processes that allow it (cp_process_set_loop_turns) and are
 * made runnable on the event-loop thread, by a message decoded from the
 * network or by a timer, run their turn on that thread instead of waking
 * a worker, so a remote round trip crosses no thread on either node
 * (docs/runtime.md, "Loop turns").
 *
 * They are collected while the loop runs its callbacks and run from a
 * check handle, after the I/O callbacks of the iteration have returned
 * (never inside the transport's read callback); an idle handle, started
 * while any wait, keeps the loop from blocking in poll with turns still
 * to run (processes made runnable in the closing phase). Each turn is
 * bounded in events and time, and a pass in time; what is left goes to
 * the workers. Everything here runs on the loop thread. */
#include <uv.h>

#include "core/core_internal.h"
#include "core/node.h"
#include "core/transport_ops.h"
#include "cproc/error.h"

/* Events per loop turn, and how long one may run before it stops. */
#define TURN_EVENTS 256
#define TURN_NS     (200u * 1000u)
/* A turn longer than this means the process does not keep to short
 * handlers: its turns go to the workers from then on (sched.c). */
#define SLOW_TURN_NS (1000u * 1000u)
/* How long one pass may run turns before it hands the rest to the
 * workers, so the loop gets back to its sockets. */
#define PASS_NS (500u * 1000u)
/* After a pass that ran turns, the loop polls without blocking for a
 * window of at most cp__rt.loop_poll_ns (CPROC_LOOP_POLL_US, default
 * 100 us), as an idle worker searches before it sleeps: the answer to
 * what a turn sent often comes back within it, and a thread that went to
 * sleep first pays for waking up (on a virtual machine's idle CPU, tens
 * of microseconds, more than the round trip). With 64 round trips in
 * flight the peer's next batch takes longer than 50 us to come back, and
 * a loop that slept in between lost a fifth of the throughput. The window
 * adapts (poll_ended below; docs/runtime.md). */

static struct {
    uv_check_t check;
    uv_idle_t idle;
    bool on;
    struct cp_process *head, *tail; /* claimed processes, by runq_next */
    uint64_t active_ns;             /* when the last pass ran turns */
    /* The polling window after a pass (adaptive, see run_pass), whether
     * the loop is in one, and passes since the full window was tried. */
    uint64_t poll_ns;
    bool polling;
    unsigned since_probe;
} L;

/* The adaptive window never shrinks below this, and every PROBE_EVERY
 * passes the full CPROC_LOOP_POLL_US is tried again (rarely: where
 * polling does not pay, each probe costs a round trip the full window;
 * every 32nd pass put that into the 99th percentile). */
#define POLL_FLOOR_NS (2u * 1000u)
#define PROBE_EVERY   256u

static _Thread_local bool in_turn CP__TLS_IE;

/* For the metrics (runtime/loop_turns, runtime/loop_turns_revoked). */
static _Atomic uint64_t turns_run, revoked;

void cp__loop_turns_counts(uint64_t *run, uint64_t *revoked_out)
{
    *run = atomic_load_explicit(&turns_run, memory_order_relaxed);
    *revoked_out = atomic_load_explicit(&revoked, memory_order_relaxed);
}

void cp__loop_turns_revoked(void)
{
    atomic_fetch_add_explicit(&revoked, 1, memory_order_relaxed);
}

static void run_pass(void);

static void on_check(uv_check_t *h)
{
    (void)h;
    run_pass();
}

static void on_idle(uv_idle_t *h)
{
    (void)h;
    run_pass();
}

bool cp__in_loop_turn(void)
{
    return in_turn;
}

bool cp__loop_turns_take(struct cp_process *p)
{
    if (!cp__on_loop_thread() || !L.on)
        return false;
    /* The loop thread's own list: relaxed is enough (runq_next is atomic
     * for the injection queue's sake). */
    atomic_store_explicit(&p->runq_next, NULL, memory_order_relaxed);
    if (L.tail) {
        atomic_store_explicit(&L.tail->runq_next, p, memory_order_relaxed);
    } else {
        L.head = p;
        uv_idle_start(&L.idle, on_idle);
    }
    L.tail = p;
    return true;
}

static struct cp_process *take_next(void)
{
    struct cp_process *p = L.head;
    if (p) {
        L.head = atomic_load_explicit(&p->runq_next, memory_order_relaxed);
        if (L.head == NULL)
            L.tail = NULL;
        atomic_store_explicit(&p->runq_next, NULL, memory_order_relaxed);
    }
    return p;
}

/* The polling window adapts to whether polling pays. A window in which
 * the next turn arrived doubles it (up to CPROC_LOOP_POLL_US); one that
 * ended with nothing halves it. So a node whose answers come back within
 * the window keeps polling, and one for which they do not stops wasting
 * the CPU, and in particular stops keeping off its CPU the very thread
 * the answer must come from: on a machine whose other CPUs are busy, the
 * two nodes of a round trip may share one CPU, and a full 100 us of
 * polling on each side made each round trip 212 us instead of 15. */
static void poll_ended(bool paid)
{
    uint64_t max = cp__rt.loop_poll_ns;
    if (paid)
        L.poll_ns = L.poll_ns * 2 < max ? L.poll_ns * 2 : max;
    else
        L.poll_ns = L.poll_ns / 2 > POLL_FLOOR_NS ? L.poll_ns / 2 : POLL_FLOOR_NS;
    if (L.poll_ns > max)
        L.poll_ns = max;
    L.polling = false;
}

static void run_pass(void)
{
    if (L.head == NULL) {
        /* Every loop iteration comes here (the check handle): read the
         * clock only while polling after activity, to stop once it has
         * been quiet long enough. */
        if (L.polling) {
            if (cp__sched_now_ns() - L.active_ns < L.poll_ns)
                return;
            poll_ended(false);
        }
        uv_idle_stop(&L.idle); /* a no-op when not active */
        return;
    }
    if (L.polling)
        poll_ended(true);
    /* One clock read per turn: each turn's end is the next one's start. */
    uint64_t start = cp__sched_now_ns(), now = start;
    struct cp_process *p;
    bool ran = false;
    while ((p = take_next()) != NULL) {
        if (now - start >= PASS_NS) {
            cp__sched_inject(p);
            continue;
        }
        in_turn = true;
        now = cp__sched_loop_turn(p, TURN_EVENTS, now, now + TURN_NS, SLOW_TURN_NS);
        in_turn = false;
        ran = true;
        atomic_fetch_add_explicit(&turns_run, 1, memory_order_relaxed);
    }
    /* What the turns sent leaves now, not after another loop wake-up. */
    if (ran && cp__rt.transport->flush)
        cp__rt.transport->flush();
    if (ran) {
        if (++L.since_probe >= PROBE_EVERY) {
            /* What did not pay a while ago may pay now. */
            L.since_probe = 0;
            L.poll_ns = cp__rt.loop_poll_ns;
        }
        L.active_ns = cp__sched_now_ns(); /* after the flush */
        L.polling = L.poll_ns > 0;
    }
    if (L.polling)
        uv_idle_start(&L.idle, on_idle); /* keeps poll from blocking */
    else
        uv_idle_stop(&L.idle);
}

int cp__loop_turns_start(uv_loop_t *loop)
{
    L.head = L.tail = NULL;
    L.poll_ns = cp__rt.loop_poll_ns;
    L.polling = false;
    L.since_probe = 0;
    if (uv_check_init(loop, &L.check) != 0 || uv_idle_init(loop, &L.idle) != 0 ||
        uv_check_start(&L.check, on_check) != 0)
        return CP_EIO;
    L.on = true;
    return 0;
}

void cp__loop_turns_stop(void)
{
    L.on = false;
    struct cp_process *p;
    while ((p = take_next()) != NULL)
        cp__sched_inject(p);
    uv_check_stop(&L.check);
    uv_idle_stop(&L.idle);
}

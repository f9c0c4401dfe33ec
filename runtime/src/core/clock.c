/* The runtime clock, timers on the event loop, settle, and after(). */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core_internal.h"
#include "core/node.h"
#include "cproc/clock.h"
#include "cproc/error.h"

uint64_t cp_clock_now(void)
{
    if (atomic_load_explicit(&cp__rt.paused, memory_order_acquire))
        return atomic_load(&cp__rt.paused_at);
    return (uint64_t)((int64_t)cp__mono_ns() + atomic_load(&cp__rt.offset));
}

bool cp_clock_paused(void)
{
    return atomic_load(&cp__rt.paused);
}

/* ---- timer heap (under clock_mu) -------------------------------------------- */

static void heap_swap(size_t a, size_t b)
{
    cp__timer_entry_t t = cp__rt.heap[a];
    cp__rt.heap[a] = cp__rt.heap[b];
    cp__rt.heap[b] = t;
}

static bool heap_less(size_t a, size_t b)
{
    const cp__timer_entry_t *x = &cp__rt.heap[a], *y = &cp__rt.heap[b];
    return x->deadline < y->deadline || (x->deadline == y->deadline && x->id < y->id);
}

static void heap_up(size_t i)
{
    while (i > 0 && heap_less(i, (i - 1) / 2)) {
        heap_swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < cp__rt.heap_len && heap_less(l, m))
            m = l;
        if (r < cp__rt.heap_len && heap_less(r, m))
            m = r;
        if (m == i)
            return;
        heap_swap(i, m);
        i = m;
    }
}

static cp__timer_entry_t heap_remove(size_t i)
{
    cp__timer_entry_t t = cp__rt.heap[i];
    cp__rt.heap[i] = cp__rt.heap[--cp__rt.heap_len];
    if (i < cp__rt.heap_len) {
        heap_up(i);
        heap_down(i);
    }
    return t;
}

/* ---- the loop side ------------------------------------------------------------ */

static void fire_due(void);

static void uvtimer_cb(uv_timer_t *t)
{
    fire_due();
}

/* Arms the libuv timer for the earliest deadline (loop thread only). */
static void rearm(void)
{
    pthread_mutex_lock(&cp__rt.clock_mu);
    bool have = cp__rt.heap_len > 0 && !atomic_load(&cp__rt.paused);
    uint64_t deadline = have ? cp__rt.heap[0].deadline : 0;
    pthread_mutex_unlock(&cp__rt.clock_mu);
    if (!have) {
        uv_timer_stop(&cp__rt.uvtimer);
        return;
    }
    uint64_t now = cp_clock_now();
    uint64_t ms = deadline <= now ? 0 : (deadline - now + CP_NS_PER_MS - 1) / CP_NS_PER_MS;
    uv_update_time(&cp__rt.loop);
    uv_timer_start(&cp__rt.uvtimer, uvtimer_cb, ms, 0);
}

static void fire_due(void)
{
    for (;;) {
        pthread_mutex_lock(&cp__rt.clock_mu);
        uint64_t now = cp_clock_now();
        if (cp__rt.heap_len == 0 || cp__rt.heap[0].deadline > now) {
            pthread_mutex_unlock(&cp__rt.clock_mu);
            break;
        }
        cp__timer_entry_t t = heap_remove(0);
        pthread_mutex_unlock(&cp__rt.clock_mu);
        t.fn(t.arg);
        if (t.arg_free)
            t.arg_free(t.arg);
    }
    rearm();
}

static void fire_due_post(void *arg)
{
    fire_due();
}

void cp__clock_loop_init(void)
{
    /* Nothing pending yet; the timer handle exists (runtime.c). */
}

int cp__clock_init(bool paused)
{
    pthread_mutex_init(&cp__rt.clock_mu, NULL);
    cp__rt.heap = NULL;
    cp__rt.heap_len = cp__rt.heap_cap = 0;
    cp__rt.next_timer_id = 0;
    atomic_store(&cp__rt.offset, 0);
    atomic_store(&cp__rt.paused_at, cp__mono_ns());
    atomic_store(&cp__rt.paused, paused);
    return 0;
}

void cp__timers_free(void)
{
    pthread_mutex_lock(&cp__rt.clock_mu);
    cp__timer_entry_t *heap = cp__rt.heap;
    size_t n = cp__rt.heap_len;
    cp__rt.heap = NULL;
    cp__rt.heap_len = cp__rt.heap_cap = 0;
    pthread_mutex_unlock(&cp__rt.clock_mu);
    for (size_t i = 0; i < n; i++)
        if (heap[i].arg_free)
            heap[i].arg_free(heap[i].arg);
    free(heap);
    /* Freeing may have started timers (a future completing on abandon). */
    if (cp__rt.heap_len > 0)
        cp__timers_free();
    atomic_store(&cp__rt.paused, false);
    atomic_store(&cp__rt.offset, 0);
}

bool cp__timers_due(void)
{
    pthread_mutex_lock(&cp__rt.clock_mu);
    bool due = cp__rt.heap_len > 0 && cp__rt.heap[0].deadline <= cp_clock_now();
    pthread_mutex_unlock(&cp__rt.clock_mu);
    return due;
}

/* ---- public timers ------------------------------------------------------ */

int cp_timer_start(uint64_t delay_ns, cp_timer_fn fn, void *arg, void (*arg_free)(void *),
                   uint64_t *id)
{
    if (fn == NULL) {
        if (arg_free)
            arg_free(arg);
        return CP_EINVAL;
    }
    if (!atomic_load(&cp__rt.running) || atomic_load(&cp__rt.stopping)) {
        if (arg_free)
            arg_free(arg);
        return CP_ESTATE;
    }
    pthread_mutex_lock(&cp__rt.clock_mu);
    if (cp__rt.heap_len == cp__rt.heap_cap) {
        size_t cap = cp__rt.heap_cap ? cp__rt.heap_cap * 2 : 64;
        cp__timer_entry_t *h = realloc(cp__rt.heap, cap * sizeof *h);
        if (h == NULL) {
            pthread_mutex_unlock(&cp__rt.clock_mu);
            if (arg_free)
                arg_free(arg);
            return CP_ENOMEM;
        }
        cp__rt.heap = h;
        cp__rt.heap_cap = cap;
    }
    uint64_t now = cp_clock_now();
    uint64_t deadline = delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
    uint64_t tid = ++cp__rt.next_timer_id;
    cp__rt.heap[cp__rt.heap_len] =
        (cp__timer_entry_t){.deadline = deadline, .id = tid, .fn = fn, .arg = arg,
                            .arg_free = arg_free};
    heap_up(cp__rt.heap_len++);
    bool first = cp__rt.heap[0].id == tid;
    pthread_mutex_unlock(&cp__rt.clock_mu);
    if (id)
        *id = tid;
    /* A new earliest deadline needs the loop's timer re-armed. When paused,
     * a timer that is due already fires now, as libprocess does. */
    if ((first && !atomic_load(&cp__rt.paused)) || deadline <= now)
        cp__loop_post(fire_due_post, NULL);
    return 0;
}

int cp_timer_cancel(uint64_t id)
{
    pthread_mutex_lock(&cp__rt.clock_mu);
    for (size_t i = 0; i < cp__rt.heap_len; i++) {
        if (cp__rt.heap[i].id == id) {
            cp__timer_entry_t t = heap_remove(i);
            pthread_mutex_unlock(&cp__rt.clock_mu);
            if (t.arg_free)
                t.arg_free(t.arg);
            return 0;
        }
    }
    pthread_mutex_unlock(&cp__rt.clock_mu);
    return CP_ENOENT;
}

/* ---- pause / advance / resume / settle ---------------------------------- */

void cp_clock_pause(void)
{
    pthread_mutex_lock(&cp__rt.clock_mu);
    if (!atomic_load(&cp__rt.paused)) {
        atomic_store(&cp__rt.paused_at, cp_clock_now());
        atomic_store(&cp__rt.paused, true);
    }
    pthread_mutex_unlock(&cp__rt.clock_mu);
}

int cp_clock_advance(uint64_t ns)
{
    pthread_mutex_lock(&cp__rt.clock_mu);
    if (!atomic_load(&cp__rt.paused)) {
        pthread_mutex_unlock(&cp__rt.clock_mu);
        return CP_ESTATE;
    }
    uint64_t at = atomic_load(&cp__rt.paused_at);
    atomic_store(&cp__rt.paused_at, ns > UINT64_MAX - at ? UINT64_MAX : at + ns);
    pthread_mutex_unlock(&cp__rt.clock_mu);
    if (atomic_load(&cp__rt.running))
        cp__loop_post(fire_due_post, NULL);
    return 0;
}

void cp_clock_resume(void)
{
    pthread_mutex_lock(&cp__rt.clock_mu);
    if (atomic_load(&cp__rt.paused)) {
        atomic_store(&cp__rt.offset,
                     (int64_t)atomic_load(&cp__rt.paused_at) - (int64_t)cp__mono_ns());
        atomic_store(&cp__rt.paused, false);
    }
    pthread_mutex_unlock(&cp__rt.clock_mu);
    if (atomic_load(&cp__rt.running))
        cp__loop_post(fire_due_post, NULL);
}

/* True when some process has queued work or is running. Reads the
 * type-stable process structs without locks: a racing change is caught by
 * the resume counter in cp_clock_settle(). */
static bool processes_busy(void)
{
    uint32_t n = cp__rt.next_slot;
    for (uint32_t s = 0; s < n; s++) {
        struct cp_process *_Atomic *chunk = atomic_load(&cp__rt.chunks[s >> CP__CHUNK_BITS]);
        if (chunk == NULL)
            continue;
        struct cp_process *p = atomic_load(&chunk[s & (CP__CHUNK_SIZE - 1u)]);
        if (p && (atomic_load(&p->sched) || cp__mailbox_nonempty(p)))
            return true;
    }
    return false;
}

int cp_clock_settle(void)
{
    if (!atomic_load(&cp__rt.running))
        return CP_ESTATE;
    if (cp__current)
        return CP_EDEADLK;
    for (unsigned spins = 0;; spins++) {
        uint64_t before = atomic_load(&cp__rt.resumes);
        pthread_mutex_lock(&cp__rt.tab_mu);
        bool busy = processes_busy();
        pthread_mutex_unlock(&cp__rt.tab_mu);
        busy = busy || atomic_load(&cp__rt.loop_pending) > 0 || cp__timers_due();
        if (!busy && atomic_load(&cp__rt.resumes) == before)
            return 0;
        if (spins < 64) {
            sched_yield();
        } else {
            struct timespec ts = {0, 50000};
            nanosleep(&ts, NULL);
        }
    }
}

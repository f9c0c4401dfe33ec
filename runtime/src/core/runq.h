/* Internal: a worker's run queue, a bounded ring of runnable processes.
 *
 * One owner pushes at the tail; the owner and any thief take from the head
 * with a compare-and-swap on it (the scheme of Tokio's and Go's local run
 * queues rather than a Chase-Lev deque: the owner takes the oldest process
 * too, so a ring is FIFO for everyone and no process waits behind newer
 * ones; the LIFO benefit lives in the worker's separate one-process slot,
 * see sched.c). Every access to a cell is atomic, ordered by the release
 * store of `tail` and the compare-and-swap of `head`, so ThreadSanitizer
 * sees every hand-over (no stand-alone fences).
 *
 * Why a taken cell is never overwritten under a reader: the owner writes
 * cell `t` only while t - head < CP__RUNQ_CAP, so it never writes the cell
 * of the current head; a reader that read cell h and then moves head from
 * h to h+1 read it while head was h (head only grows; 64 bits never wrap). */
#ifndef CPROC_CORE_RUNQ_H
#define CPROC_CORE_RUNQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct cp_process;

#define CP__RUNQ_CAP 256u

typedef struct cp__runq {
    _Alignas(64) _Atomic uint64_t head; /* next to take (owner and thieves) */
    _Alignas(64) _Atomic uint64_t tail; /* next free cell (owner only) */
    struct cp_process *_Atomic cell[CP__RUNQ_CAP];
} cp__runq_t;

/* Owner only. False when full (the caller puts p elsewhere). */
static inline bool cp__runq_push(cp__runq_t *q, struct cp_process *p)
{
    uint64_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    uint64_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    if (t - h >= CP__RUNQ_CAP)
        return false;
    atomic_store_explicit(&q->cell[t & (CP__RUNQ_CAP - 1u)], p, memory_order_relaxed);
    /* seq_cst: a worker going to sleep checks the rings after announcing
     * itself; the pusher checks for sleepers after this store. */
    atomic_store_explicit(&q->tail, t + 1, memory_order_seq_cst);
    return true;
}

/* Owner or thief: the oldest process, or NULL when empty. */
static inline struct cp_process *cp__runq_pop(cp__runq_t *q)
{
    uint64_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    for (;;) {
        uint64_t t = atomic_load_explicit(&q->tail, memory_order_acquire);
        if (h >= t)
            return NULL;
        struct cp_process *p =
            atomic_load_explicit(&q->cell[h & (CP__RUNQ_CAP - 1u)], memory_order_relaxed);
        if (atomic_compare_exchange_weak_explicit(&q->head, &h, h + 1, memory_order_acq_rel,
                                                  memory_order_acquire))
            return p;
    }
}

static inline bool cp__runq_empty(cp__runq_t *q)
{
    return atomic_load_explicit(&q->head, memory_order_seq_cst) >=
           atomic_load_explicit(&q->tail, memory_order_seq_cst);
}

#endif

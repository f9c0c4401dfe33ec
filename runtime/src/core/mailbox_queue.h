/* Internal: the queue under every mailbox, an unbounded multi-producer
 * single-consumer FIFO of events made of arrays (segments) of event
 * pointers.
 *
 * Why arrays: with a linked list of events (Vyukov's queue, used before)
 * the consumer learns where the next event is only by reading the one
 * before it, so each event written on another core costs it one full
 * cache miss, one after the other. In a segment the consumer sees the
 * pointers of the next events at once and fetches them ahead, so their
 * misses overlap (docs/runtime.md, "Mailboxes").
 *
 * Producers (any thread, holding a reference to the process) claim a slot
 * with one fetch-and-add on `qtail`, a word that packs the tail segment's
 * address (low 48 bits) with the number of slots claimed in it (high 16).
 * A claim past the segment's end installs a new segment with a
 * compare-and-swap and links it behind the old one. A segment is freed by
 * the consumer once it has read every slot of it and found the next one
 * linked, or, at the end of a turn, when it is the tail and every claim in
 * it has been read (the tail word then goes back to 0). A producer only
 * ever touches a segment in which it holds an unread claim or which it
 * has just replaced as the tail, so no segment is freed under a producer
 * (the argument is in mailbox_queue.c). An idle process holds no segment.
 *
 * The consumer is the thread inside the process; `qhead`/`qidx` are its
 * position (relaxed atomics so that other threads may take a snapshot).
 */
#ifndef CPROC_CORE_MAILBOX_QUEUE_H
#define CPROC_CORE_MAILBOX_QUEUE_H

#include "core/core_internal.h"

#define CP__MQ_SLOTS    62 /* a segment is one 512-byte event block */
#define CP__MQ_CNT_ONE  ((uint64_t)1 << 48)
#define CP__MQ_PTR_MASK (CP__MQ_CNT_ONE - 1)
/* Events fetched ahead of the one being run. */
#define CP__MQ_AHEAD 4

struct cp__mseg {
    struct cp__mseg *_Atomic next;
    struct cp__mseg *prev; /* the tail it replaced; NULL: first since empty */
    cp__event_t *_Atomic slot[CP__MQ_SLOTS];
};

_Static_assert(sizeof(struct cp__mseg) == 512, "a mailbox segment is one 512-byte block");

static inline struct cp__mseg *cp__mq_ptr(uint64_t w)
{
    return (struct cp__mseg *)(uintptr_t)(w & CP__MQ_PTR_MASK);
}

static inline uint64_t cp__mq_cnt(uint64_t w)
{
    return w >> 48;
}

/* mailbox_queue.c: the slow paths. */
int cp__mq_push_new(struct cp_process *p, cp__event_t *ev, uint64_t seen);
struct cp__mseg *cp__mq_first(struct cp_process *p);
struct cp__mseg *cp__mq_next(struct cp_process *p, struct cp__mseg *s);

/* Appends ev. 0, or CP_ENOMEM when a new segment was needed and none
 * could be allocated (ev is then not queued; the caller still owns it).
 * seq_cst: the claim and the caller's following look at `sched` pair with
 * the consumer's store of sched = 0 and its look at the queue. */
static inline int cp__mq_push(struct cp_process *p, cp__event_t *ev)
{
    uint64_t w = atomic_fetch_add_explicit(&p->qtail, CP__MQ_CNT_ONE, memory_order_seq_cst);
    struct cp__mseg *s = cp__mq_ptr(w);
    uint64_t i = cp__mq_cnt(w);
    if (s != NULL && i < CP__MQ_SLOTS) {
        atomic_store_explicit(&s->slot[i], ev, memory_order_release);
        return 0;
    }
    return cp__mq_push_new(p, ev, w);
}

/* The oldest event, or NULL when the queue is empty or its oldest claim
 * is not written yet (a producer half way through a push: the caller
 * looks again later, see cp__mq_nonempty). Consumer only. */
static inline cp__event_t *cp__mq_pop(struct cp_process *p)
{
    struct cp__mseg *s = atomic_load_explicit(&p->qhead, memory_order_relaxed);
    uint32_t i = atomic_load_explicit(&p->qidx, memory_order_relaxed);
    if (s == NULL || i == CP__MQ_SLOTS) {
        s = s == NULL ? cp__mq_first(p) : cp__mq_next(p, s);
        if (s == NULL)
            return NULL;
        i = 0;
    }
    cp__event_t *ev = atomic_load_explicit(&s->slot[i], memory_order_acquire);
    if (ev == NULL)
        return NULL;
    /* Cleared as taken (a line this thread has just read): a segment is
     * freed zeroed, and reused without being cleared again. */
    atomic_store_explicit(&s->slot[i], NULL, memory_order_relaxed);
    atomic_store_explicit(&p->qidx, i + 1, memory_order_relaxed);
    if (i + CP__MQ_AHEAD < CP__MQ_SLOTS) {
        cp__event_t *ahead = atomic_load_explicit(&s->slot[i + CP__MQ_AHEAD], memory_order_relaxed);
        if (ahead != NULL)
            __builtin_prefetch(ahead);
    }
    return ev;
}

/* True when an event has been claimed that the consumer has not taken.
 * Exact for the consumer; a snapshot for other threads. */
static inline bool cp__mq_nonempty(struct cp_process *p)
{
    uint64_t w = atomic_load_explicit(&p->qtail, memory_order_seq_cst);
    struct cp__mseg *s = cp__mq_ptr(w);
    if (s == NULL)
        return false;
    return s != atomic_load_explicit(&p->qhead, memory_order_relaxed) ||
           cp__mq_cnt(w) > atomic_load_explicit(&p->qidx, memory_order_relaxed);
}

/* A cheap look, for a consumer polling an idle mailbox: true when the
 * next event is written (or the queue, which holds no segment, has a
 * claim). Reads the consumer's own line and one slot, never the tail
 * word, so a poll takes no line from a sender. Consumer only. */
static inline bool cp__mq_peek(struct cp_process *p)
{
    struct cp__mseg *s = atomic_load_explicit(&p->qhead, memory_order_relaxed);
    uint32_t i = atomic_load_explicit(&p->qidx, memory_order_relaxed);
    if (s == NULL)
        return atomic_load_explicit(&p->qtail, memory_order_relaxed) != 0;
    if (i == CP__MQ_SLOTS)
        return atomic_load_explicit(&s->next, memory_order_relaxed) != NULL;
    return atomic_load_explicit(&s->slot[i], memory_order_relaxed) != NULL;
}

/* Consumer, at the end of a turn: gives the segment back when every claim
 * in it has been read and no producer is claiming, so an idle process
 * holds none. */
void cp__mq_release_if_empty(struct cp_process *p);

/* Calls fn on each queued event, oldest first, up to the first claim not
 * yet written; takes nothing out. Consumer only. */
void cp__mq_walk(struct cp_process *p, void (*fn)(void *arg, const cp__event_t *ev), void *arg);

/* Frees what the queue holds after its last event was taken and no
 * producer can come (the process's last reference is gone). */
void cp__mq_fini(struct cp_process *p);

#endif

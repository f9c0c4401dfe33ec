/* The slow paths of the mailbox queue (mailbox_queue.h): new segments,
 * moving the consumer from one segment to the next, giving segments back.
 *
 * Why no segment is freed under a producer. A producer dereferences a
 * segment in two cases only:
 * - it claimed slot i < CP__MQ_SLOTS of it (the fetch-and-add returned
 *   that segment as the tail): the consumer frees a segment only after
 *   reading all its slots, or, at the end of a turn, after reading every
 *   claim in it; slot i is neither read nor counted read until written.
 * - it replaced it as the tail (its compare-and-swap from the full
 *   segment to the new one succeeded) and now links the new segment
 *   behind it: the consumer frees a full segment only after finding that
 *   link, and the end-of-turn release needs the tail word to still name
 *   the segment with no claim unread, which a producer that found it full
 *   (and made the count exceed the slots) has made impossible.
 * The compare-and-swap may see an address that was freed and reused for a
 * later tail segment (ABA); it installs behind that segment only if it is
 * full too, which is then exactly the right place: the operation depends
 * only on the tail word's current value.
 *
 * Segments are zeroed 512-byte blocks from magazines (event.c), which move
 * blocks in bulk from the threads that free them (consumers) to the
 * threads that allocate them (producers). */
#include "core/mailbox_queue.h"

#include <stdlib.h>

#include "cproc/error.h"

/* Segments come zeroed (cp__zblock_alloc): every slot is NULL, because
 * the consumer clears each slot as it takes the event, and only the two
 * header words need writing here. That keeps a new segment's eight cache
 * lines off the path of the sender installing it. */
static struct cp__mseg *seg_alloc(void)
{
    struct cp__mseg *s = cp__zblock_alloc();
    if (s == NULL)
        return NULL;
    /* The address must fit the tail word's 48 bits (true of every user
     * address on x86-64 and arm64 Linux unless asked for otherwise). */
    if (((uintptr_t)s & ~CP__MQ_PTR_MASK) != 0) {
        free(s);
        return NULL;
    }
    atomic_store_explicit(&s->next, NULL, memory_order_relaxed);
    s->prev = NULL;
    return s;
}

/* s's slots must all be NULL. */
static void seg_free(struct cp__mseg *s)
{
    cp__zblock_free(s);
}

int cp__mq_push_new(struct cp_process *p, cp__event_t *ev, uint64_t seen)
{
    struct cp__mseg *fresh = NULL;
    for (;;) {
        struct cp__mseg *full = cp__mq_ptr(seen);
        if (full != NULL && cp__mq_cnt(seen) < CP__MQ_SLOTS) {
            /* Claimed a slot (a retry below found room). */
            atomic_store_explicit(&full->slot[cp__mq_cnt(seen)], ev, memory_order_release);
            if (fresh)
                seg_free(fresh);
            return 0;
        }
        if (fresh == NULL && (fresh = seg_alloc()) == NULL)
            return CP_ENOMEM;
        fresh->prev = full;
        atomic_store_explicit(&fresh->slot[0], ev, memory_order_relaxed);
        uint64_t cur = atomic_load_explicit(&p->qtail, memory_order_relaxed);
        /* Install only behind a tail that is still this one and full (or
         * still none): an address seen full may since have been freed and
         * reused for a tail with room, and a segment linked behind a
         * segment with unclaimed slots would never be reached. */
        while (cp__mq_ptr(cur) == full && (full == NULL || cp__mq_cnt(cur) >= CP__MQ_SLOTS)) {
            if (atomic_compare_exchange_weak_explicit(&p->qtail, &cur,
                                                      (uint64_t)(uintptr_t)fresh | CP__MQ_CNT_ONE,
                                                      memory_order_seq_cst, memory_order_relaxed)) {
                if (full != NULL)
                    atomic_store_explicit(&full->next, fresh, memory_order_release);
                return 0;
            }
        }
        /* Another producer installed a segment first: claim in it. */
        atomic_store_explicit(&fresh->slot[0], NULL, memory_order_relaxed);
        seen = atomic_fetch_add_explicit(&p->qtail, CP__MQ_CNT_ONE, memory_order_seq_cst);
    }
}

struct cp__mseg *cp__mq_first(struct cp_process *p)
{
    struct cp__mseg *s = cp__mq_ptr(atomic_load_explicit(&p->qtail, memory_order_acquire));
    if (s == NULL)
        return NULL;
    /* The tail may be several segments past the first since the queue was
     * empty; none of them has been read, so none is freed. */
    while (s->prev != NULL)
        s = s->prev;
    atomic_store_explicit(&p->qhead, s, memory_order_relaxed);
    atomic_store_explicit(&p->qidx, 0, memory_order_relaxed);
    return s;
}

struct cp__mseg *cp__mq_next(struct cp_process *p, struct cp__mseg *s)
{
    struct cp__mseg *n = atomic_load_explicit(&s->next, memory_order_acquire);
    if (n == NULL)
        return NULL; /* the producer that filled s is linking the next */
    /* Nobody walks back past n from now on (cp__mq_first starts only from
     * a tail installed after the queue was empty). */
    n->prev = NULL;
    seg_free(s);
    atomic_store_explicit(&p->qhead, n, memory_order_relaxed);
    atomic_store_explicit(&p->qidx, 0, memory_order_relaxed);
    return n;
}

void cp__mq_release_if_empty(struct cp_process *p)
{
    struct cp__mseg *s = atomic_load_explicit(&p->qhead, memory_order_relaxed);
    if (s == NULL)
        return;
    uint64_t w = atomic_load_explicit(&p->qtail, memory_order_relaxed);
    if (cp__mq_ptr(w) != s || cp__mq_cnt(w) != atomic_load_explicit(&p->qidx, memory_order_relaxed))
        return;
    if (!atomic_compare_exchange_strong_explicit(&p->qtail, &w, 0, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return; /* a producer is claiming */
    atomic_store_explicit(&p->qhead, NULL, memory_order_relaxed);
    atomic_store_explicit(&p->qidx, 0, memory_order_relaxed);
    seg_free(s);
}

void cp__mq_walk(struct cp_process *p, void (*fn)(void *arg, const cp__event_t *ev), void *arg)
{
    struct cp__mseg *s = atomic_load_explicit(&p->qhead, memory_order_relaxed);
    uint32_t i = atomic_load_explicit(&p->qidx, memory_order_relaxed);
    if (s == NULL) {
        s = cp__mq_ptr(atomic_load_explicit(&p->qtail, memory_order_acquire));
        while (s != NULL && s->prev != NULL)
            s = s->prev;
        i = 0;
    }
    while (s != NULL) {
        for (; i < CP__MQ_SLOTS; i++) {
            const cp__event_t *ev = atomic_load_explicit(&s->slot[i], memory_order_acquire);
            if (ev == NULL)
                return;
            fn(arg, ev);
        }
        s = atomic_load_explicit(&s->next, memory_order_acquire);
        i = 0;
    }
}

void cp__mq_fini(struct cp_process *p)
{
    struct cp__mseg *s = atomic_load_explicit(&p->qhead, memory_order_relaxed);
    if (s == NULL) {
        s = cp__mq_ptr(atomic_load_explicit(&p->qtail, memory_order_acquire));
        while (s != NULL && s->prev != NULL)
            s = s->prev;
    }
    while (s != NULL) {
        struct cp__mseg *n = atomic_load_explicit(&s->next, memory_order_acquire);
        for (unsigned i = 0; i < CP__MQ_SLOTS; i++)
            atomic_store_explicit(&s->slot[i], NULL, memory_order_relaxed);
        seg_free(s);
        s = n;
    }
    atomic_store_explicit(&p->qtail, 0, memory_order_relaxed);
    atomic_store_explicit(&p->qhead, NULL, memory_order_relaxed);
    atomic_store_explicit(&p->qidx, 0, memory_order_relaxed);
}

/* The queue under every mailbox (core/mailbox_queue.h), driven directly:
 * several producer threads and one consumer, across segment boundaries,
 * with the consumer giving its segment back whenever it finds the queue
 * empty, as it does at the end of every turn. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core_internal.h"
#include "core/mailbox_queue.h"

#define PRODUCERS 4

typedef struct {
    uint32_t producer;
    uint32_t seq;
} tag_t;

static struct cp_process *new_process(void)
{
    struct cp_process *p = aligned_alloc(128, sizeof *p);
    assert_non_null(p);
    memset(p, 0, sizeof *p);
    return p;
}

static cp__event_t *make(uint32_t producer, uint32_t seq)
{
    cp__event_t *ev = cp__event_alloc(sizeof(tag_t));
    assert_non_null(ev);
    ev->kind = CP__EV_DISPATCH;
    tag_t t = {producer, seq};
    memcpy(CP__EVENT_PAYLOAD(ev), &t, sizeof t);
    return ev;
}

static tag_t tag_of(const cp__event_t *ev)
{
    tag_t t;
    memcpy(&t, CP__EVENT_PAYLOAD(ev), sizeof t);
    return t;
}

static void count_one(void *arg, const cp__event_t *ev)
{
    (*(size_t *)arg)++;
}

/* One producer: FIFO, empty again, no segment left. */
static void test_fifo_across_segments(void **state)
{
    struct cp_process *p = new_process();
    assert_false(cp__mq_nonempty(p));
    assert_null(cp__mq_pop(p));
    uint32_t n = 5 * CP__MQ_SLOTS + 3;
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(cp__mq_push(p, make(0, i)), 0);
    size_t walked = 0;
    cp__mq_walk(p, count_one, &walked);
    assert_int_equal(walked, n);
    for (uint32_t i = 0; i < n; i++) {
        assert_true(cp__mq_nonempty(p));
        cp__event_t *ev = cp__mq_pop(p);
        assert_non_null(ev);
        assert_int_equal(tag_of(ev).seq, i);
        cp__event_free(ev);
    }
    assert_false(cp__mq_nonempty(p));
    assert_null(cp__mq_pop(p));
    cp__mq_release_if_empty(p);
    assert_int_equal(atomic_load(&p->qtail), 0);
    assert_null(atomic_load(&p->qhead));
    free(p);
}

/* The consumer gives its segment back in the middle, then more arrives
 * and spans several segments before it looks again. */
static void test_refill_after_release(void **state)
{
    struct cp_process *p = new_process();
    for (int round = 0; round < 3; round++) {
        uint32_t n = (uint32_t)(round + 1) * CP__MQ_SLOTS + 1;
        for (uint32_t i = 0; i < n; i++)
            assert_int_equal(cp__mq_push(p, make(0, i)), 0);
        for (uint32_t i = 0; i < n; i++) {
            cp__event_t *ev = cp__mq_pop(p);
            assert_non_null(ev);
            assert_int_equal(tag_of(ev).seq, i);
            cp__event_free(ev);
        }
        cp__mq_release_if_empty(p);
        assert_int_equal(atomic_load(&p->qtail), 0);
    }
    /* Left with events in it: fini frees every segment (ASan checks). */
    for (uint32_t i = 0; i < 2 * CP__MQ_SLOTS; i++)
        assert_int_equal(cp__mq_push(p, make(0, i)), 0);
    for (;;) {
        cp__event_t *ev = cp__mq_pop(p);
        if (ev == NULL)
            break;
        cp__event_free(ev);
    }
    cp__mq_fini(p);
    free(p);
}

/* A sender that found the tail full and was delayed until that segment
 * was freed and its address reused for a tail with room (ABA) must claim
 * in it, not link a new segment behind it. The thread's magazine hands
 * the freed block straight back, so the reuse is certain here. */
static void test_late_sender_after_address_reuse(void **state)
{
    struct cp_process *p = new_process();
    for (uint32_t i = 0; i < CP__MQ_SLOTS; i++)
        assert_int_equal(cp__mq_push(p, make(0, i)), 0);
    uint64_t seen_full = atomic_load(&p->qtail); /* what the late sender saw */
    assert_int_equal(cp__mq_cnt(seen_full), CP__MQ_SLOTS);
    for (uint32_t i = 0; i < CP__MQ_SLOTS; i++)
        cp__event_free(cp__mq_pop(p));
    cp__mq_release_if_empty(p);
    assert_int_equal(atomic_load(&p->qtail), 0);
    assert_int_equal(cp__mq_push(p, make(1, 0)), 0);
    assert_ptr_equal(cp__mq_ptr(atomic_load(&p->qtail)), cp__mq_ptr(seen_full));
    assert_int_equal(cp__mq_push_new(p, make(1, 1), seen_full), 0);
    for (uint32_t i = 0; i < 2; i++) {
        cp__event_t *ev = cp__mq_pop(p);
        assert_non_null(ev);
        assert_int_equal(tag_of(ev).seq, i);
        cp__event_free(ev);
    }
    assert_false(cp__mq_nonempty(p));
    cp__mq_release_if_empty(p);
    assert_int_equal(atomic_load(&p->qtail), 0);
    free(p);
}

typedef struct {
    struct cp_process *p;
    uint32_t id, n;
} producer_t;

static void *produce(void *arg)
{
    producer_t *pr = arg;
    for (uint32_t i = 0; i < pr->n; i++)
        while (cp__mq_push(pr->p, make(pr->id, i)) != 0)
            ;
    return NULL;
}

/* Producers race one consumer that releases its segment whenever it
 * finds the queue empty: every event arrives once, in each producer's
 * order. Run under ThreadSanitizer too. */
static void test_producers_race_the_consumer(void **state)
{
    struct cp_process *p = new_process();
    const uint32_t per = 100000;
    producer_t pr[PRODUCERS];
    pthread_t t[PRODUCERS];
    for (uint32_t i = 0; i < PRODUCERS; i++) {
        pr[i] = (producer_t){p, i, per};
        assert_int_equal(pthread_create(&t[i], NULL, produce, &pr[i]), 0);
    }
    uint32_t next[PRODUCERS] = {0};
    uint64_t got = 0;
    while (got < (uint64_t)PRODUCERS * per) {
        cp__event_t *ev = cp__mq_pop(p);
        if (ev == NULL) {
            /* Empty, or a claim not yet written: as a turn's end. */
            cp__mq_release_if_empty(p);
            continue;
        }
        tag_t tg = tag_of(ev);
        assert_true(tg.producer < PRODUCERS);
        assert_int_equal(tg.seq, next[tg.producer]);
        next[tg.producer]++;
        got++;
        cp__event_free(ev);
    }
    for (uint32_t i = 0; i < PRODUCERS; i++)
        pthread_join(t[i], NULL);
    assert_false(cp__mq_nonempty(p));
    assert_null(cp__mq_pop(p));
    cp__mq_release_if_empty(p);
    assert_int_equal(atomic_load(&p->qtail), 0);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_across_segments),
        cmocka_unit_test(test_refill_after_release),
        cmocka_unit_test(test_late_sender_after_address_reuse),
        cmocka_unit_test(test_producers_race_the_consumer),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cp__event_cache_flush();
    return rc;
}

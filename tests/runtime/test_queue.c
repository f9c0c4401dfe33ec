/* cp_queue: FIFO items, FIFO getters, discard of a waiting get, freeing. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cproc/cproc.h"

static int *boxed(int v)
{
    int *p = malloc(sizeof *p);
    *p = v;
    return p;
}

static void test_get_after_put_is_ready_in_order(void **state)
{
    cp_queue_t *q = cp_queue_new(free);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cp_queue_put(q, boxed(i)), 0);
    assert_int_equal(cp_queue_size(q), 3);
    for (int i = 0; i < 3; i++) {
        cp_future_t *f = cp_queue_get(q);
        assert_true(cp_future_is_ready(f));
        assert_int_equal(*(int *)cp_future_value(f), i);
        cp_future_unref(f);
    }
    assert_int_equal(cp_queue_size(q), 0);
    cp_queue_free(q);
}

static void test_waiting_gets_are_served_fifo(void **state)
{
    cp_queue_t *q = cp_queue_new(free);
    cp_future_t *a = cp_queue_get(q), *b = cp_queue_get(q);
    assert_true(cp_future_is_pending(a));
    assert_int_equal(cp_queue_waiting(q), 2);
    cp_queue_put(q, boxed(1));
    assert_true(cp_future_is_ready(a));
    assert_true(cp_future_is_pending(b));
    cp_queue_put(q, boxed(2));
    assert_int_equal(*(int *)cp_future_value(a), 1);
    assert_int_equal(*(int *)cp_future_value(b), 2);
    assert_int_equal(cp_queue_waiting(q), 0);
    cp_future_unref(a);
    cp_future_unref(b);
    cp_queue_free(q);
}

static void test_discarded_get_is_skipped(void **state)
{
    cp_queue_t *q = cp_queue_new(free);
    cp_future_t *a = cp_queue_get(q), *b = cp_queue_get(q);
    cp_future_discard(a);
    assert_true(cp_future_is_discarded(a));
    assert_int_equal(cp_queue_waiting(q), 1);
    cp_queue_put(q, boxed(7));
    assert_true(cp_future_is_ready(b));
    assert_int_equal(*(int *)cp_future_value(b), 7);
    cp_future_unref(a);
    cp_future_unref(b);
    cp_queue_free(q);
}

static void test_free_abandons_waiters_and_frees_items(void **state)
{
    cp_queue_t *q = cp_queue_new(free);
    cp_queue_put(q, boxed(1));
    cp_queue_put(q, boxed(2));
    cp_queue_free(q); /* the items are freed: ASan checks */
    q = cp_queue_new(free);
    cp_future_t *g = cp_queue_get(q);
    cp_queue_free(q);
    assert_true(cp_future_is_pending(g));
    assert_true(cp_future_is_abandoned(g));
    cp_future_unref(g);
}

/* A get whose future nobody holds is skipped: the item stays queued for
 * the next get (nothing lost, nothing leaked even without free_item). */
static void test_dropped_get_keeps_the_item(void **state)
{
    cp_queue_t *q = cp_queue_new(free);
    cp_future_unref(cp_queue_get(q)); /* nobody listens */
    assert_int_equal(cp_queue_put(q, boxed(3)), 0);
    assert_int_equal(cp_queue_size(q), 1);
    cp_queue_put(q, boxed(4));
    for (int i = 3; i <= 4; i++) {
        cp_future_t *f = cp_queue_get(q);
        assert_int_equal(*(int *)cp_future_value(f), i);
        cp_future_unref(f);
    }
    cp_queue_free(q);
}

static void test_dropped_get_with_null_free_item(void **state)
{
    cp_queue_t *q = cp_queue_new(NULL);
    cp_future_t *live = NULL;
    cp_future_unref(cp_queue_get(q));
    live = cp_queue_get(q);
    int *v = boxed(7);
    assert_int_equal(cp_queue_put(q, v), 0);
    assert_true(cp_future_is_ready(live));
    assert_ptr_equal(cp_future_value(live), v);
    assert_int_equal(cp_queue_waiting(q), 0);
    cp_future_unref(live);
    free(v);
    cp_future_unref(cp_queue_get(q));
    int *w = boxed(8);
    cp_queue_put(q, w);
    cp_future_t *f = cp_queue_get(q);
    assert_ptr_equal(cp_future_value(f), w);
    cp_future_unref(f);
    free(w);
    cp_queue_free(q);
}

static void test_null_free_item_hands_ownership_to_getter(void **state)
{
    cp_queue_t *q = cp_queue_new(NULL);
    int *v = boxed(5);
    cp_queue_put(q, v);
    cp_future_t *f = cp_queue_get(q);
    assert_ptr_equal(cp_future_value(f), v);
    cp_future_unref(f);
    free(v);
    cp_queue_free(q);
}

static void test_bad_arguments(void **state)
{
    int x;
    assert_int_equal(cp_queue_put(NULL, &x), CP_EINVAL);
    assert_null(cp_queue_get(NULL));
    cp_queue_free(NULL);
}

/* Producers and consumers on several threads: every item arrives once. */
enum { THREADS = 4, PER = 2000 };

static cp_queue_t *shared_q;
static atomic_long sum_got;

static void *producer(void *arg)
{
    for (int i = 1; i <= PER; i++)
        cp_queue_put(shared_q, boxed(i));
    return NULL;
}

static void *consumer(void *arg)
{
    for (int i = 0; i < PER; i++) {
        cp_future_t *f = cp_queue_get(shared_q);
        assert_true(cp_future_wait(f, CP_TEST_TIMEOUT_NS));
        atomic_fetch_add(&sum_got, *(int *)cp_future_value(f));
        cp_future_unref(f);
    }
    return NULL;
}

static void test_threads_lose_nothing(void **state)
{
    shared_q = cp_queue_new(free);
    pthread_t t[2 * THREADS];
    for (int i = 0; i < THREADS; i++) {
        pthread_create(&t[i], NULL, consumer, NULL);
        pthread_create(&t[THREADS + i], NULL, producer, NULL);
    }
    for (int i = 0; i < 2 * THREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&sum_got), (long)THREADS * PER * (PER + 1) / 2);
    assert_int_equal(cp_queue_size(shared_q), 0);
    cp_queue_free(shared_q);
}

/* Between two processes, through the runtime. */
static cp_future_t *take_one(cp_process_t *self, void *args)
{
    return cp_queue_get(*(cp_queue_t **)args);
}

/* Gets dropped at once on some threads while others put: an item either
 * reaches a dropped get that was served before the drop (freed with
 * free_item when the future goes) or stays queued; nothing is lost or
 * leaked, and the check races cleanly with the drops (TSan). */
static atomic_long freed_items;

static void count_and_free(void *item)
{
    atomic_fetch_add(&freed_items, 1);
    free(item);
}

static void *dropper(void *arg)
{
    for (int i = 0; i < PER; i++)
        cp_future_unref(cp_queue_get(shared_q));
    return NULL;
}

static void test_dropped_gets_on_threads_lose_nothing(void **state)
{
    shared_q = cp_queue_new(count_and_free);
    atomic_store(&freed_items, 0);
    pthread_t t[2 * THREADS];
    for (int i = 0; i < THREADS; i++) {
        pthread_create(&t[i], NULL, dropper, NULL);
        pthread_create(&t[THREADS + i], NULL, producer, NULL);
    }
    for (int i = 0; i < 2 * THREADS; i++)
        pthread_join(t[i], NULL);
    /* Every item was put: each is either freed (served) or still queued. */
    assert_int_equal(atomic_load(&freed_items) + (long)cp_queue_size(shared_q),
                     (long)THREADS * PER);
    cp_queue_free(shared_q);
    assert_int_equal(atomic_load(&freed_items), (long)THREADS * PER);
}

static void test_get_inside_a_process(void **state)
{
    assert_int_equal(cp_runtime_start(NULL), 0);
    cp_queue_t *q = cp_queue_new(free);
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn(NULL, NULL, NULL, &pid), 0);
    cp_future_t *f = cp_dispatch_future(&pid, take_one, &q, sizeof q, NULL);
    cp_queue_put(q, boxed(42));
    CP_AWAIT_READY(f);
    assert_int_equal(*(int *)cp_future_value(f), 42);
    cp_future_unref(f);
    cp_runtime_stop();
    cp_queue_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_after_put_is_ready_in_order),
        cmocka_unit_test(test_waiting_gets_are_served_fifo),
        cmocka_unit_test(test_discarded_get_is_skipped),
        cmocka_unit_test(test_free_abandons_waiters_and_frees_items),
        cmocka_unit_test(test_dropped_get_keeps_the_item),
        cmocka_unit_test(test_dropped_get_with_null_free_item),
        cmocka_unit_test(test_null_free_item_hands_ownership_to_getter),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_threads_lose_nothing),
        cmocka_unit_test(test_dropped_gets_on_threads_lose_nothing),
        cmocka_unit_test(test_get_inside_a_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

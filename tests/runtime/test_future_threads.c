/* Futures under concurrency: completions, discards, abandonment and
 * association racing registrations on other threads. Every test checks an
 * exact outcome (each callback once, each arg freed once) and is meant to
 * run under ThreadSanitizer as well. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <pthread.h>

#include <cmocka.h>

#include "cproc/error.h"
#include "cproc/future.h"

#define COUNT 2000

static int *int_new(int v)
{
    int *p = malloc(sizeof(*p));
    *p = v;
    return p;
}

static void count_call(cp_future_t *f, void *arg)
{
    __atomic_add_fetch((long *)arg, 1, __ATOMIC_RELAXED);
}

static void count_free(void *arg)
{
    __atomic_add_fetch((long *)arg, 1000, __ATOMIC_RELAXED);
}

static long load(long *v)
{
    return __atomic_load_n(v, __ATOMIC_RELAXED);
}

/* Runs fn(i) for every i in [0, COUNT) on a second thread while the test
 * thread does its part. */
typedef struct worker {
    pthread_t thread;
    void (*fn)(int i);
} worker_t;

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    for (int i = 0; i < COUNT; i++)
        w->fn(i);
    return NULL;
}

static void worker_start(worker_t *w, void (*fn)(int i))
{
    w->fn = fn;
    pthread_create(&w->thread, NULL, worker_main, w);
}

static void worker_join(worker_t *w)
{
    pthread_join(w->thread, NULL);
}

static cp_promise_t *promises[COUNT];
static cp_future_t *futures[COUNT];

static void make_all(cp_free_fn free_value)
{
    for (int i = 0; i < COUNT; i++) {
        promises[i] = cp_promise_new(free_value);
        futures[i] = cp_promise_future(promises[i]);
    }
}

static void free_all(void)
{
    for (int i = 0; i < COUNT; i++) {
        cp_promise_free(promises[i]);
        cp_future_unref(futures[i]);
    }
}

/* ---- then racing discard ------------------------------------------- */

static cp_future_t *plus_one(void *value, void *arg)
{
    return cp_future_ready(int_new(*(int *)value + 1), free);
}

static void set_value(int i)
{
    cp_promise_set(promises[i], int_new(i));
}

static void test_future_then_racing_discard_ends_ready_or_discarded(void **state)
{
    long freed = 0;
    cp_future_t *results[COUNT];
    make_all(free);
    for (int i = 0; i < COUNT; i++)
        results[i] = cp_future_then(futures[i], plus_one, &freed, count_free);
    worker_t w;
    worker_start(&w, set_value);
    for (int i = 0; i < COUNT; i++)
        cp_future_discard(results[i]);
    worker_join(&w);
    for (int i = 0; i < COUNT; i++) {
        if (cp_future_is_ready(results[i]))
            assert_int_equal(*(int *)cp_future_value(results[i]), i + 1);
        else
            assert_true(cp_future_is_discarded(results[i]));
        cp_future_unref(results[i]);
    }
    assert_int_equal(load(&freed), 1000L * COUNT);
    free_all();
}

/* ---- discard requests racing on_discard registration --------------- */

static void request_discard(int i)
{
    cp_future_discard(futures[i]);
}

static void test_future_discard_racing_on_discard_runs_each_once(void **state)
{
    long count = 0;
    make_all(NULL);
    worker_t w;
    worker_start(&w, request_discard);
    for (int i = 0; i < COUNT; i++)
        cp_future_on_discard(futures[i], count_call, &count, count_free);
    worker_join(&w);
    assert_int_equal(load(&count), 1001L * COUNT);
    free_all();
}

/* ---- abandonment racing registration ------------------------------- */

static void abandon(int i)
{
    cp_promise_free(promises[i]);
    promises[i] = NULL;
}

static void test_future_abandon_racing_on_abandoned_runs_each_once(void **state)
{
    long count = 0;
    cp_future_t *held[COUNT];
    make_all(NULL);
    for (int i = 0; i < COUNT; i++)
        held[i] = cp_future_ref(futures[i]);
    worker_t w;
    worker_start(&w, abandon);
    for (int i = 0; i < COUNT; i++)
        cp_future_on_abandoned(held[i], count_call, &count, count_free);
    worker_join(&w);
    assert_int_equal(load(&count), 1001L * COUNT);
    for (int i = 0; i < COUNT; i++) {
        assert_true(cp_future_is_abandoned(held[i]));
        cp_future_unref(held[i]);
    }
    free_all();
}

/* ---- set racing associate: exactly one wins ------------------------ */

static cp_promise_t *sources[COUNT];
static int set_rc[COUNT];

static void set_racing(int i)
{
    int *v = int_new(i);
    set_rc[i] = cp_promise_set(promises[i], v);
    if (set_rc[i] != 0)
        free(v);
}

static void test_future_set_racing_associate_only_one_wins(void **state)
{
    int assoc_rc[COUNT];
    cp_future_t *source_futures[COUNT];
    make_all(free);
    for (int i = 0; i < COUNT; i++) {
        sources[i] = cp_promise_new(free);
        source_futures[i] = cp_promise_future(sources[i]);
    }
    worker_t w;
    worker_start(&w, set_racing);
    for (int i = 0; i < COUNT; i++)
        assoc_rc[i] = cp_promise_associate(promises[i], source_futures[i]);
    worker_join(&w);
    for (int i = 0; i < COUNT; i++) {
        assert_true((set_rc[i] == 0) != (assoc_rc[i] == 0));
        cp_promise_set(sources[i], int_new(-i));
        int expected = set_rc[i] == 0 ? i : -i;
        assert_int_equal(*(int *)cp_future_value(futures[i]), expected);
        cp_promise_free(sources[i]);
        cp_future_unref(source_futures[i]);
    }
    free_all();
}

/* ---- references dropped on both sides ------------------------------ */

static void drop_future(int i)
{
    cp_future_unref(futures[i]);
    futures[i] = NULL;
}

static void test_future_refs_dropped_concurrently_free_once(void **state)
{
    long count = 0;
    make_all(free);
    for (int i = 0; i < COUNT; i++)
        cp_future_on_ready(futures[i], count_call, &count, count_free);
    worker_t w;
    worker_start(&w, drop_future);
    for (int i = 0; i < COUNT; i++) {
        cp_promise_set(promises[i], int_new(i));
        cp_promise_free(promises[i]);
        promises[i] = NULL;
    }
    worker_join(&w);
    assert_int_equal(load(&count), 1001L * COUNT);
}

/* ---- the last references dropped while complete() still runs ------- */

static void set_plain(int i)
{
    cp_promise_set(promises[i], int_new(i));
}

/* A thread that sees a future READY may drop every reference it knows of,
 * the promise included, while the completing thread is still inside
 * cp_promise_set running callbacks: the state must outlive that call. */
static void test_future_last_refs_dropped_while_completing_is_safe(void **state)
{
    long count = 0;
    make_all(free);
    for (int i = 0; i < COUNT; i++)
        cp_future_on_ready(futures[i], count_call, &count, count_free);
    worker_t w;
    worker_start(&w, set_plain);
    for (int i = 0; i < COUNT; i++) {
        while (!cp_future_is_ready(futures[i]))
            ;
        assert_int_equal(*(int *)cp_future_value(futures[i]), i);
        cp_promise_free(promises[i]);
        cp_future_unref(futures[i]);
    }
    worker_join(&w);
    assert_int_equal(load(&count), 1001L * COUNT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_future_then_racing_discard_ends_ready_or_discarded),
        cmocka_unit_test(test_future_discard_racing_on_discard_runs_each_once),
        cmocka_unit_test(test_future_abandon_racing_on_abandoned_runs_each_once),
        cmocka_unit_test(test_future_set_racing_associate_only_one_wins),
        cmocka_unit_test(test_future_refs_dropped_concurrently_free_once),
        cmocka_unit_test(test_future_last_refs_dropped_while_completing_is_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

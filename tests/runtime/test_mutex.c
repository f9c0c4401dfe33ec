/* cp_mutex: FIFO hand-over, skipped discarded waiters, cp_mutex_run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cproc/cproc.h"

static void test_lock_free_mutex_is_ready_at_once(void **state)
{
    cp_mutex_t *m = cp_mutex_new();
    cp_future_t *f = cp_mutex_lock(m);
    assert_true(cp_future_is_ready(f));
    assert_true(cp_mutex_locked(m));
    assert_int_equal(cp_mutex_unlock(m), 0);
    assert_false(cp_mutex_locked(m));
    assert_int_equal(cp_mutex_unlock(m), CP_ESTATE);
    cp_future_unref(f);
    cp_mutex_free(m);
}

static void test_waiters_get_the_lock_in_order(void **state)
{
    cp_mutex_t *m = cp_mutex_new();
    cp_future_t *a = cp_mutex_lock(m), *b = cp_mutex_lock(m), *c = cp_mutex_lock(m);
    assert_true(cp_future_is_ready(a));
    assert_true(cp_future_is_pending(b));
    assert_int_equal(cp_mutex_waiting(m), 2);
    cp_mutex_unlock(m);
    assert_true(cp_future_is_ready(b));
    assert_true(cp_future_is_pending(c));
    cp_mutex_unlock(m);
    assert_true(cp_future_is_ready(c));
    cp_mutex_unlock(m);
    assert_false(cp_mutex_locked(m));
    cp_future_unref(a);
    cp_future_unref(b);
    cp_future_unref(c);
    cp_mutex_free(m);
}

static void test_discarded_waiter_is_skipped(void **state)
{
    cp_mutex_t *m = cp_mutex_new();
    cp_future_t *a = cp_mutex_lock(m), *b = cp_mutex_lock(m), *c = cp_mutex_lock(m);
    cp_future_discard(b);
    assert_true(cp_future_is_discarded(b));
    cp_mutex_unlock(m);
    assert_true(cp_future_is_ready(c));
    cp_mutex_unlock(m);
    assert_false(cp_mutex_locked(m));
    cp_future_unref(a);
    cp_future_unref(b);
    cp_future_unref(c);
    cp_mutex_free(m);
}

static void test_discard_after_grant_keeps_the_lock(void **state)
{
    cp_mutex_t *m = cp_mutex_new();
    cp_future_t *a = cp_mutex_lock(m);
    cp_future_discard(a); /* already READY: no effect */
    assert_true(cp_future_is_ready(a));
    assert_true(cp_mutex_locked(m));
    cp_mutex_unlock(m);
    cp_future_unref(a);
    cp_mutex_free(m);
}

/* A waiter whose future nobody holds any more is skipped: the lock goes to
 * the next live waiter, or the mutex unlocks. */
static void test_dropped_waiter_is_skipped(void **state)
{
    cp_mutex_t *m = cp_mutex_new();
    cp_future_t *l1 = cp_mutex_lock(m);
    cp_future_t *l2 = cp_mutex_lock(m);
    cp_future_unref(l2);
    assert_int_equal(cp_mutex_unlock(m), 0);
    assert_false(cp_mutex_locked(m));
    cp_future_t *l3 = cp_mutex_lock(m);
    assert_true(cp_future_is_ready(l3));
    /* A dropped waiter between two live ones. */
    cp_future_t *a = cp_mutex_lock(m), *b = cp_mutex_lock(m);
    cp_future_unref(a);
    assert_int_equal(cp_mutex_unlock(m), 0);
    assert_true(cp_future_is_ready(b));
    assert_true(cp_mutex_locked(m));
    assert_int_equal(cp_mutex_unlock(m), 0);
    assert_false(cp_mutex_locked(m));
    cp_future_unref(l1);
    cp_future_unref(l3);
    cp_future_unref(b);
    cp_mutex_free(m);
}

static int then_count;
static cp_future_t *count_then(void *value, void *arg)
{
    then_count++;
    return cp_future_ready(NULL, NULL);
}

/* A waiter only watched by a then step (its handle dropped) is alive. */
static void test_waiter_watched_by_a_callback_is_served(void **state)
{
    cp_mutex_t *m = cp_mutex_new();
    cp_future_t *l1 = cp_mutex_lock(m);
    cp_future_t *l2 = cp_mutex_lock(m);
    cp_future_t *next = cp_future_then(l2, count_then, NULL, NULL);
    cp_future_unref(l2);
    cp_future_unref(next);
    then_count = 0;
    assert_int_equal(cp_mutex_unlock(m), 0);
    assert_int_equal(then_count, 1);
    assert_true(cp_mutex_locked(m));
    assert_int_equal(cp_mutex_unlock(m), 0);
    cp_future_unref(l1);
    cp_mutex_free(m);
}

static void test_free_abandons_waiters(void **state)
{
    cp_mutex_t *m = cp_mutex_new();
    cp_future_t *a = cp_mutex_lock(m), *b = cp_mutex_lock(m);
    cp_future_unref(cp_mutex_lock(m)); /* dropped: no leak */
    cp_mutex_free(m);
    assert_true(cp_future_is_abandoned(b));
    cp_future_unref(a);
    cp_future_unref(b);
}

/* cp_mutex_run: critical sections inside processes never overlap. */
typedef struct shared {
    int inside;
    int max_inside;
    int runs;
} shared_t;

static shared_t sh;

static cp_future_t *critical(cp_process_t *self, void *value, void *arg)
{
    sh.inside++;
    if (sh.inside > sh.max_inside)
        sh.max_inside = sh.inside;
    sh.runs++;
    sh.inside--;
    return cp_future_ready(NULL, NULL);
}

static cp_future_t *critical_fails(cp_process_t *self, void *value, void *arg)
{
    return cp_future_failed("boom");
}

static void test_run_unlocks_on_every_outcome(void **state)
{
    assert_int_equal(cp_runtime_start(NULL), 0);
    cp_mutex_t *m = cp_mutex_new();
    enum { N = 8 };
    cp_upid_t pids[N];
    cp_future_t *fs[3 * N];
    for (int i = 0; i < N; i++)
        assert_int_equal(cp_process_spawn(NULL, NULL, NULL, &pids[i]), 0);
    for (int i = 0; i < N; i++) {
        fs[3 * i] = cp_mutex_run(m, &pids[i], critical, NULL, NULL);
        fs[3 * i + 1] = cp_mutex_run(m, &pids[i], critical_fails, NULL, NULL);
        fs[3 * i + 2] = cp_mutex_run(m, &pids[(i + 1) % N], critical, NULL, NULL);
    }
    for (int i = 0; i < 3 * N; i++) {
        if (i % 3 == 1)
            CP_AWAIT_FAILED(fs[i]);
        else
            CP_AWAIT_READY(fs[i]);
        cp_future_unref(fs[i]);
    }
    assert_int_equal(sh.runs, 2 * N);
    assert_int_equal(sh.max_inside, 1);
    /* A process that is gone: abandoned, and the mutex comes back. */
    cp_process_terminate(&pids[0], false);
    cp_process_wait(&pids[0], CP_WAIT_FOREVER);
    cp_future_t *gone = cp_mutex_run(m, &pids[0], critical, NULL, NULL);
    CP_AWAIT_ABANDONED(gone);
    cp_future_unref(gone);
    cp_future_t *again = cp_mutex_lock(m);
    CP_AWAIT_READY(again);
    cp_mutex_unlock(m);
    cp_future_unref(again);
    cp_runtime_stop();
    cp_mutex_free(m);
}

static void test_run_discarded_before_lock_does_not_run(void **state)
{
    assert_int_equal(cp_runtime_start(NULL), 0);
    cp_mutex_t *m = cp_mutex_new();
    cp_upid_t pid;
    cp_process_spawn(NULL, NULL, NULL, &pid);
    cp_future_t *held = cp_mutex_lock(m);
    int before = sh.runs;
    cp_future_t *r = cp_mutex_run(m, &pid, critical, NULL, NULL);
    cp_future_discard(r);
    CP_AWAIT_DISCARDED(r);
    assert_int_equal(cp_mutex_waiting(m), 0);
    cp_mutex_unlock(m);
    assert_false(cp_mutex_locked(m));
    assert_int_equal(sh.runs, before);
    cp_future_unref(r);
    cp_future_unref(held);
    cp_runtime_stop();
    cp_mutex_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_free_mutex_is_ready_at_once),
        cmocka_unit_test(test_waiters_get_the_lock_in_order),
        cmocka_unit_test(test_discarded_waiter_is_skipped),
        cmocka_unit_test(test_discard_after_grant_keeps_the_lock),
        cmocka_unit_test(test_dropped_waiter_is_skipped),
        cmocka_unit_test(test_waiter_watched_by_a_callback_is_served),
        cmocka_unit_test(test_free_abandons_waiters),
        cmocka_unit_test(test_run_unlocks_on_every_outcome),
        cmocka_unit_test(test_run_discarded_before_lock_does_not_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The runtime clock: pause, advance, settle, timers, delay and after(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cproc/cproc.h"

static int start(void **state)
{
    return cp_runtime_start(NULL);
}

static int stop(void **state)
{
    cp_runtime_stop();
    return 0;
}

static void test_paused_clock_stands_still_and_advances(void **state)
{
    cp_clock_pause();
    assert_true(cp_clock_paused());
    uint64_t t0 = cp_clock_now();
    assert_int_equal(cp_clock_now(), t0);
    assert_int_equal(cp_clock_advance(5 * CP_NS_PER_SEC), 0);
    assert_int_equal(cp_clock_now(), t0 + 5 * CP_NS_PER_SEC);
    cp_clock_resume();
    assert_false(cp_clock_paused());
    assert_true(cp_clock_now() >= t0 + 5 * CP_NS_PER_SEC);
    assert_int_equal(cp_clock_advance(1), CP_ESTATE);
}

static void test_runtime_can_start_paused(void **state)
{
    cp_runtime_stop();
    cp_runtime_options_t opts = {.clock_paused = true};
    assert_int_equal(cp_runtime_start(&opts), 0);
    assert_true(cp_clock_paused());
}

static void bump(void *arg)
{
    (*(int *)arg)++;
}

static void test_timer_fires_only_after_advance(void **state)
{
    int fired = 0;
    cp_clock_pause();
    assert_int_equal(cp_timer_start(5 * 60 * CP_NS_PER_SEC, bump, &fired, NULL, NULL), 0);
    assert_int_equal(cp_clock_settle(), 0);
    assert_int_equal(fired, 0);
    assert_int_equal(cp_clock_advance(5 * 60 * CP_NS_PER_SEC - 1), 0);
    assert_int_equal(cp_clock_settle(), 0);
    assert_int_equal(fired, 0);
    assert_int_equal(cp_clock_advance(1), 0);
    assert_int_equal(cp_clock_settle(), 0);
    assert_int_equal(fired, 1);
}

static void count_free(void *arg)
{
    (*(int *)arg) += 100;
}

static void test_timer_cancel_frees_argument(void **state)
{
    int n = 0;
    uint64_t id;
    cp_clock_pause();
    assert_int_equal(cp_timer_start(CP_NS_PER_SEC, bump, &n, count_free, &id), 0);
    assert_int_equal(cp_timer_cancel(id), 0);
    assert_int_equal(n, 100);
    assert_int_equal(cp_timer_cancel(id), CP_ENOENT);
    assert_int_equal(cp_clock_advance(2 * CP_NS_PER_SEC), 0);
    assert_int_equal(cp_clock_settle(), 0);
    assert_int_equal(n, 100);
}

static void test_pending_timer_is_freed_at_stop(void **state)
{
    int n = 0;
    cp_clock_pause();
    assert_int_equal(cp_timer_start(CP_NS_PER_SEC, bump, &n, count_free, NULL), 0);
    cp_runtime_stop();
    assert_int_equal(n, 100);
    assert_int_equal(cp_runtime_start(NULL), 0);
}

/* ---- delay ------------------------------------------------------------- */

typedef struct box {
    int hits;
} box_t;

static void hit(cp_process_t *self, void *args)
{
    box_t *b = cp_process_data(self);
    b->hits++;
}

static cp_future_t *hits_of(cp_process_t *self, void *args)
{
    box_t *b = cp_process_data(self);
    int *v = malloc(sizeof *v);
    *v = b->hits;
    return cp_future_ready(v, free);
}

static int hits(const cp_upid_t *pid)
{
    cp_future_t *f = cp_dispatch_future(pid, hits_of, NULL, 0, NULL);
    CP_AWAIT_READY(f);
    int v = *(int *)cp_future_value(f);
    cp_future_unref(f);
    return v;
}

static void test_delay_dispatches_after_paused_clock_advances(void **state)
{
    box_t b = {0};
    cp_upid_t pid;
    cp_clock_pause();
    assert_int_equal(cp_process_spawn("delayed", NULL, &b, &pid), 0);
    assert_int_equal(cp_delay(10 * CP_NS_PER_SEC, &pid, hit, NULL, 0, NULL), 0);
    assert_int_equal(cp_clock_settle(), 0);
    assert_int_equal(hits(&pid), 0);
    assert_int_equal(cp_clock_advance(10 * CP_NS_PER_SEC), 0);
    assert_int_equal(cp_clock_settle(), 0);
    assert_int_equal(hits(&pid), 1);
}

static void arg_freed(void *args)
{
    (**(int **)args)++;
}

static void test_delay_to_process_gone_frees_args(void **state)
{
    int freed = 0;
    int *p = &freed;
    cp_upid_t pid;
    cp_clock_pause();
    assert_int_equal(cp_process_spawn("short", NULL, NULL, &pid), 0);
    assert_int_equal(cp_delay(CP_NS_PER_SEC, &pid, hit, &p, sizeof p, arg_freed), 0);
    assert_int_equal(cp_process_terminate(&pid, false), 0);
    assert_int_equal(cp_process_wait(&pid, CP_WAIT_FOREVER), 0);
    assert_int_equal(cp_clock_advance(CP_NS_PER_SEC), 0);
    assert_int_equal(cp_clock_settle(), 0);
    assert_int_equal(freed, 1);
}

/* delay -> dispatch -> spawn -> terminate, all done when settle returns. */
typedef struct chain {
    cp_upid_t child;
    int child_finalized;
} chain_t;

static void child_fini(cp_process_t *self)
{
    chain_t *c = cp_process_data(self);
    c->child_finalized = 1;
}

static const cp_process_ops_t child_ops = {.finalize = child_fini};

static void spawn_and_kill(cp_process_t *self, void *args)
{
    chain_t *c = cp_process_data(self);
    cp_upid_t child;
    if (cp_process_spawn(NULL, &child_ops, c, &child) == 0) {
        c->child = child;
        cp_process_terminate(&child, false);
    }
}

static void relay(cp_process_t *self, void *args)
{
    cp_upid_t me = cp_process_pid(self);
    cp_dispatch(&me, spawn_and_kill, NULL, 0, NULL);
}

static void test_settle_waits_for_delay_dispatch_spawn_terminate_chain(void **state)
{
    chain_t c = {0};
    cp_upid_t pid;
    cp_clock_pause();
    assert_int_equal(cp_process_spawn("chain", NULL, &c, &pid), 0);
    assert_int_equal(cp_delay(CP_NS_PER_MS, &pid, relay, NULL, 0, NULL), 0);
    assert_int_equal(cp_clock_advance(CP_NS_PER_MS), 0);
    assert_int_equal(cp_clock_settle(), 0);
    assert_int_equal(c.child_finalized, 1);
    assert_false(cp_process_exists(&c.child));
}

/* ---- after ----------------------------------------------------------------- */

static cp_future_t *timed_out(cp_future_t *f, void *arg)
{
    (*(int *)arg)++;
    return cp_future_failed("timed out");
}

static void test_after_fires_when_future_stays_pending(void **state)
{
    int calls = 0;
    cp_clock_pause();
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    cp_future_t *r = cp_future_after(f, 5 * 60 * CP_NS_PER_SEC, timed_out, &calls, NULL);
    assert_int_equal(cp_clock_settle(), 0);
    assert_true(cp_future_is_pending(r));
    assert_int_equal(cp_clock_advance(5 * 60 * CP_NS_PER_SEC), 0);
    assert_int_equal(cp_clock_settle(), 0);
    assert_true(cp_future_is_failed(r));
    assert_string_equal(cp_future_failure(r), "timed out");
    assert_int_equal(calls, 1);
    cp_promise_free(p);
    cp_future_unref(f);
    cp_future_unref(r);
}

static void test_after_is_cancelled_by_completion(void **state)
{
    int calls = 0;
    cp_clock_pause();
    cp_promise_t *p = cp_promise_new(free);
    cp_future_t *f = cp_promise_future(p);
    cp_future_t *r = cp_future_after(f, CP_NS_PER_SEC, timed_out, &calls, NULL);
    int *v = malloc(sizeof *v);
    *v = 3;
    cp_promise_set(p, v);
    assert_true(cp_future_is_ready(r));
    assert_int_equal(*(int *)cp_future_value(r), 3);
    assert_int_equal(cp_clock_advance(2 * CP_NS_PER_SEC), 0);
    assert_int_equal(cp_clock_settle(), 0);
    assert_int_equal(calls, 0);
    cp_promise_free(p);
    cp_future_unref(f);
    cp_future_unref(r);
}

static void test_after_pending_at_stop_does_not_leak(void **state)
{
    int calls = 0;
    cp_clock_pause();
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    cp_future_t *r = cp_future_after(f, CP_NS_PER_SEC, timed_out, &calls, NULL);
    cp_future_unref(r);
    cp_future_unref(f);
    cp_runtime_stop();
    cp_promise_free(p);
    assert_int_equal(calls, 0);
    assert_int_equal(cp_runtime_start(NULL), 0);
}

static void test_after_forwards_discard_to_source(void **state)
{
    int calls = 0;
    cp_clock_pause();
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    cp_future_t *r = cp_future_after(f, CP_NS_PER_SEC, timed_out, &calls, NULL);
    cp_future_discard(r);
    assert_true(cp_future_has_discard(f));
    cp_promise_discard(p);
    assert_true(cp_future_is_discarded(r));
    cp_promise_free(p);
    cp_future_unref(f);
    cp_future_unref(r);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, start, stop)
    const struct CMUnitTest tests[] = {
        T(test_paused_clock_stands_still_and_advances),
        T(test_runtime_can_start_paused),
        T(test_timer_fires_only_after_advance),
        T(test_timer_cancel_frees_argument),
        T(test_pending_timer_is_freed_at_stop),
        T(test_delay_dispatches_after_paused_clock_advances),
        T(test_delay_to_process_gone_frees_args),
        T(test_settle_waits_for_delay_dispatch_spawn_terminate_chain),
        T(test_after_fires_when_future_stays_pending),
        T(test_after_is_cancelled_by_completion),
        T(test_after_pending_at_stop_does_not_leak),
        T(test_after_forwards_discard_to_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

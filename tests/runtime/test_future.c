/* Futures and promises: libprocess's future_tests, one behaviour per case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include <cmocka.h>

#include "cproc/error.h"
#include "cproc/future.h"

/* ---- helpers -------------------------------------------------------- */

static int *int_new(int v)
{
    int *p = malloc(sizeof(*p));
    *p = v;
    return p;
}

static int int_of(cp_future_t *f)
{
    return *(int *)cp_future_value(f);
}

typedef struct log {
    char text[256];
} log_t;

static void log_append(cp_future_t *f, void *arg)
{
    /* arg is "log:tag" packed as a pair */
    void **pair = arg;
    log_t *log = pair[0];
    strcat(log->text, pair[1]);
}

static void **pair_new(log_t *log, const char *tag)
{
    void **p = malloc(2 * sizeof(void *));
    p[0] = log;
    p[1] = (void *)tag;
    return p;
}

static void counting_free(void *arg)
{
    (*(int *)arg)++;
}

static void count_call(cp_future_t *f, void *arg)
{
    (*(int *)arg) += 100;
}

/* ---- promise states ------------------------------------------------- */

static void test_future_set_makes_ready(void **state)
{
    cp_promise_t *p = cp_promise_new(free);
    cp_future_t *f = cp_promise_future(p);
    assert_true(cp_future_is_pending(f));
    assert_int_equal(cp_promise_set(p, int_new(42)), 0);
    assert_true(cp_future_is_ready(f));
    assert_int_equal(int_of(f), 42);
    cp_promise_free(p);
    assert_false(cp_future_is_abandoned(f));
    cp_future_unref(f);
}

static void test_future_set_twice_is_refused(void **state)
{
    cp_promise_t *p = cp_promise_new(free);
    assert_int_equal(cp_promise_set(p, int_new(1)), 0);
    int *second = int_new(2);
    assert_int_equal(cp_promise_set(p, second), CP_ESTATE);
    free(second);
    assert_int_equal(cp_promise_fail(p, "late"), CP_ESTATE);
    assert_int_equal(cp_promise_discard(p), CP_ESTATE);
    cp_promise_free(p);
}

static void test_future_fail_keeps_message(void **state)
{
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    assert_int_equal(cp_promise_fail(p, "broken %d", 7), 0);
    assert_true(cp_future_is_failed(f));
    assert_string_equal(cp_future_failure(f), "broken 7");
    assert_null(cp_future_value(f));
    cp_promise_free(p);
    cp_future_unref(f);
}

static void test_future_discard_completes_discarded(void **state)
{
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    cp_future_discard(f);
    assert_true(cp_future_has_discard(f));
    assert_true(cp_future_is_pending(f));
    assert_int_equal(cp_promise_discard(p), 0);
    assert_true(cp_future_is_discarded(f));
    cp_promise_free(p);
    cp_future_unref(f);
}

static void test_future_abandoned_when_promise_freed_pending(void **state)
{
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    int called = 0;
    cp_future_on_abandoned(f, count_call, &called, NULL);
    cp_promise_free(p);
    assert_true(cp_future_is_abandoned(f));
    assert_true(cp_future_is_pending(f));
    assert_int_equal(called, 100);
    /* Registered after the fact: runs at once. */
    cp_future_on_abandoned(f, count_call, &called, NULL);
    assert_int_equal(called, 200);
    cp_future_unref(f);
}

static void test_future_associate_follows_other_future(void **state)
{
    cp_promise_t *p1 = cp_promise_new(NULL);
    cp_promise_t *p2 = cp_promise_new(free);
    cp_future_t *f1 = cp_promise_future(p1);
    cp_future_t *f2 = cp_promise_future(p2);
    assert_int_equal(cp_promise_associate(p1, f2), 0);
    int *v = int_new(5);
    assert_int_equal(cp_promise_set(p1, v), CP_ESTATE);
    free(v);
    /* Discard on the associated future reaches the other one. */
    cp_future_discard(f1);
    assert_true(cp_future_has_discard(f2));
    cp_promise_set(p2, int_new(9));
    assert_true(cp_future_is_ready(f1));
    assert_int_equal(int_of(f1), 9);
    cp_promise_free(p1);
    assert_false(cp_future_is_abandoned(f1));
    cp_promise_free(p2);
    cp_future_unref(f1);
    cp_future_unref(f2);
}

static void test_future_associate_propagates_abandon(void **state)
{
    cp_promise_t *p1 = cp_promise_new(NULL);
    cp_promise_t *p2 = cp_promise_new(NULL);
    cp_future_t *f1 = cp_promise_future(p1);
    cp_future_t *f2 = cp_promise_future(p2);
    cp_promise_associate(p1, f2);
    cp_promise_free(p1);
    assert_false(cp_future_is_abandoned(f1));
    cp_promise_free(p2);
    assert_true(cp_future_is_abandoned(f1));
    cp_future_unref(f1);
    cp_future_unref(f2);
}

/* ---- callbacks ------------------------------------------------------ */

static void test_future_callbacks_run_specific_then_any_in_order(void **state)
{
    log_t log = {""};
    cp_promise_t *p = cp_promise_new(free);
    cp_future_t *f = cp_promise_future(p);
    cp_future_on_any(f, log_append, pair_new(&log, "A1"), free);
    cp_future_on_ready(f, log_append, pair_new(&log, "R1"), free);
    cp_future_on_failed(f, log_append, pair_new(&log, "F1"), free);
    cp_future_on_any(f, log_append, pair_new(&log, "A2"), free);
    cp_future_on_ready(f, log_append, pair_new(&log, "R2"), free);
    cp_promise_set(p, int_new(1));
    assert_string_equal(log.text, "R1R2A1A2");
    cp_promise_free(p);
    cp_future_unref(f);
}

static void test_future_on_any_runs_at_once_when_complete(void **state)
{
    cp_future_t *f = cp_future_failed("x");
    int called = 0;
    cp_future_on_any(f, count_call, &called, NULL);
    assert_int_equal(called, 100);
    cp_future_on_ready(f, count_call, &called, NULL);
    assert_int_equal(called, 100);
    cp_future_on_failed(f, count_call, &called, NULL);
    assert_int_equal(called, 200);
    cp_future_unref(f);
}

static void test_future_callback_arg_freed_once_whether_run_or_not(void **state)
{
    int freed = 0;
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    for (int i = 0; i < 10; i++) {
        cp_future_on_ready(f, count_call, &freed, counting_free);
        cp_future_on_failed(f, count_call, &freed, counting_free);
    }
    cp_promise_fail(p, "no");
    /* 10 failed callbacks ran (100 each) and all 20 args were freed. */
    assert_int_equal(freed, 10 * 100 + 20);
    cp_promise_free(p);
    cp_future_unref(f);

    freed = 0;
    p = cp_promise_new(NULL);
    f = cp_promise_future(p);
    cp_future_on_ready(f, count_call, &freed, counting_free);
    cp_future_unref(f);
    cp_promise_free(p); /* abandoned, never completes: dropped when freed */
    assert_int_equal(freed, 1);
}

static void test_future_on_discard_runs_on_request_only_once(void **state)
{
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    int called = 0;
    cp_future_on_discard(f, count_call, &called, NULL);
    cp_future_discard(f);
    cp_future_discard(f);
    assert_int_equal(called, 100);
    cp_promise_free(p);
    cp_future_unref(f);
}

static void test_future_discard_request_ignored_when_complete(void **state)
{
    cp_future_t *f = cp_future_ready(int_new(1), free);
    int called = 0;
    cp_future_on_discard(f, count_call, &called, NULL);
    cp_future_discard(f);
    assert_false(cp_future_has_discard(f));
    assert_int_equal(called, 0);
    cp_future_unref(f);
}

/* ---- then ----------------------------------------------------------- */

static cp_future_t *plus_one(void *value, void *arg)
{
    return cp_future_ready(int_new(*(int *)value + 1), free);
}

static cp_future_t *to_pending(void *value, void *arg)
{
    return cp_promise_future(arg);
}

static cp_future_t *must_not_run(void *value, void *arg)
{
    fail_msg("continuation ran");
    return NULL;
}

static void test_future_then_with_value_callback(void **state)
{
    cp_future_t *f = cp_future_ready(int_new(1), free);
    cp_future_t *g = cp_future_then(f, plus_one, NULL, NULL);
    cp_future_t *h = cp_future_then(g, plus_one, NULL, NULL);
    assert_true(cp_future_is_ready(h));
    assert_int_equal(int_of(h), 3);
    cp_future_unref(f);
    cp_future_unref(g);
    cp_future_unref(h);
}

static void test_future_then_with_future_callback(void **state)
{
    cp_promise_t *inner = cp_promise_new(free);
    cp_promise_t *p = cp_promise_new(free);
    cp_future_t *f = cp_promise_future(p);
    cp_future_t *g = cp_future_then(f, to_pending, inner, NULL);
    cp_promise_set(p, int_new(1));
    assert_true(cp_future_is_pending(g));
    cp_promise_set(inner, int_new(77));
    assert_true(cp_future_is_ready(g));
    assert_int_equal(int_of(g), 77);
    cp_promise_free(inner);
    cp_promise_free(p);
    cp_future_unref(f);
    cp_future_unref(g);
}

static void test_future_then_skips_callback_on_failure(void **state)
{
    cp_future_t *f = cp_future_failed("boom");
    cp_future_t *g = cp_future_then(f, must_not_run, NULL, NULL);
    cp_future_t *h = cp_future_then(g, must_not_run, NULL, NULL);
    assert_true(cp_future_is_failed(h));
    assert_string_equal(cp_future_failure(h), "boom");
    cp_future_unref(f);
    cp_future_unref(g);
    cp_future_unref(h);
}

static void test_future_then_passes_discarded_through(void **state)
{
    cp_future_t *f = cp_future_discarded();
    cp_future_t *g = cp_future_then(f, must_not_run, NULL, NULL);
    assert_true(cp_future_is_discarded(g));
    cp_future_unref(f);
    cp_future_unref(g);
}

static void test_future_then_passes_abandoned_through(void **state)
{
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    cp_future_t *g = cp_future_then(f, must_not_run, NULL, NULL);
    cp_promise_free(p);
    assert_true(cp_future_is_abandoned(g));
    cp_future_unref(f);
    cp_future_unref(g);
}

static cp_future_t *null_continuation(void *value, void *arg)
{
    return NULL;
}

static void test_future_then_fails_when_continuation_returns_null(void **state)
{
    cp_future_t *f = cp_future_ready(NULL, NULL);
    cp_future_t *g = cp_future_then(f, null_continuation, NULL, NULL);
    assert_true(cp_future_is_failed(g));
    assert_string_equal(cp_future_failure(g), "continuation returned NULL");
    cp_future_unref(f);
    cp_future_unref(g);
}

/* Discard propagation: the three cases of libprocess's
 * FutureTest.DiscardedFuture* / Then discard tests. */
static void test_future_discard_propagates_to_source(void **state)
{
    cp_promise_t *p = cp_promise_new(free);
    cp_future_t *f = cp_promise_future(p);
    cp_future_t *g = cp_future_then(f, plus_one, NULL, NULL);
    cp_future_discard(g);
    assert_true(cp_future_has_discard(f));
    cp_promise_discard(p);
    assert_true(cp_future_is_discarded(g));
    cp_promise_free(p);
    cp_future_unref(f);
    cp_future_unref(g);
}

static void test_future_discard_before_value_makes_then_discarded(void **state)
{
    cp_promise_t *p = cp_promise_new(free);
    cp_future_t *f = cp_promise_future(p);
    cp_future_t *g = cp_future_then(f, must_not_run, NULL, NULL);
    cp_future_discard(g);
    cp_promise_set(p, int_new(1)); /* producer ignored the request */
    assert_true(cp_future_is_discarded(g));
    cp_promise_free(p);
    cp_future_unref(f);
    cp_future_unref(g);
}

static void test_future_discard_reaches_future_returned_by_continuation(void **state)
{
    cp_promise_t *inner = cp_promise_new(NULL);
    cp_future_t *inner_f = cp_promise_future(inner);
    cp_future_t *f = cp_future_ready(int_new(1), free);
    cp_future_t *g = cp_future_then(f, to_pending, inner, NULL);
    cp_future_discard(g);
    assert_true(cp_future_has_discard(inner_f));
    cp_promise_discard(inner);
    assert_true(cp_future_is_discarded(g));
    cp_promise_free(inner);
    cp_future_unref(inner_f);
    cp_future_unref(f);
    cp_future_unref(g);
}

static void test_future_undiscardable_stops_discard(void **state)
{
    cp_promise_t *p = cp_promise_new(free);
    cp_future_t *f = cp_promise_future(p);
    cp_future_t *u = cp_future_undiscardable(f);
    cp_future_discard(u);
    assert_false(cp_future_has_discard(f));
    cp_promise_set(p, int_new(4));
    assert_int_equal(int_of(u), 4);
    cp_promise_free(p);
    cp_future_unref(f);
    cp_future_unref(u);
}

/* ---- repair / recover ---------------------------------------------- */

static cp_future_t *repair_to_zero(const char *failure, void *arg)
{
    assert_string_equal(failure, "bad");
    return cp_future_ready(int_new(0), free);
}

static cp_future_t *recover_to_minus_one(cp_future_t *f, void *arg)
{
    (*(int *)arg)++;
    return cp_future_ready(int_new(-1), free);
}

static void test_future_repair_replaces_failure(void **state)
{
    cp_future_t *f = cp_future_failed("bad");
    cp_future_t *g = cp_future_repair(f, repair_to_zero, NULL, NULL);
    assert_int_equal(int_of(g), 0);
    cp_future_t *ok = cp_future_ready(int_new(3), free);
    cp_future_t *h = cp_future_repair(ok, repair_to_zero, NULL, NULL);
    assert_int_equal(int_of(h), 3);
    cp_future_t *d = cp_future_discarded();
    cp_future_t *k = cp_future_repair(d, repair_to_zero, NULL, NULL);
    assert_true(cp_future_is_discarded(k));
    cp_future_unref(f);
    cp_future_unref(g);
    cp_future_unref(ok);
    cp_future_unref(h);
    cp_future_unref(d);
    cp_future_unref(k);
}

static void test_future_recover_on_failed(void **state)
{
    int calls = 0;
    cp_future_t *f = cp_future_failed("x");
    cp_future_t *g = cp_future_recover(f, recover_to_minus_one, &calls, NULL);
    assert_int_equal(int_of(g), -1);
    assert_int_equal(calls, 1);
    cp_future_unref(f);
    cp_future_unref(g);
}

static void test_future_recover_on_discarded(void **state)
{
    int calls = 0;
    cp_future_t *f = cp_future_discarded();
    cp_future_t *g = cp_future_recover(f, recover_to_minus_one, &calls, NULL);
    assert_int_equal(int_of(g), -1);
    cp_future_unref(f);
    cp_future_unref(g);
}

static void test_future_recover_on_abandoned(void **state)
{
    int calls = 0;
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    cp_future_t *g = cp_future_recover(f, recover_to_minus_one, &calls, NULL);
    cp_promise_free(p);
    assert_int_equal(int_of(g), -1);
    assert_int_equal(calls, 1);
    cp_future_unref(f);
    cp_future_unref(g);
}

static void test_future_recover_skipped_when_ready(void **state)
{
    int calls = 0;
    cp_future_t *f = cp_future_ready(int_new(8), free);
    cp_future_t *g = cp_future_recover(f, recover_to_minus_one, &calls, NULL);
    assert_int_equal(int_of(g), 8);
    assert_int_equal(calls, 0);
    cp_future_unref(f);
    cp_future_unref(g);
}

/* ---- more libprocess behaviours ------------------------------------ */

static void test_future_chain_through_failure_reaches_repair(void **state)
{
    cp_promise_t *p = cp_promise_new(free);
    cp_future_t *f = cp_promise_future(p);
    cp_future_t *g = cp_future_then(f, must_not_run, NULL, NULL);
    cp_future_t *h = cp_future_then(g, must_not_run, NULL, NULL);
    cp_future_t *r = cp_future_repair(h, repair_to_zero, NULL, NULL);
    assert_true(cp_future_is_pending(r));
    cp_promise_fail(p, "bad");
    assert_true(cp_future_is_failed(g));
    assert_string_equal(cp_future_failure(h), "bad");
    assert_int_equal(int_of(r), 0);
    cp_promise_free(p);
    cp_future_unref(f);
    cp_future_unref(g);
    cp_future_unref(h);
    cp_future_unref(r);
}

static void test_future_then_arg_freed_once_whether_run_or_not(void **state)
{
    int freed = 0;
    cp_future_t *ok = cp_future_ready(int_new(1), free);
    cp_future_t *bad = cp_future_failed("no");
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *pending = cp_promise_future(p);
    cp_future_t *a = cp_future_then(ok, plus_one, &freed, counting_free);
    cp_future_t *b = cp_future_then(bad, must_not_run, &freed, counting_free);
    cp_future_t *c = cp_future_recover(pending, recover_to_minus_one, &freed, counting_free);
    cp_future_t *d = cp_future_then(NULL, plus_one, &freed, counting_free);
    assert_int_equal(freed, 3);
    assert_true(cp_future_is_failed(d));
    cp_future_unref(c);
    cp_future_unref(pending);
    assert_int_equal(freed, 3); /* the step still waits on p */
    cp_promise_free(p);         /* abandoned: recover runs (+1), then its arg goes */
    assert_int_equal(freed, 5);
    cp_future_unref(ok);
    cp_future_unref(bad);
    cp_future_unref(a);
    cp_future_unref(b);
    cp_future_unref(d);
}

static void test_future_value_shared_along_associate_chain(void **state)
{
    cp_promise_t *p[3];
    cp_future_t *f[3];
    for (int i = 0; i < 3; i++) {
        p[i] = cp_promise_new(free);
        f[i] = cp_promise_future(p[i]);
    }
    cp_promise_associate(p[0], f[1]);
    cp_promise_associate(p[1], f[2]);
    int *v = int_new(31);
    cp_promise_set(p[2], v);
    /* No copies: every follower hands out the owner's value. */
    assert_ptr_equal(cp_future_value(f[0]), v);
    assert_ptr_equal(cp_future_value(f[1]), v);
    for (int i = 2; i >= 0; i--) {
        cp_promise_free(p[i]);
        cp_future_unref(f[i]);
    }
}

static void test_future_associate_forwards_earlier_discard(void **state)
{
    cp_promise_t *p1 = cp_promise_new(NULL);
    cp_promise_t *p2 = cp_promise_new(NULL);
    cp_future_t *f1 = cp_promise_future(p1);
    cp_future_t *f2 = cp_promise_future(p2);
    cp_future_discard(f1);
    cp_promise_associate(p1, f2);
    assert_true(cp_future_has_discard(f2));
    cp_promise_discard(p2);
    assert_true(cp_future_is_discarded(f1));
    assert_int_equal(cp_promise_associate(p1, f2), CP_ESTATE);
    cp_promise_free(p1);
    cp_promise_free(p2);
    cp_future_unref(f1);
    cp_future_unref(f2);
}

static void test_future_null_arguments_give_errors(void **state)
{
    int freed = 0;
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    assert_int_equal(cp_future_on_ready(NULL, count_call, &freed, counting_free), CP_EINVAL);
    assert_int_equal(cp_future_on_any(f, NULL, &freed, counting_free), CP_EINVAL);
    assert_int_equal(freed, 2);
    assert_int_equal(cp_promise_set(NULL, NULL), CP_EINVAL);
    assert_int_equal(cp_promise_fail(NULL, "x"), CP_EINVAL);
    assert_int_equal(cp_promise_discard(NULL), CP_EINVAL);
    assert_int_equal(cp_promise_associate(p, NULL), CP_EINVAL);
    assert_int_equal(cp_promise_associate(p, f), CP_EINVAL);
    cp_future_t *g = cp_future_then(f, NULL, NULL, NULL);
    assert_string_equal(cp_future_failure(g), "cp_future_then: NULL future or function");
    cp_future_t *u = cp_future_undiscardable(NULL);
    assert_true(cp_future_is_failed(u));
    assert_null(cp_promise_future(NULL));
    cp_future_discard(NULL);
    cp_future_unref(NULL);
    cp_promise_free(NULL);
    assert_true(cp_future_is_pending(f));
    cp_promise_free(p);
    cp_future_unref(f);
    cp_future_unref(g);
    cp_future_unref(u);
}

static void test_future_many_callbacks_keep_registration_order(void **state)
{
    static const char *tags[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    log_t log = {""};
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    for (int i = 0; i < 10; i++)
        cp_future_on_ready(f, log_append, pair_new(&log, tags[i]), free);
    cp_promise_set(p, NULL);
    assert_string_equal(log.text, "0123456789");
    cp_promise_free(p);
    cp_future_unref(f);
}

static void register_more(cp_future_t *f, void *arg)
{
    cp_future_on_ready(f, count_call, arg, NULL);
}

static void test_future_callback_may_register_callbacks(void **state)
{
    int called = 0;
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    cp_future_on_ready(f, register_more, &called, NULL);
    cp_promise_set(p, NULL);
    assert_int_equal(called, 100);
    cp_promise_free(p);
    cp_future_unref(f);
}

static void drop_handle(cp_future_t *f, void *arg)
{
    cp_future_unref(arg);
}

static void test_future_callback_may_drop_last_handle(void **state)
{
    cp_promise_t *p = cp_promise_new(free);
    cp_future_t *f = cp_promise_future(p);
    cp_future_on_ready(f, drop_handle, f, NULL); /* the callback owns f */
    cp_promise_set(p, int_new(1));
    cp_promise_free(p);
}

static void test_future_abandon_drops_other_callbacks_at_once(void **state)
{
    int freed = 0;
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    cp_future_on_ready(f, count_call, &freed, counting_free);
    cp_future_on_discard(f, count_call, &freed, counting_free);
    cp_promise_free(p);
    assert_int_equal(freed, 2);
    cp_future_on_any(f, count_call, &freed, counting_free);
    assert_int_equal(freed, 3);
    cp_future_unref(f);
}

static void test_future_promise_free_after_set_keeps_value(void **state)
{
    cp_promise_t *p = cp_promise_new(free);
    cp_future_t *f = cp_promise_future(p);
    cp_promise_set(p, int_new(12));
    cp_promise_free(p);
    assert_false(cp_future_is_abandoned(f));
    assert_int_equal(int_of(f), 12);
    cp_future_unref(f);
}

static void test_future_state_names(void **state)
{
    assert_string_equal(cp_future_state_name(CP_FUTURE_PENDING), "PENDING");
    assert_string_equal(cp_future_state_name(CP_FUTURE_READY), "READY");
    assert_string_equal(cp_future_state_name(CP_FUTURE_FAILED), "FAILED");
    assert_string_equal(cp_future_state_name(CP_FUTURE_DISCARDED), "DISCARDED");
}

/* ---- threads -------------------------------------------------------- */

#define THREADS 4
#define PER_THREAD 2000

static cp_promise_t *promises[THREADS * PER_THREAD];

static void *complete_some(void *arg)
{
    intptr_t t = (intptr_t)arg;
    for (int i = 0; i < PER_THREAD; i++)
        cp_promise_set(promises[t * PER_THREAD + i], int_new(i));
    return NULL;
}

static void add_value(cp_future_t *f, void *arg)
{
    __atomic_add_fetch((long *)arg, *(int *)cp_future_value(f), __ATOMIC_RELAXED);
}

static void test_future_completion_from_other_threads_runs_each_callback_once(void **state)
{
    long sum = 0;
    cp_future_t *futures[THREADS * PER_THREAD];
    for (int i = 0; i < THREADS * PER_THREAD; i++) {
        promises[i] = cp_promise_new(free);
        futures[i] = cp_promise_future(promises[i]);
    }
    pthread_t threads[THREADS];
    for (intptr_t t = 0; t < THREADS; t++)
        pthread_create(&threads[t], NULL, complete_some, (void *)t);
    /* Register while the other threads complete. */
    for (int i = 0; i < THREADS * PER_THREAD; i++)
        cp_future_on_ready(futures[i], add_value, &sum, NULL);
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    long expected = (long)THREADS * (PER_THREAD - 1) * PER_THREAD / 2;
    assert_int_equal(__atomic_load_n(&sum, __ATOMIC_RELAXED), expected);
    for (int i = 0; i < THREADS * PER_THREAD; i++) {
        cp_promise_free(promises[i]);
        cp_future_unref(futures[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_future_set_makes_ready),
        cmocka_unit_test(test_future_set_twice_is_refused),
        cmocka_unit_test(test_future_fail_keeps_message),
        cmocka_unit_test(test_future_discard_completes_discarded),
        cmocka_unit_test(test_future_abandoned_when_promise_freed_pending),
        cmocka_unit_test(test_future_associate_follows_other_future),
        cmocka_unit_test(test_future_associate_propagates_abandon),
        cmocka_unit_test(test_future_callbacks_run_specific_then_any_in_order),
        cmocka_unit_test(test_future_on_any_runs_at_once_when_complete),
        cmocka_unit_test(test_future_callback_arg_freed_once_whether_run_or_not),
        cmocka_unit_test(test_future_on_discard_runs_on_request_only_once),
        cmocka_unit_test(test_future_discard_request_ignored_when_complete),
        cmocka_unit_test(test_future_then_with_value_callback),
        cmocka_unit_test(test_future_then_with_future_callback),
        cmocka_unit_test(test_future_then_skips_callback_on_failure),
        cmocka_unit_test(test_future_then_passes_discarded_through),
        cmocka_unit_test(test_future_then_passes_abandoned_through),
        cmocka_unit_test(test_future_then_fails_when_continuation_returns_null),
        cmocka_unit_test(test_future_discard_propagates_to_source),
        cmocka_unit_test(test_future_discard_before_value_makes_then_discarded),
        cmocka_unit_test(test_future_discard_reaches_future_returned_by_continuation),
        cmocka_unit_test(test_future_undiscardable_stops_discard),
        cmocka_unit_test(test_future_repair_replaces_failure),
        cmocka_unit_test(test_future_recover_on_failed),
        cmocka_unit_test(test_future_recover_on_discarded),
        cmocka_unit_test(test_future_recover_on_abandoned),
        cmocka_unit_test(test_future_recover_skipped_when_ready),
        cmocka_unit_test(test_future_chain_through_failure_reaches_repair),
        cmocka_unit_test(test_future_then_arg_freed_once_whether_run_or_not),
        cmocka_unit_test(test_future_value_shared_along_associate_chain),
        cmocka_unit_test(test_future_associate_forwards_earlier_discard),
        cmocka_unit_test(test_future_null_arguments_give_errors),
        cmocka_unit_test(test_future_many_callbacks_keep_registration_order),
        cmocka_unit_test(test_future_callback_may_register_callbacks),
        cmocka_unit_test(test_future_callback_may_drop_last_handle),
        cmocka_unit_test(test_future_abandon_drops_other_callbacks_at_once),
        cmocka_unit_test(test_future_promise_free_after_set_keeps_value),
        cmocka_unit_test(test_future_state_names),
        cmocka_unit_test(test_future_completion_from_other_threads_runs_each_callback_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

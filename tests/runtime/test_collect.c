/* collect, await, select: libprocess's collect_tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <pthread.h>

#include <cmocka.h>

#include "cproc/collect.h"
#include "cproc/future.h"

#define N 3

static int *int_new(int v)
{
    int *p = malloc(sizeof(*p));
    *p = v;
    return p;
}

typedef struct fixture {
    cp_promise_t *p[N];
    cp_future_t *f[N];
} fixture_t;

static void fixture_init(fixture_t *x)
{
    for (int i = 0; i < N; i++) {
        x->p[i] = cp_promise_new(free);
        x->f[i] = cp_promise_future(x->p[i]);
    }
}

static void fixture_close(fixture_t *x)
{
    for (int i = 0; i < N; i++) {
        cp_promise_free(x->p[i]);
        cp_future_unref(x->f[i]);
    }
}

static void test_collect_ready_gives_values_in_input_order(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *c = cp_future_collect(x.f, N);
    cp_promise_set(x.p[2], int_new(30));
    cp_promise_set(x.p[0], int_new(10));
    assert_true(cp_future_is_pending(c));
    cp_promise_set(x.p[1], int_new(20));
    assert_true(cp_future_is_ready(c));
    cp_collected_t *v = cp_future_value(c);
    assert_int_equal(v->count, N);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(*(int *)cp_collected_value(v, i), 10 * (int)(i + 1));
    cp_future_unref(c);
    fixture_close(&x);
}

static void test_collect_of_nothing_is_ready(void **state)
{
    cp_future_t *c = cp_future_collect(NULL, 0);
    assert_true(cp_future_is_ready(c));
    assert_int_equal(((cp_collected_t *)cp_future_value(c))->count, 0);
    cp_future_unref(c);
}

static void test_collect_fails_on_first_failure(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *c = cp_future_collect(x.f, N);
    cp_promise_set(x.p[0], int_new(1));
    cp_promise_fail(x.p[1], "second failed");
    assert_true(cp_future_is_failed(c));
    assert_string_equal(cp_future_failure(c), "Collect failed: second failed");
    cp_future_unref(c);
    fixture_close(&x);
}

static void test_collect_discarded_when_an_input_is_discarded(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *c = cp_future_collect(x.f, N);
    cp_promise_discard(x.p[2]);
    assert_true(cp_future_is_discarded(c));
    cp_future_unref(c);
    fixture_close(&x);
}

static void test_collect_discard_propagates_to_every_input(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *c = cp_future_collect(x.f, N);
    cp_future_discard(c);
    for (int i = 0; i < N; i++)
        assert_true(cp_future_has_discard(x.f[i]));
    cp_future_unref(c);
    fixture_close(&x);
}

static void test_collect_result_discarded_at_once_on_discard(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *c = cp_future_collect(x.f, N);
    cp_future_discard(c);
    assert_true(cp_future_is_discarded(c));
    /* Inputs completing later change nothing. */
    for (int i = 0; i < N; i++)
        cp_promise_set(x.p[i], int_new(i));
    assert_true(cp_future_is_discarded(c));
    cp_future_unref(c);
    fixture_close(&x);
}

static void test_collect_keeps_inputs_alive_after_caller_unrefs_them(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *c = cp_future_collect(x.f, N);
    for (int i = 0; i < N; i++) {
        cp_future_unref(x.f[i]);
        x.f[i] = NULL;
        cp_promise_set(x.p[i], int_new(7 * i));
        cp_promise_free(x.p[i]);
        x.p[i] = NULL;
    }
    assert_int_equal(*(int *)cp_collected_value(cp_future_value(c), 2), 14);
    cp_future_unref(c);
}

static void test_collect_rejects_null_input(void **state)
{
    cp_future_t *ok = cp_future_ready(NULL, NULL);
    cp_future_t *in[2] = {ok, NULL};
    cp_future_t *c = cp_future_collect(in, 2);
    assert_true(cp_future_is_failed(c));
    assert_string_equal(cp_future_failure(c), "cp_future_collect: NULL future in the input");
    cp_future_t *d = cp_future_await(NULL, 3);
    assert_true(cp_future_is_failed(d));
    cp_future_unref(c);
    cp_future_unref(d);
    cp_future_unref(ok);
}

static void test_collect_abandoned_when_an_input_is_abandoned(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *c = cp_future_collect(x.f, N);
    cp_promise_free(x.p[1]);
    x.p[1] = NULL;
    assert_true(cp_future_is_abandoned(c));
    cp_future_unref(c);
    fixture_close(&x);
}

static void test_await_completes_with_all_states(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *a = cp_future_await(x.f, N);
    cp_promise_set(x.p[0], int_new(1));
    cp_promise_fail(x.p[1], "failed");
    assert_true(cp_future_is_pending(a));
    cp_promise_discard(x.p[2]);
    assert_true(cp_future_is_ready(a));
    cp_collected_t *v = cp_future_value(a);
    assert_true(cp_future_is_ready(v->futures[0]));
    assert_true(cp_future_is_failed(v->futures[1]));
    assert_true(cp_future_is_discarded(v->futures[2]));
    assert_null(cp_collected_value(v, 1));
    cp_future_unref(a);
    fixture_close(&x);
}

static void test_await_success(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *a = cp_future_await(x.f, N);
    for (int i = 0; i < N; i++)
        cp_promise_set(x.p[i], int_new(i));
    assert_true(cp_future_is_ready(a));
    assert_int_equal(*(int *)cp_collected_value(cp_future_value(a), 2), 2);
    cp_future_unref(a);
    fixture_close(&x);
}

static void test_await_discard_propagates_and_discards_result_at_once(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *a = cp_future_await(x.f, N);
    cp_future_discard(a);
    for (int i = 0; i < N; i++)
        assert_true(cp_future_has_discard(x.f[i]));
    /* The producers ignore the request; the await still lets go. */
    assert_true(cp_future_is_discarded(a));
    cp_future_unref(a);
    fixture_close(&x);
}

static void test_await_ready_even_when_inputs_fail(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *a = cp_future_await(x.f, N);
    for (int i = 0; i < N; i++)
        cp_promise_fail(x.p[i], "failure %d", i);
    assert_true(cp_future_is_ready(a));
    cp_collected_t *v = cp_future_value(a);
    assert_string_equal(cp_future_failure(cp_collected_future(v, 2)), "failure 2");
    assert_null(cp_collected_future(v, N));
    cp_future_unref(a);
    fixture_close(&x);
}

static void test_await_ready_when_inputs_discarded(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *a = cp_future_await(x.f, N);
    for (int i = 0; i < N; i++)
        cp_promise_discard(x.p[i]);
    assert_true(cp_future_is_ready(a));
    assert_true(cp_future_is_discarded(cp_collected_future(cp_future_value(a), 0)));
    cp_future_unref(a);
    fixture_close(&x);
}

static void test_await_abandoned_when_an_input_is_abandoned(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *a = cp_future_await(x.f, N);
    cp_promise_set(x.p[0], int_new(0));
    cp_promise_free(x.p[2]);
    x.p[2] = NULL;
    assert_true(cp_future_is_abandoned(a));
    cp_future_unref(a);
    fixture_close(&x);
}

static void test_select_gives_first_completed(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *s = cp_future_select(x.f, N);
    cp_promise_set(x.p[1], int_new(11));
    cp_promise_set(x.p[0], int_new(10));
    assert_true(cp_future_is_ready(s));
    cp_future_t *first = cp_future_value(s);
    assert_ptr_equal(first, x.f[1]);
    assert_int_equal(*(int *)cp_future_value(first), 11);
    cp_future_unref(s);
    fixture_close(&x);
}

static void test_select_ignores_failed_and_discarded_inputs(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *s = cp_future_select(x.f, N);
    cp_promise_fail(x.p[0], "no");
    cp_promise_discard(x.p[1]);
    assert_true(cp_future_is_pending(s));
    cp_promise_set(x.p[2], int_new(2));
    assert_ptr_equal(cp_future_value(s), x.f[2]);
    cp_future_unref(s);
    fixture_close(&x);
}

static void test_select_abandoned_when_no_input_can_become_ready(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *s = cp_future_select(x.f, N);
    cp_promise_fail(x.p[0], "no");
    cp_promise_free(x.p[1]);
    x.p[1] = NULL;
    assert_false(cp_future_is_abandoned(s));
    cp_promise_discard(x.p[2]);
    assert_true(cp_future_is_abandoned(s));
    cp_future_unref(s);
    fixture_close(&x);
}

static void test_select_discard_discards_result_only(void **state)
{
    fixture_t x;
    fixture_init(&x);
    cp_future_t *s = cp_future_select(x.f, N);
    cp_future_discard(s);
    assert_true(cp_future_is_discarded(s));
    for (int i = 0; i < N; i++)
        assert_false(cp_future_has_discard(x.f[i]));
    cp_future_unref(s);
    fixture_close(&x);
}

static void test_select_ready_at_once_when_an_input_is_ready(void **state)
{
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *in[2] = {cp_promise_future(p), cp_future_ready(int_new(5), free)};
    cp_future_t *s = cp_future_select(in, 2);
    assert_int_equal(*(int *)cp_future_value(cp_future_value(s)), 5);
    cp_future_unref(s);
    cp_promise_free(p);
    cp_future_unref(in[0]);
    cp_future_unref(in[1]);
}

static void test_select_of_nothing_fails(void **state)
{
    cp_future_t *s = cp_future_select(NULL, 0);
    assert_true(cp_future_is_failed(s));
    cp_future_unref(s);
}

/* Inputs completed from several threads while collect/await register:
 * every value arrives once, in input order (for TSan). */
#define MT_THREADS 3
#define MT_INPUTS 600

static cp_promise_t *mt_promises[MT_INPUTS];

static void *mt_complete(void *arg)
{
    intptr_t t = (intptr_t)arg;
    for (int i = (int)t; i < MT_INPUTS; i += MT_THREADS)
        cp_promise_set(mt_promises[i], int_new(i));
    return NULL;
}

static void test_collect_from_other_threads(void **state)
{
    cp_future_t *in[MT_INPUTS];
    for (int i = 0; i < MT_INPUTS; i++) {
        mt_promises[i] = cp_promise_new(free);
        in[i] = cp_promise_future(mt_promises[i]);
    }
    pthread_t th[MT_THREADS];
    for (intptr_t t = 0; t < MT_THREADS; t++)
        pthread_create(&th[t], NULL, mt_complete, (void *)t);
    cp_future_t *c = cp_future_collect(in, MT_INPUTS);
    cp_future_t *a = cp_future_await(in, MT_INPUTS);
    for (int t = 0; t < MT_THREADS; t++)
        pthread_join(th[t], NULL);
    assert_true(cp_future_is_ready(c));
    assert_true(cp_future_is_ready(a));
    for (int i = 0; i < MT_INPUTS; i++)
        assert_int_equal(*(int *)cp_collected_value(cp_future_value(c), (size_t)i), i);
    cp_future_unref(c);
    cp_future_unref(a);
    for (int i = 0; i < MT_INPUTS; i++) {
        cp_promise_free(mt_promises[i]);
        cp_future_unref(in[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collect_ready_gives_values_in_input_order),
        cmocka_unit_test(test_collect_of_nothing_is_ready),
        cmocka_unit_test(test_collect_fails_on_first_failure),
        cmocka_unit_test(test_collect_discarded_when_an_input_is_discarded),
        cmocka_unit_test(test_collect_discard_propagates_to_every_input),
        cmocka_unit_test(test_collect_result_discarded_at_once_on_discard),
        cmocka_unit_test(test_collect_keeps_inputs_alive_after_caller_unrefs_them),
        cmocka_unit_test(test_collect_rejects_null_input),
        cmocka_unit_test(test_collect_abandoned_when_an_input_is_abandoned),
        cmocka_unit_test(test_await_completes_with_all_states),
        cmocka_unit_test(test_await_success),
        cmocka_unit_test(test_await_discard_propagates_and_discards_result_at_once),
        cmocka_unit_test(test_await_ready_even_when_inputs_fail),
        cmocka_unit_test(test_await_ready_when_inputs_discarded),
        cmocka_unit_test(test_await_abandoned_when_an_input_is_abandoned),
        cmocka_unit_test(test_collect_from_other_threads),
        cmocka_unit_test(test_select_gives_first_completed),
        cmocka_unit_test(test_select_ignores_failed_and_discarded_inputs),
        cmocka_unit_test(test_select_abandoned_when_no_input_can_become_ready),
        cmocka_unit_test(test_select_discard_discards_result_only),
        cmocka_unit_test(test_select_ready_at_once_when_an_input_is_ready),
        cmocka_unit_test(test_select_of_nothing_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

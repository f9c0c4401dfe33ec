/* cp_loop: libprocess's loop_tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <pthread.h>

#include <cmocka.h>

#include "cproc/future.h"
#include "cproc/loop.h"

typedef struct counter {
    long i, limit;
    cp_promise_t *pending; /* when set, iterate waits on it */
    int freed;
} counter_t;

static cp_future_t *iterate_count(void *arg)
{
    counter_t *c = arg;
    if (c->pending != NULL)
        return cp_promise_future(c->pending);
    c->i++;
    return cp_future_ready(NULL, NULL);
}

static cp_future_t *body_until_limit(void *item, void *arg)
{
    counter_t *c = arg;
    if (c->i >= c->limit) {
        long *v = malloc(sizeof(*v));
        *v = c->i;
        return cp_loop_break(v, free);
    }
    return cp_loop_continue();
}

static void mark_freed(void *arg)
{
    ((counter_t *)arg)->freed++;
}

static void test_loop_sync_runs_a_million_steps_without_stack_growth(void **state)
{
    counter_t c = {.limit = 1000000};
    cp_future_t *f = cp_loop(iterate_count, body_until_limit, &c, mark_freed);
    assert_true(cp_future_is_ready(f));
    assert_int_equal(*(long *)cp_future_value(f), 1000000);
    assert_int_equal(c.freed, 1);
    cp_future_unref(f);
}

static void test_loop_async_waits_for_each_step(void **state)
{
    counter_t c = {.limit = 3};
    c.pending = cp_promise_new(NULL);
    cp_future_t *f = cp_loop(iterate_count, body_until_limit, &c, NULL);
    assert_true(cp_future_is_pending(f));
    for (int step = 0; step < 3; step++) {
        cp_promise_t *p = c.pending;
        c.i++;
        c.pending = step < 2 ? cp_promise_new(NULL) : NULL;
        cp_promise_set(p, NULL);
        cp_promise_free(p);
    }
    assert_true(cp_future_is_ready(f));
    assert_int_equal(*(long *)cp_future_value(f), 3);
    cp_future_unref(f);
}

static void test_loop_discard_reaches_waiting_step(void **state)
{
    counter_t c = {.limit = 10};
    c.pending = cp_promise_new(NULL);
    cp_future_t *step = cp_promise_future(c.pending);
    cp_future_t *f = cp_loop(iterate_count, body_until_limit, &c, NULL);
    cp_future_discard(f);
    assert_true(cp_future_has_discard(step));
    cp_promise_discard(c.pending);
    assert_true(cp_future_is_discarded(f));
    cp_promise_free(c.pending);
    cp_future_unref(step);
    cp_future_unref(f);
}

static cp_future_t *body_fails(void *item, void *arg)
{
    return cp_future_failed("body failed");
}

static void test_loop_fails_when_body_fails(void **state)
{
    counter_t c = {.limit = 10};
    cp_future_t *f = cp_loop(iterate_count, body_fails, &c, NULL);
    assert_true(cp_future_is_failed(f));
    assert_string_equal(cp_future_failure(f), "body failed");
    cp_future_unref(f);
}

static void test_loop_abandoned_when_step_abandoned(void **state)
{
    counter_t c = {.limit = 10};
    c.pending = cp_promise_new(NULL);
    cp_future_t *f = cp_loop(iterate_count, body_until_limit, &c, NULL);
    cp_promise_free(c.pending);
    assert_true(cp_future_is_abandoned(f));
    cp_future_unref(f);
}

static cp_future_t *body_waits(void *item, void *arg)
{
    return cp_promise_future(arg);
}

static void test_loop_discard_reaches_waiting_body(void **state)
{
    cp_promise_t *body_step = cp_promise_new(NULL);
    cp_future_t *step = cp_promise_future(body_step);
    cp_future_t *f = cp_loop(NULL, body_waits, body_step, NULL);
    assert_true(cp_future_is_pending(f));
    cp_future_discard(f);
    assert_true(cp_future_has_discard(step));
    cp_promise_discard(body_step);
    assert_true(cp_future_is_discarded(f));
    cp_promise_free(body_step);
    cp_future_unref(step);
    cp_future_unref(f);
}

static void test_loop_without_body_fails(void **state)
{
    counter_t c = {.limit = 1};
    cp_future_t *f = cp_loop(iterate_count, NULL, &c, mark_freed);
    assert_true(cp_future_is_failed(f));
    assert_string_equal(cp_future_failure(f), "cp_loop: NULL body");
    assert_int_equal(c.freed, 1);
    cp_future_unref(f);
}

static void test_loop_break_value_owned_by_result(void **state)
{
    counter_t c = {.limit = 1};
    cp_future_t *f = cp_loop(iterate_count, body_until_limit, &c, mark_freed);
    assert_int_equal(*(long *)cp_future_value(f), 1);
    assert_int_equal(c.freed, 1);
    cp_future_unref(f); /* frees the break value (ASan checks) */
}

static cp_future_t *iterate_null(void *arg)
{
    return NULL;
}

static void test_loop_fails_when_iterate_returns_null(void **state)
{
    counter_t c = {.limit = 3};
    cp_future_t *f = cp_loop(iterate_null, body_until_limit, &c, NULL);
    assert_string_equal(cp_future_failure(f), "loop step returned NULL");
    cp_future_unref(f);
}

/* Each iterate step is completed by another thread: the loop resumes on
 * that thread, without overlapping itself. */
#define THREADED_STEPS 2000

typedef struct relay {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    cp_promise_t *next; /* the step the loop waits on, handed to the thread */
    long steps;
    bool done;
} relay_t;

static cp_future_t *iterate_relay(void *arg)
{
    relay_t *r = arg;
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    pthread_mutex_lock(&r->mu);
    r->next = p;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return f;
}

static cp_future_t *body_relay(void *item, void *arg)
{
    relay_t *r = arg;
    if (++r->steps == THREADED_STEPS)
        return cp_loop_break(NULL, NULL);
    return cp_loop_continue();
}

static void *relay_thread(void *arg)
{
    relay_t *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (r->next == NULL && !r->done)
            pthread_cond_wait(&r->cv, &r->mu);
        cp_promise_t *p = r->next;
        r->next = NULL;
        pthread_mutex_unlock(&r->mu);
        if (p == NULL)
            return NULL;
        cp_promise_set(p, NULL);
        cp_promise_free(p);
    }
}

static void test_loop_steps_completed_on_another_thread(void **state)
{
    relay_t r = {.next = NULL, .steps = 0, .done = false};
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    pthread_t th;
    pthread_create(&th, NULL, relay_thread, &r);
    cp_future_t *f = cp_loop(iterate_relay, body_relay, &r, NULL);
    assert_true(cp_future_wait(f, UINT64_MAX));
    pthread_mutex_lock(&r.mu);
    r.done = true;
    pthread_cond_signal(&r.cv);
    pthread_mutex_unlock(&r.mu);
    pthread_join(th, NULL);
    assert_true(cp_future_is_ready(f));
    assert_int_equal(r.steps, THREADED_STEPS);
    cp_future_unref(f);
    pthread_cond_destroy(&r.cv);
    pthread_mutex_destroy(&r.mu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loop_sync_runs_a_million_steps_without_stack_growth),
        cmocka_unit_test(test_loop_async_waits_for_each_step),
        cmocka_unit_test(test_loop_discard_reaches_waiting_step),
        cmocka_unit_test(test_loop_fails_when_body_fails),
        cmocka_unit_test(test_loop_abandoned_when_step_abandoned),
        cmocka_unit_test(test_loop_discard_reaches_waiting_body),
        cmocka_unit_test(test_loop_without_body_fails),
        cmocka_unit_test(test_loop_break_value_owned_by_result),
        cmocka_unit_test(test_loop_fails_when_iterate_returns_null),
        cmocka_unit_test(test_loop_steps_completed_on_another_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

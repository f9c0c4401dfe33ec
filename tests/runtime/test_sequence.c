/* cp_sequence: strict order, failures and discards do not stop it,
 * discard before start skips, free discards what has not started. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cproc/cproc.h"

typedef struct rec {
    int order[64];
    int n;
    cp_promise_t *gate[64]; /* callbacks that wait on a promise */
} rec_t;

typedef struct step {
    rec_t *r;
    int id;
    int kind; /* 0 ready, 1 failed, 2 discarded, 3 gated */
} step_t;

static int arg_frees;

static void step_free(void *p)
{
    arg_frees++;
    free(p);
}

static cp_future_t *run_step(cp_process_t *self, void *arg)
{
    step_t *s = arg;
    s->r->order[s->r->n++] = s->id;
    switch (s->kind) {
    case 1:
        return cp_future_failed("step %d failed", s->id);
    case 2:
        return cp_future_discarded();
    case 3:
        s->r->gate[s->id] = cp_promise_new(NULL);
        return cp_promise_future(s->r->gate[s->id]);
    default:
        return cp_future_ready(NULL, NULL);
    }
}

static cp_future_t *add(cp_sequence_t *q, const cp_upid_t *pid, rec_t *r, int id, int kind)
{
    step_t *s = malloc(sizeof *s);
    s->r = r;
    s->id = id;
    s->kind = kind;
    return cp_sequence_add(q, pid, run_step, s, step_free);
}

static void test_runs_in_order_despite_failure_and_discard(void **state)
{
    rec_t r = {0};
    arg_frees = 0;
    cp_sequence_t *q = cp_sequence_new();
    cp_future_t *f0 = add(q, NULL, &r, 0, 3);
    cp_future_t *f1 = add(q, NULL, &r, 1, 1);
    cp_future_t *f2 = add(q, NULL, &r, 2, 2);
    cp_future_t *f3 = add(q, NULL, &r, 3, 0);
    assert_int_equal(r.n, 1); /* 1..3 wait for 0 */
    assert_int_equal(cp_sequence_pending(q), 3);
    cp_promise_set(r.gate[0], NULL);
    assert_int_equal(r.n, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(r.order[i], i);
    assert_true(cp_future_is_ready(f0));
    assert_true(cp_future_is_failed(f1));
    assert_true(cp_future_is_discarded(f2));
    assert_true(cp_future_is_ready(f3));
    assert_int_equal(arg_frees, 4);
    cp_promise_free(r.gate[0]);
    cp_future_unref(f0);
    cp_future_unref(f1);
    cp_future_unref(f2);
    cp_future_unref(f3);
    cp_sequence_free(q);
}

static void test_discard_before_start_skips_the_callback(void **state)
{
    rec_t r = {0};
    arg_frees = 0;
    cp_sequence_t *q = cp_sequence_new();
    cp_future_t *f0 = add(q, NULL, &r, 0, 3);
    cp_future_t *f1 = add(q, NULL, &r, 1, 0);
    cp_future_t *f2 = add(q, NULL, &r, 2, 0);
    cp_future_discard(f1);
    assert_true(cp_future_is_discarded(f1));
    assert_int_equal(arg_frees, 2); /* 0's after it ran, 1's now */
    cp_promise_set(r.gate[0], NULL);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.order[1], 2);
    assert_true(cp_future_is_ready(f2));
    cp_promise_free(r.gate[0]);
    cp_future_unref(f0);
    cp_future_unref(f1);
    cp_future_unref(f2);
    cp_sequence_free(q);
}

static void test_discard_of_running_callback_is_forwarded(void **state)
{
    rec_t r = {0};
    cp_sequence_t *q = cp_sequence_new();
    cp_future_t *f0 = add(q, NULL, &r, 0, 3);
    cp_future_t *f1 = add(q, NULL, &r, 1, 0);
    cp_future_discard(f0);
    cp_future_t *g = cp_promise_future(r.gate[0]);
    assert_true(cp_future_has_discard(g));
    assert_int_equal(r.n, 1); /* 1 waits until 0 actually completes */
    cp_promise_discard(r.gate[0]);
    assert_true(cp_future_is_discarded(f0));
    assert_int_equal(r.n, 2);
    assert_true(cp_future_is_ready(f1));
    cp_future_unref(g);
    cp_promise_free(r.gate[0]);
    cp_future_unref(f0);
    cp_future_unref(f1);
    cp_sequence_free(q);
}

static void test_free_discards_what_has_not_started(void **state)
{
    rec_t r = {0};
    arg_frees = 0;
    cp_sequence_t *q = cp_sequence_new();
    cp_future_t *f0 = add(q, NULL, &r, 0, 3);
    cp_future_t *f1 = add(q, NULL, &r, 1, 0);
    cp_future_unref(add(q, NULL, &r, 2, 0)); /* dropped future: no leak */
    cp_sequence_free(q);
    assert_true(cp_future_is_discarded(f1));
    assert_int_equal(arg_frees, 3);
    assert_true(cp_future_is_pending(f0));
    cp_promise_set(r.gate[0], NULL); /* the running one finishes */
    assert_true(cp_future_is_ready(f0));
    assert_int_equal(r.n, 1);
    cp_promise_free(r.gate[0]);
    cp_future_unref(f0);
    cp_future_unref(f1);
}

static int sync_runs;

static cp_future_t *count_run(cp_process_t *self, void *arg)
{
    sync_runs++;
    return cp_future_ready(NULL, NULL);
}

static void test_synchronous_callbacks_use_constant_stack(void **state)
{
    rec_t r = {0};
    cp_sequence_t *q = cp_sequence_new();
    cp_future_t *gate = add(q, NULL, &r, 0, 3);
    enum { N = 100000 };
    cp_future_t *last = NULL;
    for (int i = 0; i < N; i++) {
        cp_future_unref(last);
        last = cp_sequence_add(q, NULL, count_run, NULL, NULL);
    }
    cp_promise_set(r.gate[0], NULL);
    assert_true(cp_future_is_ready(last));
    assert_int_equal(sync_runs, N);
    cp_promise_free(r.gate[0]);
    cp_future_unref(last);
    cp_future_unref(gate);
    cp_sequence_free(q);
}

/* With a pid: callbacks run inside the process, one after another. */
static void test_callbacks_run_inside_the_process(void **state)
{
    assert_int_equal(cp_runtime_start(NULL), 0);
    rec_t r = {0};
    arg_frees = 0;
    cp_upid_t pid;
    cp_process_spawn(NULL, NULL, NULL, &pid);
    cp_sequence_t *q = cp_sequence_new();
    cp_future_t *fs[10];
    for (int i = 0; i < 10; i++)
        fs[i] = add(q, &pid, &r, i, i % 3 == 1 ? 1 : 0);
    for (int i = 0; i < 10; i++) {
        if (i % 3 == 1)
            CP_AWAIT_FAILED(fs[i]);
        else
            CP_AWAIT_READY(fs[i]);
        cp_future_unref(fs[i]);
    }
    for (int i = 0; i < 10; i++)
        assert_int_equal(r.order[i], i);
    /* Its process gone: abandoned, and the next one still runs. */
    cp_upid_t gone;
    cp_process_spawn(NULL, NULL, NULL, &gone);
    cp_process_terminate(&gone, false);
    cp_process_wait(&gone, CP_WAIT_FOREVER);
    cp_future_t *a = add(q, &gone, &r, 10, 0);
    cp_future_t *b = add(q, &pid, &r, 11, 0);
    CP_AWAIT_ABANDONED(a);
    CP_AWAIT_READY(b);
    assert_int_equal(r.order[10], 11);
    assert_int_equal(arg_frees, 12);
    cp_future_unref(a);
    cp_future_unref(b);
    cp_sequence_free(q);
    cp_runtime_stop();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_in_order_despite_failure_and_discard),
        cmocka_unit_test(test_discard_before_start_skips_the_callback),
        cmocka_unit_test(test_discard_of_running_callback_is_forwarded),
        cmocka_unit_test(test_free_discards_what_has_not_started),
        cmocka_unit_test(test_synchronous_callbacks_use_constant_stack),
        cmocka_unit_test(test_callbacks_run_inside_the_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* dispatch, defer, delay, async and filters. */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
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

typedef struct counter {
    int n;
    int sum;
} counter_t;

typedef struct add_args {
    int value;
    int *freed;
} add_args_t;

static void add(cp_process_t *self, void *args)
{
    counter_t *c = cp_process_data(self);
    add_args_t *a = args;
    c->n++;
    c->sum += a->value;
}

static void count_free(void *args)
{
    add_args_t *a = args;
    if (a->freed)
        (*a->freed)++;
}

static cp_future_t *get_sum(cp_process_t *self, void *args)
{
    counter_t *c = cp_process_data(self);
    int *v = malloc(sizeof *v);
    *v = c->sum;
    return cp_future_ready(v, free);
}

static void test_dispatch_void_runs_in_order_and_frees_args(void **state)
{
    counter_t c = {0};
    int freed = 0;
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("counter", NULL, &c, &pid), 0);
    for (int i = 1; i <= 10; i++) {
        add_args_t a = {.value = i, .freed = &freed};
        assert_int_equal(cp_dispatch(&pid, add, &a, sizeof a, count_free), 0);
    }
    cp_future_t *sum = cp_dispatch_future(&pid, get_sum, NULL, 0, NULL);
    CP_AWAIT_READY(sum);
    assert_int_equal(*(int *)cp_future_value(sum), 55);
    assert_int_equal(c.n, 10);
    assert_int_equal(freed, 10);
    cp_future_unref(sum);
}

static cp_future_t *double_it(cp_process_t *self, void *args)
{
    int *v = malloc(sizeof *v);
    *v = *(int *)args * 2;
    return cp_future_ready(v, free);
}

static void test_dispatch_returns_value(void **state)
{
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("doubler", NULL, NULL, &pid), 0);
    int x = 21;
    cp_future_t *f = cp_dispatch_future(&pid, double_it, &x, sizeof x, NULL);
    CP_AWAIT_READY(f);
    assert_int_equal(*(int *)cp_future_value(f), 42);
    cp_future_unref(f);
}

static cp_future_t *pending_from(cp_process_t *self, void *args)
{
    cp_promise_t *p = *(cp_promise_t **)args;
    return cp_promise_future(p);
}

static void test_dispatch_returns_future_that_completes_later(void **state)
{
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("later", NULL, NULL, &pid), 0);
    cp_promise_t *p = cp_promise_new(free);
    cp_future_t *f = cp_dispatch_future(&pid, pending_from, &p, sizeof p, NULL);
    assert_int_equal(cp_clock_settle(), 0);
    assert_true(cp_future_is_pending(f));
    int *v = malloc(sizeof *v);
    *v = 7;
    assert_int_equal(cp_promise_set(p, v), 0);
    CP_AWAIT_READY(f);
    assert_int_equal(*(int *)cp_future_value(f), 7);
    cp_promise_free(p);
    cp_future_unref(f);
}

static cp_future_t *returns_null(cp_process_t *self, void *args)
{
    return NULL;
}

static void test_dispatch_fails_when_function_returns_null(void **state)
{
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("nuller", NULL, NULL, &pid), 0);
    cp_future_t *f = cp_dispatch_future(&pid, returns_null, NULL, 0, NULL);
    CP_AWAIT_FAILED(f);
    cp_future_unref(f);
}

static void test_dispatch_to_terminated_process_is_abandoned(void **state)
{
    cp_upid_t pid;
    int freed = 0;
    assert_int_equal(cp_process_spawn("gone", NULL, NULL, &pid), 0);
    assert_int_equal(cp_process_terminate(&pid, false), 0);
    assert_int_equal(cp_process_wait(&pid, CP_WAIT_FOREVER), 0);
    add_args_t a = {.value = 1, .freed = &freed};
    cp_future_t *f = cp_dispatch_future(&pid, double_it, &a, sizeof a, count_free);
    CP_AWAIT_ABANDONED(f);
    assert_int_equal(freed, 1);
    assert_int_equal(cp_dispatch(&pid, add, &a, sizeof a, count_free), CP_ENOENT);
    assert_int_equal(freed, 2);
    cp_future_unref(f);
}

static void block_on(cp_process_t *self, void *args)
{
    cp_future_t *gate = *(cp_future_t **)args;
    while (cp_future_is_pending(gate))
        ;
}

static void test_dispatch_queued_before_terminate_is_abandoned(void **state)
{
    cp_upid_t pid;
    int freed = 0;
    cp_promise_t *gate = cp_promise_new(NULL);
    cp_future_t *g = cp_promise_future(gate);
    assert_int_equal(cp_process_spawn("busy", NULL, NULL, &pid), 0);
    assert_int_equal(cp_dispatch(&pid, block_on, &g, sizeof g, NULL), 0);
    add_args_t a = {.value = 1, .freed = &freed};
    cp_future_t *f = cp_dispatch_future(&pid, double_it, &a, sizeof a, count_free);
    assert_int_equal(cp_process_terminate(&pid, true), 0);
    cp_promise_set(gate, NULL);
    CP_AWAIT_ABANDONED(f);
    assert_int_equal(cp_process_wait(&pid, CP_WAIT_FOREVER), 0);
    assert_int_equal(freed, 1);
    cp_future_unref(f);
    cp_future_unref(g);
    cp_promise_free(gate);
}

/* ---- defer ---------------------------------------------------------------- */

static cp_future_t *defer_add(cp_process_t *self, void *value, void *arg)
{
    counter_t *c = cp_process_data(self);
    c->sum += *(int *)value;
    int *v = malloc(sizeof *v);
    *v = c->sum;
    return cp_future_ready(v, free);
}

static void test_defer_runs_continuation_inside_process(void **state)
{
    counter_t c = {.sum = 100};
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("deferred", NULL, &c, &pid), 0);
    cp_promise_t *p = cp_promise_new(free);
    cp_future_t *src = cp_promise_future(p);
    cp_future_t *f = cp_future_then_defer(src, &pid, defer_add, NULL, NULL);
    int *v = malloc(sizeof *v);
    *v = 5;
    cp_promise_set(p, v);
    CP_AWAIT_READY(f);
    assert_int_equal(*(int *)cp_future_value(f), 105);
    cp_promise_free(p);
    cp_future_unref(src);
    cp_future_unref(f);
}

static void test_defer_passes_failure_through(void **state)
{
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("deferred2", NULL, NULL, &pid), 0);
    cp_promise_t *p = cp_promise_new(free);
    cp_future_t *src = cp_promise_future(p);
    cp_future_t *f = cp_future_then_defer(src, &pid, defer_add, NULL, NULL);
    cp_promise_fail(p, "boom");
    CP_AWAIT_FAILED(f);
    assert_string_equal(cp_future_failure(f), "boom");
    cp_promise_free(p);
    cp_future_unref(src);
    cp_future_unref(f);
}

static void test_defer_to_dead_process_is_abandoned(void **state)
{
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("deferred3", NULL, NULL, &pid), 0);
    assert_int_equal(cp_process_terminate(&pid, false), 0);
    assert_int_equal(cp_process_wait(&pid, CP_WAIT_FOREVER), 0);
    int *v = malloc(sizeof *v);
    *v = 1;
    cp_future_t *src = cp_future_ready(v, free);
    cp_future_t *f = cp_future_then_defer(src, &pid, defer_add, NULL, NULL);
    CP_AWAIT_ABANDONED(f);
    cp_future_unref(src);
    cp_future_unref(f);
}

static void record_any(cp_process_t *self, cp_future_t *f, void *arg)
{
    counter_t *c = cp_process_data(self);
    c->n = cp_future_is_failed(f) ? -1 : 1;
}

static void test_on_any_defer_runs_inside_process(void **state)
{
    counter_t c = {0};
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("anydefer", NULL, &c, &pid), 0);
    cp_future_t *src = cp_future_failed("x");
    assert_int_equal(cp_future_on_any_defer(src, &pid, record_any, NULL, NULL), 0);
    assert_int_equal(cp_clock_settle(), 0);
    assert_int_equal(c.n, -1);
    cp_future_unref(src);
}

/* ---- async ---------------------------------------------------------------- */

static void *blocking_square(void *arg)
{
    int *v = malloc(sizeof *v);
    *v = *(int *)arg * *(int *)arg;
    return v;
}

static void test_async_runs_off_process_threads(void **state)
{
    int x = 9;
    cp_future_t *f = cp_async(blocking_square, &x, NULL, free);
    CP_AWAIT_READY(f);
    assert_int_equal(*(int *)cp_future_value(f), 81);
    cp_future_unref(f);
}

/* ---- filters ----------------------------------------------------------------- */

static void test_filter_drops_dispatch(void **state)
{
    counter_t c = {0};
    int freed = 0;
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("filtered", NULL, &c, &pid), 0);
    cp_future_t *seen = cp_test_expect_dispatch(&pid, (void (*)(void))add, true);
    add_args_t a = {.value = 3, .freed = &freed};
    assert_int_equal(cp_dispatch(&pid, add, &a, sizeof a, count_free), 0);
    CP_AWAIT_READY(seen);
    assert_int_equal(freed, 1);
    assert_int_equal(cp_dispatch(&pid, add, &a, sizeof a, count_free), 0);
    cp_future_t *sum = cp_dispatch_future(&pid, get_sum, NULL, 0, NULL);
    CP_AWAIT_READY(sum);
    assert_int_equal(*(int *)cp_future_value(sum), 3); /* only the second ran */
    cp_future_unref(sum);
    cp_future_unref(seen);
}

static void on_msg(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    counter_t *c = cp_process_data(self);
    c->n++;
}

static void install_msg(cp_process_t *self)
{
    cp_process_install(self, "test.Msg", on_msg, NULL, NULL);
}

static const cp_process_ops_t msg_ops = {.initialize = install_msg};

static cp_future_t *get_n(cp_process_t *self, void *args)
{
    counter_t *c = cp_process_data(self);
    int *v = malloc(sizeof *v);
    *v = c->n;
    return cp_future_ready(v, free);
}

static void test_filter_expects_and_drops_message(void **state)
{
    counter_t c = {0};
    cp_upid_t pid, from;
    cp_upid_make("from", 0, 0, &from);
    assert_int_equal(cp_process_spawn("msgs", &msg_ops, &c, &pid), 0);
    cp_future_t *m = cp_test_expect_message("test.Msg", NULL, &pid, true);
    assert_int_equal(cp_send(&from, &pid, "test.Msg", "abc", 3), 0);
    CP_AWAIT_READY(m);
    const cp_message_t *got = cp_future_value(m);
    assert_string_equal(got->name, "test.Msg");
    assert_int_equal(got->len, 3);
    assert_memory_equal(got->body, "abc", 3);
    assert_string_equal(got->from->id, "from");
    cp_future_t *n = cp_dispatch_future(&pid, get_n, NULL, 0, NULL);
    CP_AWAIT_READY(n);
    assert_int_equal(*(int *)cp_future_value(n), 0);
    cp_future_unref(n);
    cp_future_unref(m);
}

static void test_filter_expects_message_without_dropping(void **state)
{
    counter_t c = {0};
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("msgs2", &msg_ops, &c, &pid), 0);
    cp_future_t *m = cp_test_expect_message("test.Msg", NULL, NULL, false);
    assert_int_equal(cp_send(NULL, &pid, "test.Msg", NULL, 0), 0);
    CP_AWAIT_READY(m);
    cp_future_t *n = cp_dispatch_future(&pid, get_n, NULL, 0, NULL);
    CP_AWAIT_READY(n);
    assert_int_equal(*(int *)cp_future_value(n), 1);
    cp_future_unref(n);
    cp_future_unref(m);
}

static void test_drop_messages_until_stopped(void **state)
{
    counter_t c = {0};
    cp_upid_t pid;
    uint64_t id;
    assert_int_equal(cp_process_spawn("msgs3", &msg_ops, &c, &pid), 0);
    assert_int_equal(cp_test_drop_messages("test.Msg", NULL, &pid, &id), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(cp_send(NULL, &pid, "test.Msg", NULL, 0), 0);
    assert_int_equal(cp_test_drop_stop(id), 0);
    assert_int_equal(cp_test_drop_stop(id), CP_ENOENT);
    assert_int_equal(cp_send(NULL, &pid, "test.Msg", NULL, 0), 0);
    cp_future_t *n = cp_dispatch_future(&pid, get_n, NULL, 0, NULL);
    CP_AWAIT_READY(n);
    assert_int_equal(*(int *)cp_future_value(n), 1);
    cp_future_unref(n);
}

typedef struct watch {
    int exited;
} watch_t;

static void watch_exited(cp_process_t *self, const cp_upid_t *pid)
{
    watch_t *w = cp_process_data(self);
    w->exited++;
}

static const cp_process_ops_t watch_ops = {.exited = watch_exited};

static void do_link(cp_process_t *self, void *args)
{
    cp_process_link(self, args);
}

static cp_future_t *get_exited(cp_process_t *self, void *args)
{
    watch_t *w = cp_process_data(self);
    int *v = malloc(sizeof *v);
    *v = w->exited;
    return cp_future_ready(v, free);
}

static void test_filter_drops_exited(void **state)
{
    watch_t w = {0};
    cp_upid_t watcher, target;
    assert_int_equal(cp_process_spawn("watcher", &watch_ops, &w, &watcher), 0);
    assert_int_equal(cp_process_spawn("target", NULL, NULL, &target), 0);
    assert_int_equal(cp_dispatch(&watcher, do_link, &target, sizeof target, NULL), 0);
    assert_int_equal(cp_clock_settle(), 0);
    cp_future_t *ex = cp_test_expect_exited(&target, &watcher, true);
    assert_int_equal(cp_process_terminate(&target, false), 0);
    CP_AWAIT_READY(ex);
    cp_future_t *n = cp_dispatch_future(&watcher, get_exited, NULL, 0, NULL);
    CP_AWAIT_READY(n);
    assert_int_equal(*(int *)cp_future_value(n), 0);
    cp_future_unref(n);
    cp_future_unref(ex);
}

static bool drop_all(const cp_event_view_t *ev, void *arg)
{
    int *seen = arg;
    (*seen)++;
    return ev->kind == CP_EVENT_DISPATCH;
}

static void test_filter_remove_stops_filtering(void **state)
{
    counter_t c = {0};
    int seen = 0;
    uint64_t id;
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("filt", NULL, &c, &pid), 0);
    assert_int_equal(cp_filter_add(drop_all, &seen, &id), 0);
    add_args_t a = {.value = 1};
    assert_int_equal(cp_dispatch(&pid, add, &a, sizeof a, NULL), 0);
    assert_int_equal(cp_filter_remove(id), 0);
    assert_int_equal(cp_filter_remove(id), CP_ENOENT);
    assert_int_equal(cp_dispatch(&pid, add, &a, sizeof a, NULL), 0);
    cp_future_t *sum = cp_dispatch_future(&pid, get_sum, NULL, 0, NULL);
    CP_AWAIT_READY(sum);
    assert_int_equal(*(int *)cp_future_value(sum), 1);
    assert_int_equal(seen, 1);
    cp_future_unref(sum);
}

static void test_expectation_pending_at_stop_is_abandoned(void **state)
{
    cp_future_t *m = cp_test_expect_message("never", NULL, NULL, false);
    cp_runtime_stop();
    assert_true(cp_future_is_abandoned(m));
    cp_future_unref(m);
    assert_int_equal(cp_runtime_start(NULL), 0);
}

/* ---- concurrency and fairness --------------------------------------------- */

typedef struct sender {
    cp_upid_t pid;
    int count;
} sender_t;

static void *send_many(void *arg)
{
    sender_t *s = arg;
    add_args_t a = {.value = 1};
    for (int i = 0; i < s->count; i++)
        cp_dispatch(&s->pid, add, &a, sizeof a, NULL);
    return NULL;
}

static void test_dispatch_from_many_threads_arrives_exactly_once(void **state)
{
    enum { THREADS = 4, EACH = 20000 };
    counter_t c = {0};
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("sink", NULL, &c, &pid), 0);
    pthread_t t[THREADS];
    sender_t s = {.pid = pid, .count = EACH};
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, send_many, &s), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    cp_future_t *sum = cp_dispatch_future(&pid, get_sum, NULL, 0, NULL);
    CP_AWAIT_READY(sum);
    assert_int_equal(*(int *)cp_future_value(sum), THREADS * EACH);
    cp_future_unref(sum);
}

typedef struct spinner {
    atomic_bool stop;
} spinner_t;

static void spin_again(cp_process_t *self, void *args)
{
    spinner_t *s = cp_process_data(self);
    if (!atomic_load(&s->stop)) {
        cp_upid_t me = cp_process_pid(self);
        cp_dispatch(&me, spin_again, NULL, 0, NULL);
    }
}

static cp_future_t *stop_spinner(cp_process_t *self, void *args)
{
    spinner_t *s = *(spinner_t **)args;
    atomic_store(&s->stop, true);
    return cp_future_ready(NULL, NULL);
}

static void test_busy_process_does_not_starve_others(void **state)
{
    cp_runtime_stop();
    cp_runtime_options_t one = {.num_workers = 1};
    assert_int_equal(cp_runtime_start(&one), 0);
    spinner_t s = {false};
    spinner_t *sp = &s;
    cp_upid_t busy, other;
    assert_int_equal(cp_process_spawn("busy", NULL, &s, &busy), 0);
    assert_int_equal(cp_process_spawn("other", NULL, NULL, &other), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(cp_dispatch(&busy, spin_again, NULL, 0, NULL), 0);
    cp_future_t *f = cp_dispatch_future(&other, stop_spinner, &sp, sizeof sp, NULL);
    CP_AWAIT_READY(f);
    cp_future_unref(f);
    assert_int_equal(cp_clock_settle(), 0);
}

static cp_future_t *settle_inside(cp_process_t *self, void *args)
{
    int *rc = malloc(sizeof *rc);
    *rc = cp_clock_settle();
    return cp_future_ready(rc, free);
}

static void test_settle_inside_process_is_deadlock_error(void **state)
{
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("settler", NULL, NULL, &pid), 0);
    cp_future_t *f = cp_dispatch_future(&pid, settle_inside, NULL, 0, NULL);
    CP_AWAIT_READY(f);
    assert_int_equal(*(int *)cp_future_value(f), CP_EDEADLK);
    cp_future_unref(f);
}

static void test_dispatch_rejects_bad_arguments(void **state)
{
    cp_upid_t pid;
    int x = 1;
    assert_int_equal(cp_process_spawn("picky", NULL, NULL, &pid), 0);
    assert_int_equal(cp_dispatch(NULL, add, NULL, 0, NULL), CP_EINVAL);
    assert_int_equal(cp_dispatch(&pid, NULL, NULL, 0, NULL), CP_EINVAL);
    assert_int_equal(cp_dispatch(&pid, add, NULL, 4, NULL), CP_EINVAL);
    assert_int_equal(cp_dispatch(&pid, add, &x, SIZE_MAX, NULL), CP_ENOMEM);
    assert_int_equal(cp_send(NULL, &pid, "big", &x, SIZE_MAX), CP_ENOMEM);
    cp_future_t *f = cp_dispatch_future(&pid, NULL, NULL, 0, NULL);
    CP_AWAIT_FAILED(f);
    cp_future_unref(f);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, start, stop)
    const struct CMUnitTest tests[] = {
        T(test_dispatch_void_runs_in_order_and_frees_args),
        T(test_dispatch_returns_value),
        T(test_dispatch_returns_future_that_completes_later),
        T(test_dispatch_fails_when_function_returns_null),
        T(test_dispatch_to_terminated_process_is_abandoned),
        T(test_dispatch_queued_before_terminate_is_abandoned),
        T(test_defer_runs_continuation_inside_process),
        T(test_defer_passes_failure_through),
        T(test_defer_to_dead_process_is_abandoned),
        T(test_on_any_defer_runs_inside_process),
        T(test_async_runs_off_process_threads),
        T(test_filter_drops_dispatch),
        T(test_filter_expects_and_drops_message),
        T(test_filter_expects_message_without_dropping),
        T(test_drop_messages_until_stopped),
        T(test_filter_drops_exited),
        T(test_filter_remove_stops_filtering),
        T(test_expectation_pending_at_stop_is_abandoned),
        T(test_dispatch_from_many_threads_arrives_exactly_once),
        T(test_busy_process_does_not_starve_others),
        T(test_settle_inside_process_is_deadlock_error),
        T(test_dispatch_rejects_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

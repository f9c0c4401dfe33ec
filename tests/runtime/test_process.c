/* Processes: spawn, hooks, terminate, wait, links, messages, the runtime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/node.h"
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

/* A process whose hooks record what happened, for the test thread to read
 * after cp_process_wait() (which orders the accesses). */
typedef struct record {
    int initialized;
    int finalized;
    int exited;
    cp_upid_t exited_pid;
    int destroyed_flag;
    int *destroyed; /* outlives the process */
    cp_process_state_t state_in_init;
    cp_process_state_t state_in_fini;
    cp_promise_t *on_exit; /* set when exited runs */
} record_t;

static void rec_init(cp_process_t *self)
{
    record_t *r = cp_process_data(self);
    r->initialized++;
    r->state_in_init = cp_process_state(self);
}

static void rec_fini(cp_process_t *self)
{
    record_t *r = cp_process_data(self);
    r->finalized++;
    r->state_in_fini = cp_process_state(self);
}

static void rec_exited(cp_process_t *self, const cp_upid_t *pid)
{
    record_t *r = cp_process_data(self);
    r->exited++;
    r->exited_pid = *pid;
    if (r->on_exit)
        cp_promise_set(r->on_exit, NULL);
}

static void rec_destroy(void *data)
{
    record_t *r = data;
    if (r->destroyed)
        (*r->destroyed)++;
}

static const cp_process_ops_t rec_ops = {
    .initialize = rec_init, .finalize = rec_fini, .exited = rec_exited, .destroy = rec_destroy};

static void test_spawn_runs_initialize_and_finalize(void **state)
{
    int destroyed = 0;
    record_t r = {.destroyed = &destroyed};
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("hooks", &rec_ops, &r, &pid), 0);
    assert_string_equal(pid.id, "hooks");
    assert_true(cp_process_exists(&pid));
    assert_int_equal(cp_process_terminate(&pid, false), 0);
    assert_int_equal(cp_process_wait(&pid, CP_WAIT_FOREVER), 0);
    assert_int_equal(r.initialized, 1);
    assert_int_equal(r.finalized, 1);
    assert_int_equal(destroyed, 1);
    assert_int_equal(r.state_in_init, CP_PROCESS_BOTTOM);
    assert_int_equal(r.state_in_fini, CP_PROCESS_TERMINATING);
    assert_false(cp_process_exists(&pid));
    assert_int_equal(cp_process_terminate(&pid, false), CP_ENOENT);
}

static void test_spawn_generates_prefixed_ids(void **state)
{
    cp_upid_t a, b;
    assert_int_equal(cp_process_spawn(NULL, NULL, NULL, &a), 0);
    assert_int_equal(cp_process_spawn(NULL, NULL, NULL, &b), 0);
    assert_int_equal(strncmp(a.id, "__process__(", 12), 0);
    assert_string_not_equal(a.id, b.id);
    char buf[32];
    int n = cp_process_id_generate("worker", buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(strncmp(buf, "worker(", 7), 0);
    assert_int_equal(buf[n - 1], ')');
    assert_int_equal(cp_process_id_generate("worker", buf, 4), CP_ETOOBIG);
}

static void test_spawn_rejects_bad_and_duplicate_ids(void **state)
{
    cp_upid_t pid;
    char longid[CP_UPID_ID_MAX + 2];
    memset(longid, 'z', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    assert_int_equal(cp_process_spawn("", NULL, NULL, &pid), CP_EINVAL);
    assert_int_equal(cp_process_spawn("a@b", NULL, NULL, &pid), CP_EINVAL);
    assert_int_equal(cp_process_spawn("a/b", NULL, NULL, &pid), CP_EINVAL);
    assert_int_equal(cp_process_spawn(longid, NULL, NULL, &pid), CP_ETOOBIG);
    assert_int_equal(cp_process_spawn("twice", NULL, NULL, &pid), 0);
    assert_int_equal(cp_process_spawn("twice", NULL, NULL, NULL), CP_EEXIST);
}

static void test_spawn_fails_when_runtime_stopped(void **state)
{
    cp_runtime_stop();
    assert_int_equal(cp_process_spawn("late", NULL, NULL, NULL), CP_ESTATE);
    assert_int_equal(cp_runtime_start(NULL), 0);
}

/* ---- terminate / wait --------------------------------------------------- */

static void count_dispatch(cp_process_t *self, void *args)
{
    int *n = cp_process_data(self);
    (*n)++;
}

static void test_terminate_runs_after_queued_events(void **state)
{
    int count = 0;
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("queued", NULL, &count, &pid), 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(cp_dispatch(&pid, count_dispatch, NULL, 0, NULL), 0);
    assert_int_equal(cp_process_terminate(&pid, false), 0);
    assert_int_equal(cp_process_wait(&pid, CP_WAIT_FOREVER), 0);
    assert_int_equal(count, 100);
}

static void block_until(cp_process_t *self, void *args)
{
    cp_future_t *gate = *(cp_future_t **)args;
    while (cp_future_is_pending(gate))
        ;
}

static void test_inject_terminate_drops_queued_events(void **state)
{
    int count = 0;
    cp_promise_t *gate = cp_promise_new(NULL);
    cp_future_t *g = cp_promise_future(gate);
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("inject", NULL, &count, &pid), 0);
    /* Hold the process busy so the dispatches stay queued. */
    assert_int_equal(cp_dispatch(&pid, block_until, &g, sizeof g, NULL), 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(cp_dispatch(&pid, count_dispatch, NULL, 0, NULL), 0);
    assert_int_equal(cp_process_terminate(&pid, true), 0);
    cp_promise_set(gate, NULL);
    assert_int_equal(cp_process_wait(&pid, CP_WAIT_FOREVER), 0);
    assert_int_equal(count, 0);
    cp_promise_free(gate);
    cp_future_unref(g);
}

static void test_wait_times_out_on_live_process(void **state)
{
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("alive", NULL, NULL, &pid), 0);
    assert_int_equal(cp_process_wait(&pid, 1000000), CP_ETIMEDOUT);
}

static void test_wait_returns_at_once_for_unknown_pid(void **state)
{
    cp_upid_t pid;
    cp_upid_make("nobody", 0, 0, &pid);
    assert_int_equal(cp_process_wait(&pid, CP_WAIT_FOREVER), 0);
}

static cp_future_t *wait_self(cp_process_t *self, void *args)
{
    cp_upid_t me = cp_process_pid(self);
    int *rc = malloc(sizeof *rc);
    *rc = cp_process_wait(&me, CP_WAIT_FOREVER);
    return cp_future_ready(rc, free);
}

static void test_wait_on_itself_is_deadlock_error(void **state)
{
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("selfwait", NULL, NULL, &pid), 0);
    cp_future_t *f = cp_dispatch_future(&pid, wait_self, NULL, 0, NULL);
    CP_AWAIT_READY(f);
    assert_int_equal(*(int *)cp_future_value(f), CP_EDEADLK);
    cp_future_unref(f);
}

static void test_many_processes_spawn_and_terminate(void **state)
{
    enum { N = 100000 };
    cp_upid_t *pids = malloc(N * sizeof *pids);
    for (int i = 0; i < N; i++)
        assert_int_equal(cp_process_spawn(NULL, NULL, NULL, &pids[i]), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(cp_process_terminate(&pids[i], false), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(cp_process_wait(&pids[i], CP_WAIT_FOREVER), 0);
    free(pids);
}

/* ---- links -------------------------------------------------------------- */

static void link_to(cp_process_t *self, void *args)
{
    cp_process_link(self, (const cp_upid_t *)args);
}

static void test_link_gives_exited_when_linked_process_ends(void **state)
{
    record_t r = {.on_exit = cp_promise_new(NULL)};
    cp_future_t *exited = cp_promise_future(r.on_exit);
    cp_upid_t watcher, target;
    assert_int_equal(cp_process_spawn("watcher", &rec_ops, &r, &watcher), 0);
    assert_int_equal(cp_process_spawn("target", NULL, NULL, &target), 0);
    cp_future_t *linked = cp_test_expect_dispatch(&watcher, (void (*)(void))link_to, false);
    assert_int_equal(cp_dispatch(&watcher, link_to, &target, sizeof target, NULL), 0);
    CP_AWAIT_READY(linked);
    assert_int_equal(cp_clock_settle(), 0);
    assert_int_equal(cp_process_terminate(&target, false), 0);
    CP_AWAIT_READY(exited);
    assert_int_equal(cp_process_terminate(&watcher, false), 0);
    assert_int_equal(cp_process_wait(&watcher, CP_WAIT_FOREVER), 0);
    assert_int_equal(r.exited, 1);
    assert_true(cp_upid_equal(&r.exited_pid, &target));
    cp_promise_free(r.on_exit);
    cp_future_unref(exited);
    cp_future_unref(linked);
}

static void test_inject_exited_runs_exited_hook(void **state)
{
    record_t r = {.on_exit = cp_promise_new(NULL)};
    cp_future_t *exited = cp_promise_future(r.on_exit);
    cp_upid_t watcher, phantom;
    assert_int_equal(cp_process_spawn("watcher3", &rec_ops, &r, &watcher), 0);
    assert_int_equal(cp_upid_parse("phantom@10.0.0.1:5050", &phantom), 0);
    assert_int_equal(cp_test_inject_exited(&phantom, &watcher), 0);
    CP_AWAIT_READY(exited);
    assert_int_equal(cp_process_terminate(&watcher, false), 0);
    assert_int_equal(cp_process_wait(&watcher, CP_WAIT_FOREVER), 0);
    assert_int_equal(r.exited, 1);
    assert_true(cp_upid_equal(&r.exited_pid, &phantom));
    cp_upid_t nobody;
    assert_int_equal(cp_upid_parse("nobody@127.0.0.1:1", &nobody), 0);
    assert_int_equal(cp_test_inject_exited(&phantom, &nobody), CP_ENOENT);
    cp_promise_free(r.on_exit);
    cp_future_unref(exited);
}

static void test_link_to_dead_pid_gives_exited_at_once(void **state)
{
    record_t r = {.on_exit = cp_promise_new(NULL)};
    cp_future_t *exited = cp_promise_future(r.on_exit);
    cp_upid_t watcher, dead;
    assert_int_equal(cp_process_spawn("watcher2", &rec_ops, &r, &watcher), 0);
    assert_int_equal(cp_process_spawn("shortlived", NULL, NULL, &dead), 0);
    assert_int_equal(cp_process_terminate(&dead, false), 0);
    assert_int_equal(cp_process_wait(&dead, CP_WAIT_FOREVER), 0);
    assert_int_equal(cp_dispatch(&watcher, link_to, &dead, sizeof dead, NULL), 0);
    CP_AWAIT_READY(exited);
    assert_int_equal(cp_process_terminate(&watcher, false), 0);
    assert_int_equal(cp_process_wait(&watcher, CP_WAIT_FOREVER), 0);
    assert_true(cp_upid_equal(&r.exited_pid, &dead));
    cp_promise_free(r.on_exit);
    cp_future_unref(exited);
}

static void unlink_from(cp_process_t *self, void *args)
{
    cp_process_unlink(self, (const cp_upid_t *)args);
}

static void test_unlink_suppresses_exited(void **state)
{
    record_t r = {0};
    cp_upid_t watcher, target;
    assert_int_equal(cp_process_spawn("watcher3", &rec_ops, &r, &watcher), 0);
    assert_int_equal(cp_process_spawn("target3", NULL, NULL, &target), 0);
    assert_int_equal(cp_dispatch(&watcher, link_to, &target, sizeof target, NULL), 0);
    assert_int_equal(cp_dispatch(&watcher, unlink_from, &target, sizeof target, NULL), 0);
    assert_int_equal(cp_clock_settle(), 0);
    assert_int_equal(cp_process_terminate(&target, false), 0);
    assert_int_equal(cp_process_wait(&target, CP_WAIT_FOREVER), 0);
    assert_int_equal(cp_clock_settle(), 0);
    assert_int_equal(cp_process_terminate(&watcher, false), 0);
    assert_int_equal(cp_process_wait(&watcher, CP_WAIT_FOREVER), 0);
    assert_int_equal(r.exited, 0);
}

/* ---- messages ------------------------------------------------------------ */

typedef struct inbox {
    cp_promise_t *got;
    char body[64];
    cp_upid_t from;
} inbox_t;

static void on_ping(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    inbox_t *in = arg;
    memcpy(in->body, msg->body, msg->len < 63 ? msg->len : 63);
    in->from = *msg->from;
    cp_promise_set(in->got, NULL);
}

static void install_ping(cp_process_t *self)
{
    cp_process_install(self, "test.Ping", on_ping, cp_process_data(self), NULL);
}

static const cp_process_ops_t pinger_ops = {.initialize = install_ping};

static void test_install_handler_receives_message(void **state)
{
    inbox_t in = {.got = cp_promise_new(NULL)};
    cp_future_t *got = cp_promise_future(in.got);
    cp_upid_t pid, from;
    cp_upid_make("sender", 0, 0, &from);
    assert_int_equal(cp_process_spawn("receiver", &pinger_ops, &in, &pid), 0);
    assert_int_equal(cp_send(&from, &pid, "test.Ping", "hello", 5), 0);
    CP_AWAIT_READY(got);
    assert_string_equal(in.body, "hello");
    assert_string_equal(in.from.id, "sender");
    cp_promise_free(in.got);
    cp_future_unref(got);
}

static cp_future_t *unhandled_of(cp_process_t *self, void *args)
{
    uint64_t *n = malloc(sizeof *n);
    *n = cp_process_unhandled_count(self);
    return cp_future_ready(n, free);
}

static void test_unknown_message_is_dropped_and_counted(void **state)
{
    inbox_t in = {.got = cp_promise_new(NULL)};
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("counting", &pinger_ops, &in, &pid), 0);
    uint64_t before = cp_message_unhandled_total();
    assert_int_equal(cp_send(NULL, &pid, "test.Unknown", NULL, 0), 0);
    assert_int_equal(cp_send(NULL, &pid, "test.Unknown", "x", 1), 0);
    cp_future_t *n = cp_dispatch_future(&pid, unhandled_of, NULL, 0, NULL);
    CP_AWAIT_READY(n);
    assert_int_equal(*(uint64_t *)cp_future_value(n), 2);
    assert_int_equal(cp_message_unhandled_total() - before, 2);
    cp_future_unref(n);
    assert_int_equal(cp_process_terminate(&pid, false), 0);
    assert_int_equal(cp_process_wait(&pid, CP_WAIT_FOREVER), 0);
    cp_promise_free(in.got);
}

static void test_send_to_unknown_process_fails(void **state)
{
    cp_upid_t pid;
    cp_upid_make("ghost", 0, 0, &pid);
    assert_int_equal(cp_send(NULL, &pid, "test.Ping", NULL, 0), CP_ENOENT);
    assert_int_equal(cp_send(NULL, &pid, "", NULL, 0), CP_EINVAL);
}

static void test_percent_encoded_ids_are_found(void **state)
{
    inbox_t in = {.got = cp_promise_new(NULL)};
    cp_future_t *got = cp_promise_future(in.got);
    cp_upid_t pid, parsed, from;
    assert_int_equal(cp_process_spawn("id(1) with space", &pinger_ops, &in, &pid), 0);
    /* A UPID parsed from text (no hint) finds the process by id. */
    char text[CP_UPID_STRLEN];
    assert_true(cp_upid_format(&pid, text, sizeof text) > 0);
    assert_int_equal(cp_upid_parse(text, &parsed), 0);
    assert_true(cp_process_exists(&parsed));
    /* The transport hands over percent-decoded ids ("id%281%29%20with..."). */
    cp_upid_make("remote", 0x0a000001u, 9, &from);
    void *body = malloc(2);
    memcpy(body, "ok", 2);
    assert_int_equal(cp__deliver_message("id(1) with space", 16, "test.Ping", 9, &from, body, 2),
                     0);
    CP_AWAIT_READY(got);
    assert_string_equal(in.body, "ok");
    assert_int_equal(cp__deliver_message("nope", 4, "test.Ping", 9, &from, malloc(1), 1),
                     CP_ENOENT);
    cp_promise_free(in.got);
    cp_future_unref(got);
}

/* ---- runtime ---------------------------------------------------------------- */

static void test_runtime_stops_and_starts_again(void **state)
{
    int destroyed = 0;
    record_t r = {.destroyed = &destroyed};
    assert_int_equal(cp_process_spawn("survivor", &rec_ops, &r, NULL), 0);
    assert_int_equal(cp_runtime_start(NULL), CP_ESTATE);
    cp_runtime_stop();
    assert_false(cp_runtime_running());
    assert_int_equal(r.finalized, 1);
    assert_int_equal(destroyed, 1);
    assert_int_equal(cp_runtime_start(NULL), 0);
    assert_true(cp_runtime_num_workers() >= 1);
    assert_int_equal(cp_process_spawn("survivor", NULL, NULL, NULL), 0);
}

static void test_worker_count_parses_valid_values(void **state)
{
    unsigned n = 0;
    assert_int_equal(cp_runtime_parse_workers("1", &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(cp_runtime_parse_workers("1024", &n), 0);
    assert_int_equal(n, 1024);
    assert_int_equal(cp_runtime_parse_workers("0", &n), CP_EINVAL);
    assert_int_equal(cp_runtime_parse_workers("1025", &n), CP_EINVAL);
    assert_int_equal(cp_runtime_parse_workers("", &n), CP_EINVAL);
    assert_int_equal(cp_runtime_parse_workers("-3", &n), CP_EINVAL);
    assert_int_equal(cp_runtime_parse_workers("4x", &n), CP_EINVAL);
    assert_int_equal(cp_runtime_parse_workers("99999999999999999999", &n), CP_EINVAL);
}

static void test_worker_count_comes_from_environment(void **state)
{
    cp_runtime_stop();
    setenv("CPROC_NUM_WORKER_THREADS", "3", 1);
    assert_int_equal(cp_runtime_start(NULL), 0);
    assert_int_equal(cp_runtime_num_workers(), 3);
    cp_runtime_stop();
    setenv("LIBPROCESS_NUM_WORKER_THREADS", "1", 1);
    assert_int_equal(cp_runtime_start(NULL), 0);
    assert_int_equal(cp_runtime_num_workers(), 1);
    cp_runtime_stop();
    unsetenv("LIBPROCESS_NUM_WORKER_THREADS");
    unsetenv("CPROC_NUM_WORKER_THREADS");
    assert_int_equal(cp_runtime_start(NULL), 0);
}

static void test_invalid_worker_count_fails_start(void **state)
{
    cp_runtime_stop();
    setenv("LIBPROCESS_NUM_WORKER_THREADS", "zero", 1);
    assert_int_equal(cp_runtime_start(NULL), CP_EINVAL);
    assert_false(cp_runtime_running());
    setenv("LIBPROCESS_NUM_WORKER_THREADS", "2000", 1);
    assert_int_equal(cp_runtime_start(NULL), CP_EINVAL);
    unsetenv("LIBPROCESS_NUM_WORKER_THREADS");
    cp_runtime_options_t opts = {.num_workers = 5000};
    assert_int_equal(cp_runtime_start(&opts), CP_EINVAL);
    opts.num_workers = 2;
    assert_int_equal(cp_runtime_start(&opts), 0);
    assert_int_equal(cp_runtime_num_workers(), 2);
}

static void test_remote_link_breaks_when_node_is_lost(void **state)
{
    record_t r = {.on_exit = cp_promise_new(NULL)};
    cp_future_t *exited = cp_promise_future(r.on_exit);
    cp_upid_t watcher, remote;
    /* TEST-NET-1: nothing answers there, so only node_lost ends the link. */
    cp_upid_make("far", 0xc0000201u, 9, &remote);
    assert_int_equal(cp_process_spawn("remote_watcher", &rec_ops, &r, &watcher), 0);
    assert_int_equal(cp_dispatch(&watcher, link_to, &remote, sizeof remote, NULL), 0);
    assert_int_equal(cp_clock_settle(), 0);
    cp__node_lost(remote.ip, remote.port);
    CP_AWAIT_READY(exited);
    assert_int_equal(cp_process_terminate(&watcher, false), 0);
    assert_int_equal(cp_process_wait(&watcher, CP_WAIT_FOREVER), 0);
    assert_int_equal(r.exited, 1);
    assert_true(cp_upid_equal(&r.exited_pid, &remote));
    cp_promise_free(r.on_exit);
    cp_future_unref(exited);
}

static void test_log_level_parses_names(void **state)
{
    cp_log_level_t l;
    assert_int_equal(cp_log_parse_level("debug", &l), 0);
    assert_int_equal(l, CP_LOG_DEBUG);
    assert_int_equal(cp_log_parse_level("off", &l), 0);
    assert_int_equal(l, CP_LOG_OFF);
    assert_int_equal(cp_log_parse_level("loud", &l), CP_EINVAL);
    cp_log_level_t before = cp_log_get_level();
    cp_log_set_level(CP_LOG_ERROR);
    assert_true(cp_log_enabled(CP_LOG_ERROR));
    assert_false(cp_log_enabled(CP_LOG_WARN));
    assert_false(cp_log_enabled(CP_LOG_OFF));
    cp_log_set_level(before);
}

static cp_future_t *stop_inside(cp_process_t *self, void *args)
{
    cp_runtime_stop();
    bool *still = malloc(sizeof *still);
    *still = cp_runtime_running();
    return cp_future_ready(still, free);
}

static void test_runtime_stop_inside_process_is_ignored(void **state)
{
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("stopper", NULL, NULL, &pid), 0);
    cp_future_t *f = cp_dispatch_future(&pid, stop_inside, NULL, 0, NULL);
    CP_AWAIT_READY(f);
    assert_true(*(bool *)cp_future_value(f));
    cp_future_unref(f);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, start, stop)
    const struct CMUnitTest tests[] = {
        T(test_spawn_runs_initialize_and_finalize),
        T(test_spawn_generates_prefixed_ids),
        T(test_spawn_rejects_bad_and_duplicate_ids),
        T(test_spawn_fails_when_runtime_stopped),
        T(test_terminate_runs_after_queued_events),
        T(test_inject_terminate_drops_queued_events),
        T(test_wait_times_out_on_live_process),
        T(test_wait_returns_at_once_for_unknown_pid),
        T(test_wait_on_itself_is_deadlock_error),
        T(test_many_processes_spawn_and_terminate),
        T(test_link_gives_exited_when_linked_process_ends),
        T(test_link_to_dead_pid_gives_exited_at_once),
        T(test_inject_exited_runs_exited_hook),
        T(test_unlink_suppresses_exited),
        T(test_install_handler_receives_message),
        T(test_unknown_message_is_dropped_and_counted),
        T(test_send_to_unknown_process_fails),
        T(test_percent_encoded_ids_are_found),
        T(test_runtime_stops_and_starts_again),
        T(test_worker_count_parses_valid_values),
        T(test_worker_count_comes_from_environment),
        T(test_invalid_worker_count_fails_start),
        T(test_remote_link_breaks_when_node_is_lost),
        T(test_log_level_parses_names),
        T(test_runtime_stop_inside_process_is_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

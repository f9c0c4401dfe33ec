/* Loop turns (cp_process_set_loop_turns): messages from another node (a
 * raw libprocess sender over TCP) that find such a process idle run on the
 * event-loop thread; order per sender holds when turns move between the
 * loop and the workers; a slow turn sends the process back to the
 * workers; cp_future_wait() inside a loop turn fails instead of blocking;
 * local senders and processes that did not ask are unaffected. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/node.h"
#include "cproc/cproc.h"
#include "node.h"

/* What the handler saw, written only inside the process. */
typedef struct seen {
    bool loop_turns;     /* what initialize sets */
    uint64_t want;       /* messages to count before `done` */
    uint64_t n, on_loop; /* messages run, of which on the loop thread */
    uint64_t last_seq;   /* bodies carry 1, 2, 3, ... */
    bool in_order;
    bool still_on;    /* cp_process_loop_turns() in the last handler */
    uint64_t spin_ns; /* each handler busy-waits this long */
    bool waited;      /* cp_future_wait's answer, when asked */
    int process_wait; /* cp_process_wait's, for `other` */
    cp_upid_t other;
    bool try_wait;
    cp_promise_t *done;
} seen_t;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_msg(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    seen_t *s = cp_process_data(self);
    uint64_t seq = 0;
    if (msg->len == sizeof seq)
        memcpy(&seq, msg->body, sizeof seq);
    if (seq != s->last_seq + 1)
        s->in_order = false;
    s->last_seq = seq;
    s->on_loop += cp__on_loop_thread();
    s->still_on = cp_process_loop_turns(self);
    if (s->spin_ns) {
        uint64_t until = now_ns() + s->spin_ns;
        while (now_ns() < until)
            ;
    }
    if (s->try_wait) {
        cp_promise_t *never = cp_promise_new(NULL);
        cp_future_t *f = cp_promise_future(never);
        s->waited = cp_future_wait(f, UINT64_MAX);
        cp_future_unref(f);
        cp_promise_free(never);
        s->process_wait = cp_process_wait(&s->other, CP_WAIT_FOREVER);
    }
    if (++s->n == s->want)
        cp_promise_set(s->done, NULL);
}

static void init(cp_process_t *self)
{
    seen_t *s = cp_process_data(self);
    cp_process_install(self, "t.msg", on_msg, NULL, NULL);
    cp_process_set_loop_turns(self, s->loop_turns);
}

/* Spawns `id` and returns once it is idle, initialize run. */
static void spawn(const char *id, seen_t *s, uint64_t want, cp_upid_t *pid)
{
    static const cp_process_ops_t ops = {.initialize = init};
    s->want = want;
    s->in_order = true;
    s->done = cp_promise_new(NULL);
    assert_int_equal(cp_process_spawn(id, &ops, s, pid), 0);
    assert_int_equal(cp_clock_settle(), 0);
}

static void finish(seen_t *s, const cp_upid_t *pid)
{
    cp_future_t *f = cp_promise_future(s->done);
    assert_true(cp_future_wait(f, UINT64_MAX));
    cp_future_unref(f);
    cp_process_terminate(pid, false);
    cp_process_wait(pid, CP_WAIT_FOREVER);
    cp_promise_free(s->done);
}

/* Sends messages first..last (their sequence numbers as bodies) to /id/t.msg
 * in one write, pipelined. */
static void peer_send(test_node_peer_t *p, const char *id, uint64_t first, uint64_t last)
{
    size_t cap = (size_t)(last - first + 1) * 160, len = 0;
    char *req = malloc(cap);
    assert_non_null(req);
    for (uint64_t seq = first; seq <= last; seq++) {
        len += (size_t)snprintf(req + len, cap - len,
                                "POST /%s/t.msg HTTP/1.1\r\nLibprocess-From: peer@127.0.0.1:1\r\n"
                                "Content-Length: %zu\r\n\r\n",
                                id, sizeof seq);
        memcpy(req + len, &seq, sizeof seq);
        len += sizeof seq;
    }
    test_node_send_all(p->fd, req, len);
    free(req);
}

static void test_remote_message_runs_on_the_loop_thread(void **state)
{
    seen_t s = {.loop_turns = true};
    cp_upid_t pid;
    spawn("looper", &s, 1, &pid);
    long long turns = test_node_metric("runtime/loop_turns");
    test_node_peer_t *peer = test_node_peer_open();
    peer_send(peer, "looper", 1, 1);
    finish(&s, &pid);
    test_node_peer_close(peer);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.on_loop, 1);
    assert_true(s.still_on);
    assert_true(test_node_metric("runtime/loop_turns") >= turns + 1);
}

static void test_without_loop_turns_messages_run_on_workers(void **state)
{
    seen_t s = {.loop_turns = false};
    cp_upid_t pid;
    spawn("plain", &s, 200, &pid);
    test_node_peer_t *peer = test_node_peer_open();
    peer_send(peer, "plain", 1, 200);
    finish(&s, &pid);
    test_node_peer_close(peer);
    assert_int_equal(s.n, 200);
    assert_int_equal(s.on_loop, 0);
    assert_true(s.in_order);
}

static void test_local_senders_are_unaffected(void **state)
{
    seen_t s = {.loop_turns = true};
    cp_upid_t pid;
    spawn("local", &s, 100, &pid);
    for (uint64_t seq = 1; seq <= 100; seq++)
        assert_int_equal(cp_send(NULL, &pid, "t.msg", &seq, sizeof seq), 0);
    finish(&s, &pid);
    assert_int_equal(s.on_loop, 0);
    assert_true(s.in_order);
}

/* Far more than one loop turn's 256 events, in one burst: some turns run on
 * the loop, the rest are handed to workers, and the order holds. */
static void test_order_holds_between_the_loop_and_the_workers(void **state)
{
    seen_t s = {.loop_turns = true};
    cp_upid_t pid;
    spawn("mixed", &s, 5000, &pid);
    test_node_peer_t *peer = test_node_peer_open();
    peer_send(peer, "mixed", 1, 2500);
    peer_send(peer, "mixed", 2501, 5000);
    finish(&s, &pid);
    test_node_peer_close(peer);
    assert_int_equal(s.n, 5000);
    assert_int_equal(s.last_seq, 5000);
    assert_true(s.in_order);
    assert_true(s.on_loop >= 1);
}

/* Three slow loop turns in a row (3 ms each, one message each) turn loop
 * turns off: the fourth message runs on a worker. */
static void test_slow_turns_send_the_process_to_the_workers(void **state)
{
    seen_t s = {.loop_turns = true, .spin_ns = 3 * 1000 * 1000};
    cp_upid_t pid;
    long long revoked = test_node_metric("runtime/loop_turns_revoked");
    spawn("slow", &s, 1, &pid);
    test_node_peer_t *peer = test_node_peer_open();
    for (uint64_t seq = 1; seq <= 3; seq++) {
        peer_send(peer, "slow", seq, seq);
        cp_future_t *f = cp_promise_future(s.done);
        assert_true(cp_future_wait(f, UINT64_MAX));
        cp_future_unref(f);
        assert_int_equal(cp_clock_settle(), 0); /* its turn has ended */
        cp_promise_free(s.done);
        s.done = cp_promise_new(NULL);
        s.want = seq + 1;
    }
    s.spin_ns = 0;
    peer_send(peer, "slow", 4, 4);
    finish(&s, &pid);
    test_node_peer_close(peer);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.on_loop, 3);
    assert_true(s.in_order);
    assert_false(s.still_on);
    assert_int_equal(test_node_metric("runtime/loop_turns_revoked"), revoked + 1);
}

static void test_waits_inside_a_loop_turn_fail_at_once(void **state)
{
    seen_t s = {.loop_turns = true, .try_wait = true};
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("other", NULL, NULL, &s.other), 0);
    spawn("waiter", &s, 1, &pid);
    test_node_peer_t *peer = test_node_peer_open();
    peer_send(peer, "waiter", 1, 1);
    finish(&s, &pid); /* would never return if the wait blocked the loop */
    test_node_peer_close(peer);
    assert_int_equal(s.on_loop, 1);
    assert_false(s.waited);
    assert_int_equal(s.process_wait, CP_EDEADLK);
    cp_process_terminate(&s.other, false);
    cp_process_wait(&s.other, CP_WAIT_FOREVER);
}

/* Stop while a burst is being delivered: turns waiting for the loop are
 * handed to the workers, and the stop returns. */
static void test_stop_during_a_burst(void **state)
{
    seen_t s = {.loop_turns = true};
    cp_upid_t pid;
    spawn("burst", &s, UINT64_MAX, &pid);
    test_node_peer_t *peer = test_node_peer_open();
    peer_send(peer, "burst", 1, 3000);
    cp_runtime_stop();
    test_node_peer_close(peer);
    assert_true(s.in_order);
    cp_promise_free(s.done);
    assert_int_equal(test_node_start(NULL), 0); /* for the teardown */
}

/* CPROC_LOOP_POLL_US=0: the loop blocks as soon as a pass is done; turns
 * still run there, and a burst still arrives whole and in order. */
static void test_no_polling_after_turns(void **state)
{
    test_node_stop(state);
    setenv("CPROC_LOOP_POLL_US", "0", 1);
    assert_int_equal(test_node_start(state), 0);
    unsetenv("CPROC_LOOP_POLL_US");
    seen_t s = {.loop_turns = true};
    cp_upid_t pid;
    spawn("unpolled", &s, 500, &pid);
    test_node_peer_t *peer = test_node_peer_open();
    peer_send(peer, "unpolled", 1, 500);
    finish(&s, &pid);
    test_node_peer_close(peer);
    assert_int_equal(s.n, 500);
    assert_true(s.in_order);
    assert_true(s.on_loop >= 1);
}

/* A bad value stops the start, as every variable's (docs/wire.md). */
static void test_bad_poll_time_stops_the_start(void **state)
{
    test_node_stop(state);
    setenv("CPROC_LOOP_POLL_US", "10001", 1);
    assert_int_equal(cp_runtime_start(NULL), CP_EINVAL);
    assert_string_equal(cp_runtime_start_error(),
                        "CPROC_LOOP_POLL_US=\"10001\" is not a whole number from 0 to 10000");
    unsetenv("CPROC_LOOP_POLL_US");
    assert_int_equal(test_node_start(state), 0); /* for the teardown */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_remote_message_runs_on_the_loop_thread,
                                        test_node_start, test_node_stop),
        cmocka_unit_test_setup_teardown(test_without_loop_turns_messages_run_on_workers,
                                        test_node_start, test_node_stop),
        cmocka_unit_test_setup_teardown(test_local_senders_are_unaffected, test_node_start,
                                        test_node_stop),
        cmocka_unit_test_setup_teardown(test_order_holds_between_the_loop_and_the_workers,
                                        test_node_start, test_node_stop),
        cmocka_unit_test_setup_teardown(test_slow_turns_send_the_process_to_the_workers,
                                        test_node_start, test_node_stop),
        cmocka_unit_test_setup_teardown(test_waits_inside_a_loop_turn_fail_at_once, test_node_start,
                                        test_node_stop),
        cmocka_unit_test_setup_teardown(test_stop_during_a_burst, test_node_start, test_node_stop),
        cmocka_unit_test_setup_teardown(test_no_polling_after_turns, test_node_start,
                                        test_node_stop),
        cmocka_unit_test_setup_teardown(test_bad_poll_time_stops_the_start, test_node_start,
                                        test_node_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

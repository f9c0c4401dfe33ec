/* Bounded mailboxes: reject and drop-oldest, locally and for messages from
 * another node (a raw HTTP sender), and their counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cproc/cproc.h"
#include "core/node.h"
#include "metrics/metrics_http.h"
#include "node.h"

/* Holds the process inside one handler until the gate opens. */
static cp_promise_t *gate;

static void busy(cp_process_t *self, void *args)
{
    cp_future_t *g = cp_promise_future(gate);
    cp_future_wait(g, CP_TEST_TIMEOUT_NS);
    cp_future_unref(g);
}

typedef struct rec {
    int ran[16];
    int n;
} rec_t;

static void record(cp_process_t *self, void *args)
{
    rec_t *r = cp_process_data(self);
    r->ran[r->n++] = *(int *)args;
}

static int frees;

static void count_free(void *args)
{
    frees++;
}

static cp_future_t *done(cp_process_t *self, void *args)
{
    return cp_future_ready(NULL, NULL);
}

/* Waits until `pid` has started the busy handler (nothing queued). */
/* Polls (bounded) until nothing is queued for pid. */
static void wait_drained(const cp_upid_t *pid, const char *what)
{
    cp_mailbox_stats_t st;
    for (int i = 0; i < 15000; i++) {
        assert_int_equal(cp_mailbox_stats(pid, &st), 0);
        if (st.queued == 0)
            return;
        usleep(1000);
    }
    fail_msg("%s", what);
}

static void wait_busy(const cp_upid_t *pid)
{
    wait_drained(pid, "the process never started its first event");
}

static void test_reject_refuses_beyond_the_bound(void **state)
{
    rec_t r = {0};
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn_bounded("full", NULL, &r, 2, CP_MAILBOX_REJECT, &pid), 0);
    gate = cp_promise_new(NULL);
    assert_int_equal(cp_dispatch(&pid, busy, NULL, 0, NULL), 0);
    wait_busy(&pid);
    int one = 1, two = 2, three = 3;
    assert_int_equal(cp_dispatch(&pid, record, &one, sizeof one, NULL), 0);
    assert_int_equal(cp_dispatch(&pid, record, &two, sizeof two, NULL), 0);
    frees = 0;
    assert_int_equal(cp_dispatch(&pid, record, &three, sizeof three, count_free), CP_EFULL);
    assert_int_equal(frees, 1);
    assert_int_equal(cp_send(NULL, &pid, "some.Message", "x", 1), CP_EFULL);
    cp_future_t *f = cp_dispatch_future(&pid, done, NULL, 0, NULL);
    assert_true(cp_future_is_failed(f));
    assert_string_equal(cp_future_failure(f), "mailbox full");
    cp_future_unref(f);
    cp_mailbox_stats_t st;
    assert_int_equal(cp_mailbox_stats(&pid, &st), 0);
    assert_int_equal(st.bound, 2);
    assert_int_equal(st.policy, CP_MAILBOX_REJECT);
    assert_int_equal(st.queued, 2);
    assert_int_equal(st.rejected, 3);
    assert_true(cp_mailbox_rejected_total() >= 3);
    cp_promise_set(gate, NULL);
    f = cp_dispatch_future(&pid, done, NULL, 0, NULL); /* room again soon */
    if (cp_future_is_failed(f)) {
        /* It raced the two queued events: retry once they ran. */
        cp_future_unref(f);
        for (int i = 0; i < 15000; i++) {
            cp_mailbox_stats(&pid, &st);
            if (st.queued == 0)
                break;
            usleep(1000);
        }
        f = cp_dispatch_future(&pid, done, NULL, 0, NULL);
    }
    CP_AWAIT_READY(f);
    cp_future_unref(f);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.ran[0], 1);
    assert_int_equal(r.ran[1], 2);
    /* Terminate is never refused. */
    cp_promise_free(gate);
    assert_int_equal(cp_process_terminate(&pid, false), 0);
    assert_int_equal(cp_process_wait(&pid, CP_WAIT_FOREVER), 0);
}

static void test_drop_oldest_keeps_the_newest(void **state)
{
    rec_t r = {0};
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn_bounded("newest", NULL, &r, 2, CP_MAILBOX_DROP_OLDEST, &pid),
                     0);
    gate = cp_promise_new(NULL);
    cp_dispatch(&pid, busy, NULL, 0, NULL);
    wait_busy(&pid);
    frees = 0;
    cp_future_t *first = cp_dispatch_future(&pid, done, NULL, 0, NULL);
    for (int i = 1; i <= 4; i++)
        assert_int_equal(cp_dispatch(&pid, record, &i, sizeof i, count_free), 0);
    cp_mailbox_stats_t st;
    cp_mailbox_stats(&pid, &st);
    assert_int_equal(st.queued, 5);
    cp_promise_set(gate, NULL);
    CP_AWAIT_ABANDONED(first); /* dropped: its future is abandoned */
    /* Drop-oldest drops as the process dequeues: let it take all five
     * before `last` comes, or `last` would push a newer one out too. */
    wait_drained(&pid, "the queued events were never taken");
    cp_future_t *last = cp_dispatch_future(&pid, done, NULL, 0, NULL);
    CP_AWAIT_READY(last);
    cp_future_unref(last);
    cp_future_unref(first);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.ran[0], 3);
    assert_int_equal(r.ran[1], 4);
    assert_int_equal(frees, 4); /* every args_free ran: 2 dropped, 2 after running */
    cp_mailbox_stats(&pid, &st);
    assert_int_equal(st.dropped, 3);
    assert_int_equal(st.queued, 0);
    assert_true(cp_mailbox_dropped_total() >= 3);
    cp_future_t *snap = cp_metrics_snapshot(UINT64_MAX, CP_METRICS_JSON);
    CP_AWAIT_READY(snap);
    assert_non_null(strstr(cp_future_value(snap), "\"runtime/mailbox_dropped\":"));
    cp_future_unref(snap);
    cp_promise_free(gate);
}

static void test_bad_bounds_and_unbounded_stats(void **state)
{
    assert_int_equal(cp_process_spawn_bounded("b", NULL, NULL, 0, CP_MAILBOX_REJECT, NULL),
                     CP_EINVAL);
    assert_int_equal(cp_process_spawn_bounded("b", NULL, NULL, 1, (cp_mailbox_policy_t)7, NULL),
                     CP_EINVAL);
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("free", NULL, NULL, &pid), 0);
    cp_mailbox_stats_t st;
    assert_int_equal(cp_mailbox_stats(&pid, &st), 0);
    assert_int_equal(st.bound, 0);
    cp_upid_t none;
    cp_upid_make("nobody", 0x7f000001, 1, &none);
    assert_int_equal(cp_mailbox_stats(&none, &st), CP_ENOENT);
}

static void test_remote_message_to_a_full_mailbox_gets_503(void **state)
{
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn_bounded("inbox", NULL, NULL, 1, CP_MAILBOX_REJECT, &pid), 0);
    gate = cp_promise_new(NULL);
    cp_dispatch(&pid, busy, NULL, 0, NULL);
    wait_busy(&pid);
    assert_int_equal(test_node_post_status("/inbox/some.Message"), 202); /* fills it */
    assert_int_equal(test_node_post_status("/inbox/some.Message"), 503);
    assert_int_equal(test_node_post_status("/nobody/some.Message"), 404);
    cp_mailbox_stats_t st;
    cp_mailbox_stats(&pid, &st);
    assert_int_equal(st.rejected, 1);
    cp_promise_set(gate, NULL);
    cp_promise_free(gate);
}

static void test_processes_shows_the_mailbox(void **state)
{
    cp_process_spawn_bounded("shown", NULL, NULL, 3, CP_MAILBOX_DROP_OLDEST, NULL);
    cp_process_spawn("plain", NULL, NULL, NULL);
    cp_future_t *f = cp__processes_snapshot(UINT64_MAX);
    CP_AWAIT_READY(f);
    const char *j = cp_future_value(f);
    assert_non_null(strstr(j, "{\"id\":\"shown\",\"events\":[],\"mailbox\":{\"bound\":3,"
                              "\"policy\":\"DROP_OLDEST\",\"queued\":0,\"rejected\":0,"
                              "\"dropped\":0},\"state\":"));
    assert_non_null(strstr(j, "{\"id\":\"plain\",\"events\":[],\"state\":"));
    cp_future_unref(f);
}

/* A busy bounded process does not answer the snapshot, yet its mailbox
 * figures (atomics read from outside) are listed. */
static void test_processes_shows_a_busy_process_mailbox(void **state)
{
    static rec_t r;
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn_bounded("stuck", NULL, &r, 4, CP_MAILBOX_REJECT, &pid), 0);
    gate = cp_promise_new(NULL);
    cp_dispatch(&pid, busy, NULL, 0, NULL);
    wait_busy(&pid);
    int one = 1;
    assert_int_equal(cp_dispatch(&pid, record, &one, sizeof one, NULL), 0);
    cp_clock_pause();
    cp_future_t *f = cp__processes_snapshot(CP_NS_PER_SEC);
    cp_clock_advance(CP_NS_PER_SEC);
    CP_AWAIT_READY(f);
    const char *j = cp_future_value(f);
    assert_non_null(strstr(j, "{\"id\":\"stuck\",\"events\":[],\"mailbox\":{\"bound\":4,"
                              "\"policy\":\"REJECT\",\"queued\":1,\"rejected\":0,"
                              "\"dropped\":0},\"state\":"));
    assert_non_null(strstr(j, ",\"busy\":true}"));
    cp_future_unref(f);
    cp_clock_resume();
    cp_promise_set(gate, NULL);
    cp_promise_free(gate);
}

static void count_events(void *arg, const char *id, size_t id_len, int state, bool queued,
                         uint64_t events)
{
    if (id_len == 7 && memcmp(id, "counted", 7) == 0)
        *(uint64_t *)arg = events;
}

/* `handled` (the process's event count) counts events run, not those that
 * drop-oldest threw away: busy, two of four records, and the last one. */
static void test_handled_counts_only_events_run(void **state)
{
    static rec_t r;
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn_bounded("counted", NULL, &r, 2, CP_MAILBOX_DROP_OLDEST, &pid),
                     0);
    gate = cp_promise_new(NULL);
    cp_dispatch(&pid, busy, NULL, 0, NULL);
    wait_busy(&pid);
    for (int i = 1; i <= 4; i++)
        assert_int_equal(cp_dispatch(&pid, record, &i, sizeof i, NULL), 0);
    cp_promise_set(gate, NULL);
    /* All four taken before `last` is sent (else it counts towards the
     * bound and one more record is dropped). */
    wait_drained(&pid, "the queued records were never taken");
    cp_future_t *last = cp_dispatch_future(&pid, done, NULL, 0, NULL);
    CP_AWAIT_READY(last);
    cp_future_unref(last);
    /* The count is published when a batch ends: poll (bounded) for it. */
    uint64_t events = 0;
    for (int i = 0; i < 15000 && events < 4; i++) {
        cp__processes_each(count_events, &events);
        if (events < 4)
            usleep(1000);
    }
    assert_int_equal(events, 4);
    assert_int_equal(r.n, 2);
    cp_promise_free(gate);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, test_node_start, test_node_stop)
    const struct CMUnitTest tests[] = {
        T(test_reject_refuses_beyond_the_bound), T(test_drop_oldest_keeps_the_newest),
        T(test_bad_bounds_and_unbounded_stats),  T(test_remote_message_to_a_full_mailbox_gets_503),
        T(test_processes_shows_the_mailbox),     T(test_processes_shows_a_busy_process_mailbox),
        T(test_handled_counts_only_events_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

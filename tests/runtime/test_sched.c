/* Scheduling semantics under the per-worker run queues: one thread at a
 * time inside a process, FIFO per sender, the fairness bound (a busy
 * process, or two processes bouncing messages through a worker's next
 * slot, cannot starve the others), fan-out that other workers steal,
 * terminating processes that sit in run queues, and sends to and
 * terminating of lingering processes. Nothing here asserts timing: every
 * wait is on a future or a counter, bounded by CP_TEST_TIMEOUT_NS. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cproc/cproc.h"
#include "cproc/testing.h"

static int start2(void **state)
{
    cp_runtime_options_t o = {.num_workers = 2};
    return cp_runtime_start(&o);
}

static int start1(void **state)
{
    cp_runtime_options_t o = {.num_workers = 1};
    return cp_runtime_start(&o);
}

static int stop(void **state)
{
    cp_runtime_stop();
    return 0;
}

static void spawn_ok(const cp_process_ops_t *ops, void *data, cp_upid_t *pid)
{
    assert_int_equal(cp_process_spawn(NULL, ops, data, pid), 0);
}

static cp_future_t *nothing(cp_process_t *self, void *args)
{
    return cp_future_ready(NULL, NULL);
}

/* Waits until every event queued on pid before this call has run. */
static void drain(const cp_upid_t *pid)
{
    cp_future_t *f = cp_dispatch_future(pid, nothing, NULL, 0, NULL);
    CP_AWAIT_READY(f);
    cp_future_unref(f);
}

static void finish(const cp_upid_t *pid)
{
    assert_int_equal(cp_process_terminate(pid, false), 0);
    assert_int_equal(cp_process_wait(pid, CP_WAIT_FOREVER), 0);
}

/* ---- one thread inside, FIFO per sender ----------------------------------- */

#define SENDERS 8 /* processes, each sending SEQ messages */
#define THREADS 3 /* plain threads, each sending SEQ dispatches */
#define SEQ     4000

typedef struct sink {
    _Atomic int inside;
    int overlaps;
    uint32_t next[SENDERS + THREADS]; /* next sequence number per sender */
    int out_of_order;
    long seen;
} sink_t;

typedef struct seq_msg {
    uint32_t sender;
    uint32_t seq;
} seq_msg_t;

static void sink_take(sink_t *s, seq_msg_t m)
{
    if (atomic_fetch_add(&s->inside, 1) != 0)
        s->overlaps++;
    if (m.sender >= SENDERS + THREADS || s->next[m.sender] != m.seq)
        s->out_of_order++;
    else
        s->next[m.sender]++;
    s->seen++;
    atomic_fetch_sub(&s->inside, 1);
}

static void sink_on_msg(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    seq_msg_t m = {UINT32_MAX, 0};
    if (msg->len == sizeof m)
        memcpy(&m, msg->body, sizeof m);
    sink_take(cp_process_data(self), m);
}

static void sink_on_dispatch(cp_process_t *self, void *args)
{
    sink_take(cp_process_data(self), *(seq_msg_t *)args);
}

static void sink_init(cp_process_t *self)
{
    cp_process_install(self, "seq", sink_on_msg, NULL, NULL);
}

typedef struct sender {
    cp_upid_t sink;
    uint32_t id;
    cp_promise_t *done;
} sender_t;

/* Sends its whole sequence in slices, re-dispatching itself in between so
 * the senders interleave on the workers. */
static void sender_burst(cp_process_t *self, void *args)
{
    sender_t *s = cp_process_data(self);
    uint32_t from = *(uint32_t *)args;
    uint32_t to = from + 97 < SEQ ? from + 97 : SEQ;
    for (uint32_t i = from; i < to; i++) {
        seq_msg_t m = {s->id, i};
        assert_int_equal(cp_process_send(self, &s->sink, "seq", &m, sizeof m), 0);
    }
    if (to < SEQ) {
        cp_upid_t me = cp_process_pid(self);
        assert_int_equal(cp_dispatch(&me, sender_burst, &to, sizeof to, NULL), 0);
    } else {
        cp_promise_set(s->done, NULL);
    }
}

typedef struct thread_arg {
    cp_upid_t sink;
    uint32_t id;
} thread_arg_t;

static void *thread_send(void *arg)
{
    thread_arg_t *t = arg;
    for (uint32_t i = 0; i < SEQ; i++) {
        seq_msg_t m = {t->id, i};
        if (cp_dispatch(&t->sink, sink_on_dispatch, &m, sizeof m, NULL) != 0)
            break;
    }
    return NULL;
}

static void one_inside_and_fifo(void)
{
    static const cp_process_ops_t sink_ops = {.initialize = sink_init};
    sink_t *sink = calloc(1, sizeof *sink);
    cp_upid_t sink_pid;
    spawn_ok(&sink_ops, sink, &sink_pid);

    sender_t senders[SENDERS];
    cp_upid_t spids[SENDERS];
    cp_future_t *done[SENDERS];
    for (uint32_t i = 0; i < SENDERS; i++) {
        senders[i] = (sender_t){.sink = sink_pid, .id = i, .done = cp_promise_new(NULL)};
        done[i] = cp_promise_future(senders[i].done);
        spawn_ok(NULL, &senders[i], &spids[i]);
    }
    pthread_t th[THREADS];
    thread_arg_t ta[THREADS];
    for (uint32_t i = 0; i < THREADS; i++) {
        ta[i] = (thread_arg_t){.sink = sink_pid, .id = SENDERS + i};
        assert_int_equal(pthread_create(&th[i], NULL, thread_send, &ta[i]), 0);
    }
    uint32_t zero = 0;
    for (uint32_t i = 0; i < SENDERS; i++)
        assert_int_equal(cp_dispatch(&spids[i], sender_burst, &zero, sizeof zero, NULL), 0);
    for (uint32_t i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    /* Every send happened before its sender's promise was set, so the
     * marker queued after the awaits comes after all of them. */
    for (uint32_t i = 0; i < SENDERS; i++)
        CP_AWAIT_READY(done[i]);
    drain(&sink_pid);

    assert_int_equal(sink->overlaps, 0);
    assert_int_equal(sink->out_of_order, 0);
    assert_int_equal(sink->seen, (long)(SENDERS + THREADS) * SEQ);
    for (uint32_t i = 0; i < SENDERS + THREADS; i++)
        assert_int_equal(sink->next[i], SEQ);
    for (uint32_t i = 0; i < SENDERS; i++) {
        finish(&spids[i]);
        cp_future_unref(done[i]);
        cp_promise_free(senders[i].done);
    }
    finish(&sink_pid);
    free(sink);
}

static void test_one_inside_and_fifo_two_workers(void **state)
{
    one_inside_and_fifo();
}

static void test_one_inside_and_fifo_one_worker(void **state)
{
    one_inside_and_fifo();
}

/* ---- fairness ----------------------------------------------------------- */

typedef struct spinner {
    _Atomic bool stop;
    _Atomic long turns;
} spinner_t;

/* Re-dispatches itself until told to stop: its mailbox is never empty. */
static void spin_self(cp_process_t *self, void *args)
{
    spinner_t *s = cp_process_data(self);
    atomic_fetch_add(&s->turns, 1);
    if (atomic_load(&s->stop))
        return;
    cp_upid_t me = cp_process_pid(self);
    cp_dispatch(&me, spin_self, NULL, 0, NULL);
}

static void test_busy_process_does_not_starve_injected_work(void **state)
{
    spinner_t s = {0};
    cp_upid_t busy, other;
    spawn_ok(NULL, &s, &busy);
    spawn_ok(NULL, NULL, &other);
    assert_int_equal(cp_dispatch(&busy, spin_self, NULL, 0, NULL), 0);
    /* One worker, busy forever unless the other process gets its turn. */
    drain(&other);
    atomic_store(&s.stop, true);
    assert_int_equal(cp_process_terminate(&busy, true), 0);
    assert_int_equal(cp_process_wait(&busy, CP_WAIT_FOREVER), 0);
    assert_true(atomic_load(&s.turns) > 0);
    finish(&other);
}

/* Two processes bouncing one message: each makes the other runnable from
 * the worker, so they alternate through the worker's next slot. */
#define BOUNCES 3000

typedef struct bouncer {
    cp_upid_t peer;
    _Atomic bool stop;
    long bounces;
    cp_promise_t *enough; /* set at BOUNCES */
} bouncer_t;

static void bounce(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    bouncer_t *b = cp_process_data(self);
    if (++b->bounces == BOUNCES)
        cp_promise_set(b->enough, NULL);
    if (!atomic_load(&b->stop))
        cp_process_send(self, &b->peer, "ball", NULL, 0);
}

static void bouncer_init(cp_process_t *self)
{
    cp_process_install(self, "ball", bounce, NULL, NULL);
}

/* Two pairs on one worker: while one pair alternates through the slot,
 * the other pair's ball waits in the ring (or the injection queue). Both
 * must keep going, and work from outside must run too. */
static void test_bouncing_pairs_do_not_starve_others(void **state)
{
    static const cp_process_ops_t ops = {.initialize = bouncer_init};
    bouncer_t b[4] = {0};
    cp_upid_t pid[4], third;
    cp_future_t *enough[4];
    for (int i = 0; i < 4; i++) {
        b[i].enough = cp_promise_new(NULL);
        enough[i] = cp_promise_future(b[i].enough);
        spawn_ok(&ops, &b[i], &pid[i]);
    }
    spawn_ok(NULL, NULL, &third);
    for (int i = 0; i < 4; i++)
        b[i].peer = pid[i ^ 1];
    for (int i = 0; i < 4; i++)
        drain(&pid[i]); /* handlers installed, peers visible */
    assert_int_equal(cp_send(&pid[0], &pid[1], "ball", NULL, 0), 0);
    assert_int_equal(cp_send(&pid[2], &pid[3], "ball", NULL, 0), 0);
    for (int i = 0; i < 20; i++)
        drain(&third);
    for (int i = 0; i < 4; i++)
        CP_AWAIT_READY(enough[i]);
    for (int i = 0; i < 4; i++)
        atomic_store(&b[i].stop, true);
    for (int i = 0; i < 4; i++) {
        finish(&pid[i]);
        cp_future_unref(enough[i]);
        cp_promise_free(b[i].enough);
    }
    finish(&third);
}

/* ---- fan-out and stealing ------------------------------------------------ */

#define FAN 2000

typedef struct fan {
    cp_upid_t pids[FAN];
    _Atomic long ran;
    cp_promise_t *all;
} fan_t;

static void fan_leaf(cp_process_t *self, void *args)
{
    fan_t *f = *(fan_t **)args;
    if (atomic_fetch_add(&f->ran, 1) + 1 == FAN)
        cp_promise_set(f->all, NULL);
}

/* One process makes FAN others runnable: all but the last go through its
 * worker's ring, where the other worker steals them. */
static void fan_root(cp_process_t *self, void *args)
{
    fan_t *f = *(fan_t **)args;
    for (int i = 0; i < FAN; i++)
        cp_dispatch(&f->pids[i], fan_leaf, &f, sizeof f, NULL);
}

static void test_fan_out_runs_everything(void **state)
{
    fan_t *f = calloc(1, sizeof *f);
    f->all = cp_promise_new(NULL);
    cp_future_t *all = cp_promise_future(f->all);
    for (int i = 0; i < FAN; i++)
        spawn_ok(NULL, NULL, &f->pids[i]);
    cp_upid_t root;
    spawn_ok(NULL, NULL, &root);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(cp_dispatch(&root, fan_root, &f, sizeof f, NULL), 0);
        drain(&root);
    }
    CP_AWAIT_READY(all);
    for (int i = 0; i < FAN; i++)
        drain(&f->pids[i]);
    assert_int_equal(atomic_load(&f->ran), 3 * FAN);
    for (int i = 0; i < FAN; i++)
        assert_int_equal(cp_process_terminate(&f->pids[i], true), 0);
    for (int i = 0; i < FAN; i++)
        assert_int_equal(cp_process_wait(&f->pids[i], CP_WAIT_FOREVER), 0);
    finish(&root);
    cp_future_unref(all);
    cp_promise_free(f->all);
    free(f);
}

/* Processes terminated (with inject) while they sit runnable in the run
 * queues: each ends once, and what was queued is dropped. */
static void count_free(void *args)
{
    atomic_fetch_add(*(_Atomic long **)args, 1);
}

static void noop(cp_process_t *self, void *args)
{
}

static void test_terminate_while_queued(void **state)
{
    enum { N = 300, EACH = 20 };
    cp_upid_t *pids = calloc(N, sizeof *pids);
    _Atomic long freed = 0;
    _Atomic long *fp = &freed;
    for (int i = 0; i < N; i++)
        spawn_ok(NULL, NULL, &pids[i]);
    for (int k = 0; k < EACH; k++)
        for (int i = 0; i < N; i++)
            assert_int_equal(cp_dispatch(&pids[i], noop, &fp, sizeof fp, count_free), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(cp_process_terminate(&pids[i], true), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(cp_process_wait(&pids[i], CP_WAIT_FOREVER), 0);
    for (int i = 0; i < N; i++)
        assert_false(cp_process_exists(&pids[i]));
    /* Run or dropped, every argument block is released exactly once (the
     * last may be released when the final reference goes, so allow the
     * runtime to finish with them before counting). */
    cp_runtime_stop();
    assert_int_equal(atomic_load(&freed), (long)N * EACH);
    free(pids);
}

/* Lingering (sched.c): a process made runnable from outside the workers
 * whose turn on a worker emptied its mailbox stays scheduled there for a
 * few looks, and a send to it then only queues the event. Two threads that are not workers each send to
 * two processes of their own, one event at a time: each waits until the
 * event has run, without sending anything else (which would schedule the
 * process and hide a lost send), then pauses for a varied time, so that
 * sends land while a process lingers, as its lingering ends, and after.
 * A send lost at the end of lingering fails the wait. */
enum { LINGER_SENDS = 20000 };

typedef struct {
    _Alignas(64) _Atomic long n;
} linger_count_t;

static void count_one(cp_process_t *self, void *args)
{
    linger_count_t *c = cp_process_data(self);
    atomic_fetch_add_explicit(&c->n, 1, memory_order_relaxed);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

typedef struct {
    cp_upid_t pids[2];
    linger_count_t *counts; /* two */
    unsigned seed;
    bool lost;
} linger_sender_t;

static void *send_one_at_a_time(void *arg)
{
    linger_sender_t *s = arg;
    static const unsigned spins[] = {0, 40, 400, 4000};
    for (int i = 0; i < LINGER_SENDS && !s->lost; i++) {
        int k = i % 2;
        long want = i / 2 + 1;
        if (cp_dispatch(&s->pids[k], count_one, NULL, 0, NULL) != 0) {
            s->lost = true;
            break;
        }
        uint64_t deadline = mono_ns() + CP_TEST_TIMEOUT_NS;
        while (atomic_load_explicit(&s->counts[k].n, memory_order_relaxed) < want) {
            if (mono_ns() > deadline) {
                s->lost = true;
                break;
            }
            sched_yield();
        }
        s->seed = s->seed * 1103515245u + 12345u;
        for (volatile unsigned n = 0; n < spins[(s->seed >> 16) % 4]; n++)
            ;
    }
    return NULL;
}

static void test_sends_reach_lingering_processes(void **state)
{
    linger_count_t *counts = aligned_alloc(64, 4 * sizeof *counts);
    memset(counts, 0, 4 * sizeof *counts);
    linger_sender_t s[2] = {{.counts = &counts[0], .seed = 1}, {.counts = &counts[2], .seed = 2}};
    for (int i = 0; i < 4; i++)
        spawn_ok(NULL, &counts[i], &s[i / 2].pids[i % 2]);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_one_at_a_time, &s[1]), 0);
    send_one_at_a_time(&s[0]);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_false(s[0].lost);
    assert_false(s[1].lost);
    for (int i = 0; i < 4; i++)
        assert_int_equal(atomic_load(&counts[i].n), LINGER_SENDS / 2);
    /* Lingering ends by itself: the runtime settles. */
    assert_int_equal(cp_clock_settle(), 0);
    for (int i = 0; i < 4; i++)
        finish(&s[i / 2].pids[i % 2]);
    free(counts);
}

/* A process terminated just after a turn, while it lingers, ends: the
 * terminate is seen at the worker's next look, not lost because the
 * process was still scheduled. */
static void test_terminate_reaches_a_lingering_process(void **state)
{
    for (int i = 0; i < 200; i++) {
        cp_upid_t pid;
        spawn_ok(NULL, NULL, &pid);
        drain(&pid); /* it has just run a turn and may linger */
        assert_int_equal(cp_process_terminate(&pid, i % 2 == 0), 0);
        assert_int_equal(cp_process_wait(&pid, CP_WAIT_FOREVER), 0);
        assert_false(cp_process_exists(&pid));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_inside_and_fifo_two_workers, start2, stop),
        cmocka_unit_test_setup_teardown(test_one_inside_and_fifo_one_worker, start1, stop),
        cmocka_unit_test_setup_teardown(test_busy_process_does_not_starve_injected_work, start1,
                                        stop),
        cmocka_unit_test_setup_teardown(test_bouncing_pairs_do_not_starve_others, start1, stop),
        cmocka_unit_test_setup_teardown(test_fan_out_runs_everything, start2, stop),
        cmocka_unit_test_setup_teardown(test_terminate_while_queued, start2, stop),
        cmocka_unit_test_setup_teardown(test_sends_reach_lingering_processes, start2, stop),
        cmocka_unit_test_setup_teardown(test_terminate_reaches_a_lingering_process, start2, stop),
        cmocka_unit_test_setup_teardown(test_terminate_reaches_a_lingering_process, start1, stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

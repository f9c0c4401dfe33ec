/* `option mailbox` in the IDL bounds a generated actor's mailbox: the
 * spawn passes bound and policy on (cp_mailbox_stats), local sends beyond
 * the bound get CP_EFULL, and an rpc to the full mailbox fails with
 * "mailbox full", locally and from another node (this program run with
 * --serve is that node). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bounded.actor.h"
#include "node.h"

/* Job 999 holds the process until the gate opens; with --serve, it says
 * "held" on stdout first. */
static cp_promise_t *gate;
static _Atomic uint64_t jobs;
static bool serving;

static void on_job(cp_process_t *self, void *state, const cp_upid_t *from, const Bounded__Job *msg)
{
    if (msg->n == 999) {
        if (serving) {
            printf("held\n");
            fflush(stdout);
        }
        cp_future_t *g = cp_promise_future(gate);
        cp_future_wait(g, CP_TEST_TIMEOUT_NS);
        cp_future_unref(g);
    }
    jobs++;
}

static Bounded__Done_Future run(cp_process_t *self, void *state, const cp_upid_t *caller,
                                const Bounded__Job *request)
{
    Bounded__Done *d = malloc(sizeof(*d));
    bounded__done__init(d);
    d->n = request->n;
    return bounded__done__future_ready(d, bounded__done__free);
}

static const Bounded__Worker_Handlers worker = {.on_job = on_job, .run = run};

/* --serve: a node with one Worker named "worker"; prints its UPID, and
 * "held" when the held job starts; "go\n" on stdin opens the gate; runs
 * until stdin closes. */
static int serve(void)
{
    serving = true;
    setenv("LIBPROCESS_IP", "127.0.0.1", 1);
    setenv("LIBPROCESS_PORT", "0", 1);
    if (cp_runtime_start(NULL) != 0)
        return 1;
    gate = cp_promise_new(NULL);
    Bounded__Worker_Pid pid;
    if (bounded__worker__spawn("worker", &worker, NULL, NULL, &pid) != 0)
        return 1;
    test_node_tell_upid(&pid.upid);
    char buf[64];
    while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
        cp_promise_set(gate, NULL);
    cp_runtime_stop();
    cp_promise_free(gate);
    return 0;
}

static int setup(void **state)
{
    setenv("LIBPROCESS_IP", "127.0.0.1", 1);
    setenv("LIBPROCESS_PORT", "0", 1);
    return cp_runtime_start(NULL);
}

static int teardown(void **state)
{
    cp_runtime_stop();
    return 0;
}

static void terminate(const cp_upid_t *pid)
{
    cp_process_terminate(pid, false);
    cp_process_wait(pid, CP_WAIT_FOREVER);
}

static void test_the_spawn_takes_bound_and_policy_from_the_idl(void **state)
{
    static const Bounded__Dropper_Handlers dh = {0};
    static const Bounded__Free_Handlers fh = {0};
    Bounded__Worker_Pid w;
    Bounded__Dropper_Pid d;
    Bounded__Free_Pid f;
    assert_int_equal(bounded__worker__spawn(NULL, &worker, NULL, NULL, &w), 0);
    assert_int_equal(bounded__dropper__spawn(NULL, &dh, NULL, NULL, &d), 0);
    assert_int_equal(bounded__free__spawn(NULL, &fh, NULL, NULL, &f), 0);
    cp_mailbox_stats_t st;
    assert_int_equal(cp_mailbox_stats(&w.upid, &st), 0);
    assert_int_equal(st.bound, 2);
    assert_int_equal(st.policy, CP_MAILBOX_REJECT);
    assert_int_equal(cp_mailbox_stats(&d.upid, &st), 0);
    assert_int_equal(st.bound, 1);
    assert_int_equal(st.policy, CP_MAILBOX_DROP_OLDEST);
    assert_int_equal(cp_mailbox_stats(&f.upid, &st), 0);
    assert_int_equal(st.bound, 0);
    terminate(&w.upid);
    terminate(&d.upid);
    terminate(&f.upid);
}

/* Waits (bounded) until `pid` took every queued event. */
static void wait_busy(const cp_upid_t *pid)
{
    cp_mailbox_stats_t st;
    for (int i = 0; i < 15000; i++) {
        assert_int_equal(cp_mailbox_stats(pid, &st), 0);
        if (st.queued == 0)
            return;
        usleep(1000);
    }
    fail_msg("the process never started its first event");
}

static void test_local_sends_and_calls_beyond_the_bound_are_refused(void **state)
{
    gate = cp_promise_new(NULL);
    jobs = 0;
    Bounded__Worker_Pid w;
    assert_int_equal(bounded__worker__spawn(NULL, &worker, NULL, NULL, &w), 0);
    Bounded__Job hold = BOUNDED__JOB__INIT, job = BOUNDED__JOB__INIT;
    hold.n = 999;
    assert_int_equal(bounded__worker__send_job(w, &hold, NULL), 0);
    wait_busy(&w.upid);
    assert_int_equal(bounded__worker__send_job(w, &job, NULL), 0);
    assert_int_equal(bounded__worker__send_job(w, &job, NULL), 0);
    assert_int_equal(bounded__worker__send_job(w, &job, NULL), CP_EFULL);
    Bounded__Done_Future f = bounded__worker__run(w, &job, NULL, NULL);
    CP_AWAIT_FAILED(f.future);
    assert_non_null(strstr(bounded__done__future_failure(f), "mailbox full"));
    bounded__done__future_unref(f);
    cp_promise_set(gate, NULL);
    /* Room again once the queued jobs ran: the call goes through. */
    for (int i = 0; i < 15000 && jobs < 3; i++)
        usleep(1000);
    assert_int_equal(jobs, 3);
    f = bounded__worker__run(w, &job, NULL, NULL);
    CP_AWAIT_READY(f.future);
    bounded__done__future_unref(f);
    terminate(&w.upid);
    cp_promise_free(gate);
}

static const char *self_exe;

static void test_remote_call_to_a_full_mailbox_fails_mailbox_full(void **state)
{
    int to_child, from_child;
    pid_t child = test_node_spawn_self(self_exe, "--serve", &to_child, &from_child);
    FILE *fp = fdopen(from_child, "r");
    cp_upid_t upid;
    test_node_read_upid(fp, &upid);
    Bounded__Worker_Pid w = bounded__worker__pid(upid);

    /* The held job first, and wait until it started (the server says
     * "held"): then the two jobs fill the mailbox (bound 2), and the call
     * finds it full. Sent before the held job was taken, the second job
     * would be refused instead and the call could find room, to wait
     * behind the held job for the gate this test opens only after. */
    Bounded__Job hold = BOUNDED__JOB__INIT, job = BOUNDED__JOB__INIT;
    hold.n = 999;
    assert_int_equal(bounded__worker__send_job(w, &hold, NULL), 0);
    char line[16] = "";
    assert_non_null(fgets(line, sizeof line, fp));
    assert_string_equal(line, "held\n");
    fclose(fp);
    assert_int_equal(bounded__worker__send_job(w, &job, NULL), 0);
    assert_int_equal(bounded__worker__send_job(w, &job, NULL), 0);
    Bounded__Done_Future f = bounded__worker__run(w, &job, NULL, NULL);
    CP_AWAIT_FAILED(f.future);
    const char *why = bounded__done__future_failure(f);
    if (strstr(why, "mailbox full") == NULL)
        fail_msg("failure \"%s\" does not say \"mailbox full\"", why);
    bounded__done__future_unref(f);
    assert_int_equal(write(to_child, "go\n", 3), 3);
    /* Once the queue drained, calls go through again (bounded retries). */
    bool ok = false;
    for (int i = 0; i < 1000 && !ok; i++) {
        f = bounded__worker__run(w, &job, NULL, NULL);
        assert_true(cp_future_wait(f.future, CP_TEST_TIMEOUT_NS));
        ok = cp_future_is_ready(f.future);
        bounded__done__future_unref(f);
    }
    assert_true(ok);
    assert_int_equal(cp_call_pending(), 0);
    close(to_child);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    self_exe = argv[0];
    if (argc > 1 && strcmp(argv[1], "--serve") == 0)
        return serve();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_spawn_takes_bound_and_policy_from_the_idl),
        cmocka_unit_test(test_local_sends_and_calls_beyond_the_bound_are_refused),
        cmocka_unit_test(test_remote_call_to_a_full_mailbox_fails_mailbox_full),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

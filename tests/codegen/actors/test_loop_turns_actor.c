/* `option loop_turns = true` in the IDL: the generated initialize calls
 * cp_process_set_loop_turns(self, true), so a message from another node
 * that finds the actor idle runs its handler on the node's event-loop
 * thread (cp__on_loop_thread()); an actor without the option (here
 * `option loop_turns = false`) runs them on workers, and the user's
 * initialize can turn it off again. "Another node" is a raw libprocess
 * sender over TCP for messages, and this program run with --serve for
 * rpcs. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/node.h"
#include "loop_turns.actor.h"
#include "node.h" /* tests/support: test_node_* */

/* What the handlers saw; written only inside the process, read by the
 * test after `done`. */
typedef struct seen {
    uint64_t want;       /* Ticks to count before `done` */
    uint64_t n, on_loop; /* Ticks handled, of which on the loop thread */
    cp_promise_t *done;
} seen_t;

static void on_tick(cp_process_t *self, void *state, const cp_upid_t *from, const Looped__Tick *msg)
{
    seen_t *s = state;
    s->on_loop += cp__on_loop_thread();
    if (++s->n == s->want)
        cp_promise_set(s->done, NULL);
}

static Looped__Where_Future locate(cp_process_t *self, void *state, const cp_upid_t *caller,
                                   const Looped__Ask *request)
{
    Looped__Where *w = malloc(sizeof(*w));
    if (w == NULL)
        return looped__where__future_failed("out of memory");
    looped__where__init(w);
    w->on_loop = cp__on_loop_thread();
    return looped__where__future_ready(w, looped__where__free);
}

static void turn_off(cp_process_t *self, void *state)
{
    cp_process_set_loop_turns(self, false);
}

static const Looped__Looper_Handlers looper = {.on_tick = on_tick, .locate = locate};
static const Looped__Looper_Handlers looper_off = {
    .initialize = turn_off, .on_tick = on_tick, .locate = locate};
static const Looped__Plain_Handlers plain = {.on_tick = on_tick, .locate = locate};

static void seen_init(seen_t *s, uint64_t want)
{
    *s = (seen_t){.want = want, .done = cp_promise_new(NULL)};
    assert_non_null(s->done);
}

/* Waits for `done`, then ends the process. */
static void finish(seen_t *s, const cp_upid_t *pid)
{
    cp_future_t *f = cp_promise_future(s->done);
    CP_AWAIT_READY(f);
    cp_future_unref(f);
    cp_process_terminate(pid, false);
    cp_process_wait(pid, CP_WAIT_FOREVER);
    cp_promise_free(s->done);
}

/* Ticks 1..n to /<id>/looped.Tick, pipelined in one write. */
static void peer_send_ticks(test_node_peer_t *p, const char *id, uint64_t n)
{
    size_t cap = (size_t)n * 200, len = 0;
    char *req = malloc(cap);
    assert_non_null(req);
    for (uint64_t seq = 1; seq <= n; seq++) {
        Looped__Tick t = LOOPED__TICK__INIT;
        t.seq = seq;
        size_t body = looped__tick__get_packed_size(&t);
        len += (size_t)snprintf(req + len, cap - len,
                                "POST /%s/" LOOPED__TICK__NAME " HTTP/1.1\r\n"
                                "Libprocess-From: peer@127.0.0.1:1\r\n"
                                "Content-Length: %zu\r\n\r\n",
                                id, body);
        assert_true(len + body < cap);
        len += looped__tick__pack(&t, (uint8_t *)req + len);
    }
    test_node_send_all(p->fd, req, len);
    free(req);
}

static void test_a_remote_message_runs_on_the_loop_thread_with_the_option(void **state)
{
    seen_t s;
    seen_init(&s, 1);
    Looped__Looper_Pid pid;
    assert_int_equal(looped__looper__spawn("looper", &looper, &s, NULL, &pid), 0);
    assert_int_equal(cp_clock_settle(), 0); /* initialize has run; idle */
    test_node_peer_t *peer = test_node_peer_open();
    peer_send_ticks(peer, "looper", 1);
    finish(&s, &pid.upid);
    test_node_peer_close(peer);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.on_loop, 1);
}

static void test_without_the_option_remote_messages_run_on_workers(void **state)
{
    seen_t s;
    seen_init(&s, 50);
    Looped__Plain_Pid pid;
    assert_int_equal(looped__plain__spawn("plain", &plain, &s, NULL, &pid), 0);
    assert_int_equal(cp_clock_settle(), 0);
    test_node_peer_t *peer = test_node_peer_open();
    peer_send_ticks(peer, "plain", 50);
    finish(&s, &pid.upid);
    test_node_peer_close(peer);
    assert_int_equal(s.n, 50);
    assert_int_equal(s.on_loop, 0);
}

/* The generated initialize turns loop turns on before the user's
 * initialize runs, which may turn them off again. */
static void test_the_users_initialize_can_turn_the_option_off(void **state)
{
    seen_t s;
    seen_init(&s, 50);
    Looped__Looper_Pid pid;
    assert_int_equal(looped__looper__spawn("looper_off", &looper_off, &s, NULL, &pid), 0);
    assert_int_equal(cp_clock_settle(), 0);
    test_node_peer_t *peer = test_node_peer_open();
    peer_send_ticks(peer, "looper_off", 50);
    finish(&s, &pid.upid);
    test_node_peer_close(peer);
    assert_int_equal(s.n, 50);
    assert_int_equal(s.on_loop, 0);
}

/* --serve: a node with a Looper "looper" and a Plain "plain", both idle;
 * prints their UPIDs, one a line; runs until stdin closes. */
static int serve(void)
{
    setenv("LIBPROCESS_IP", "127.0.0.1", 1);
    setenv("LIBPROCESS_PORT", "0", 1);
    if (cp_runtime_start(NULL) != 0)
        return 1;
    Looped__Looper_Pid l;
    Looped__Plain_Pid p;
    if (looped__looper__spawn("looper", &looper, NULL, NULL, &l) != 0 ||
        looped__plain__spawn("plain", &plain, NULL, NULL, &p) != 0 || cp_clock_settle() != 0)
        return 1;
    test_node_tell_upid(&l.upid);
    test_node_tell_upid(&p.upid);
    char buf[64];
    while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
        ;
    cp_runtime_stop();
    return 0;
}

static const char *self_exe;

/* Asks `f` where its rpc ran; true: on the server's loop thread. */
static bool ran_on_loop(Looped__Where_Future f)
{
    CP_AWAIT_READY(f.future);
    bool on_loop = looped__where__future_value(f)->on_loop;
    looped__where__future_unref(f);
    return on_loop;
}

/* A remote rpc round trip: the first call finds the server's Looper idle,
 * so its handler runs on the server's loop thread; Plain's never does. */
static void test_a_remote_rpc_runs_on_the_servers_loop_thread_with_the_option(void **state)
{
    int to_child, from_child;
    pid_t child = test_node_spawn_self(self_exe, "--serve", &to_child, &from_child);
    FILE *fp = fdopen(from_child, "r");
    assert_non_null(fp);
    cp_upid_t lu, pu;
    test_node_read_upid(fp, &lu);
    test_node_read_upid(fp, &pu);
    fclose(fp);
    Looped__Looper_Pid l = looped__looper__pid(lu);
    Looped__Plain_Pid p = looped__plain__pid(pu);
    Looped__Ask ask = LOOPED__ASK__INIT;
    assert_true(ran_on_loop(looped__looper__locate(l, &ask, NULL, NULL)));
    for (int i = 0; i < 5; i++)
        assert_false(ran_on_loop(looped__plain__locate(p, &ask, NULL, NULL)));
    close(to_child);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    self_exe = argv[0];
    if (argc > 1 && strcmp(argv[1], "--serve") == 0)
        return serve();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_remote_message_runs_on_the_loop_thread_with_the_option),
        cmocka_unit_test(test_without_the_option_remote_messages_run_on_workers),
        cmocka_unit_test(test_the_users_initialize_can_turn_the_option_off),
        cmocka_unit_test(test_a_remote_rpc_runs_on_the_servers_loop_thread_with_the_option),
    };
    return cmocka_run_group_tests(tests, test_node_start, test_node_stop);
}

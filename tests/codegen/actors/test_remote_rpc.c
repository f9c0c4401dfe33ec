/* Typed rpc across OS processes: this test's node calls GetStats on a
 * real `pong` program (examples/pingpong) over 127.0.0.1, then checks the
 * call fails, rather than hangs, when that node dies. PONG_BIN names the
 * program. */
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

#include "node.h"
#include "pingpong.actor.h"

typedef struct pong_node {
    pid_t pid;
    Pingpong__Ponger_Pid upid;
} pong_node_t;

/* Starts `pong` on a free port and reads the UPID it prints. */
static void pong_start(pong_node_t *node)
{
    const char *bin = getenv("PONG_BIN");
    assert_non_null(bin);
    int out[2];
    assert_int_equal(pipe(out), 0);
    node->pid = fork();
    assert_true(node->pid >= 0);
    if (node->pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        execl(bin, bin, "--ip", "127.0.0.1", "--port", "0", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    cp_upid_t upid;
    test_node_read_upid(f, &upid);
    fclose(f);
    node->upid = pingpong__ponger__pid(upid);
}

static void pong_kill(pong_node_t *node)
{
    kill(node->pid, SIGKILL);
    waitpid(node->pid, NULL, 0);
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

static uint64_t stats_pings(const Pingpong__Ponger_Pid *pong)
{
    Pingpong__StatsRequest req = PINGPONG__STATS_REQUEST__INIT;
    Pingpong__Stats_Future f = pingpong__ponger__get_stats(*pong, &req, NULL, NULL);
    CP_AWAIT_READY(f.future);
    uint64_t pings = pingpong__stats__future_value(f)->pings;
    pingpong__stats__future_unref(f);
    return pings;
}

static void test_remote_rpc_round_trip_counts_pings_sent_before(void **state)
{
    pong_node_t node;
    pong_start(&node);
    assert_int_equal(stats_pings(&node.upid), 0);
    cp_upid_t me;
    cp_upid_make("nobody", 0x7f000001u, 1, &me);
    Pingpong__Ping ping = PINGPONG__PING__INIT;
    for (int i = 0; i < 3; i++)
        assert_int_equal(pingpong__ping__send_from(&me, &node.upid.upid, &ping), 0);
    /* Same connection, same order: the pings are counted before the rpc. */
    assert_int_equal(stats_pings(&node.upid), 3);
    pong_kill(&node);
}

static void test_remote_rpc_fails_when_peer_was_killed(void **state)
{
    pong_node_t node;
    pong_start(&node);
    pong_kill(&node);
    Pingpong__StatsRequest req = PINGPONG__STATS_REQUEST__INIT;
    Pingpong__Stats_Future f = pingpong__ponger__get_stats(node.upid, &req, NULL, NULL);
    CP_AWAIT_FAILED(f.future);
    assert_non_null(strstr(pingpong__stats__future_failure(f), "unreachable"));
    pingpong__stats__future_unref(f);
}

static void test_remote_rpc_pending_fails_when_peer_dies(void **state)
{
    pong_node_t node;
    pong_start(&node);
    assert_int_equal(stats_pings(&node.upid), 0);
    kill(node.pid, SIGSTOP); /* the request will get no answer */
    Pingpong__StatsRequest req = PINGPONG__STATS_REQUEST__INIT;
    Pingpong__Stats_Future f = pingpong__ponger__get_stats(node.upid, &req, NULL, NULL);
    assert_true(cp_future_is_pending(f.future));
    pong_kill(&node);
    CP_AWAIT_FAILED(f.future);
    assert_non_null(strstr(pingpong__stats__future_failure(f), "unreachable"));
    assert_int_equal(cp_call_pending(), 0);
    pingpong__stats__future_unref(f);
}

/* GET path from the node at upid's address (on 127.0.0.1); the whole
 * answer. */
static char *http_get(const cp_upid_t *at, const char *path)
{
    assert_int_equal(at->ip, 0x7f000001u);
    return test_node_get(at->port, path);
}

/* The unchanged example gets per-method metrics from its IDL alone. */
static void test_pong_serves_per_method_metrics(void **state)
{
    pong_node_t node;
    pong_start(&node);
    cp_upid_t me;
    cp_upid_make("nobody", 0x7f000001u, 1, &me);
    Pingpong__Ping ping = PINGPONG__PING__INIT;
    for (int i = 0; i < 5; i++)
        assert_int_equal(pingpong__ping__send_from(&me, &node.upid.upid, &ping), 0);
    assert_int_equal(stats_pings(&node.upid), 5);
    /* The GetStats call is counted when its future completes, which may be
     * just after the answer left: poll (bounded). */
    bool seen = false;
    for (int i = 0; i < 1000 && !seen; i++) {
        char *snap = http_get(&node.upid.upid, "/metrics/snapshot");
        assert_non_null(strstr(snap, "HTTP/1.1 200"));
        assert_non_null(strstr(snap, "\"actor/pingpong.Ponger/on/pingpong.Ping/received\":5"));
        assert_non_null(strstr(snap, "\"actor/pingpong.Ponger/on/pingpong.Ping/failed\":0"));
        /* Latency is sampled (one run in 8 per thread): at least the first. */
        assert_non_null(strstr(snap, "\"actor/pingpong.Ponger/on/pingpong.Ping/latency_ms\":"));
        assert_non_null(strstr(snap, "\"actor/pingpong.Ponger/rpc/GetStats/discarded\":0"));
        seen = strstr(snap, "\"actor/pingpong.Ponger/rpc/GetStats/received\":1") != NULL &&
               strstr(snap, "\"actor/pingpong.Ponger/rpc/GetStats/failed\":0") != NULL;
        free(snap);
    }
    assert_true(seen);
    pong_kill(&node);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remote_rpc_round_trip_counts_pings_sent_before),
        cmocka_unit_test(test_remote_rpc_fails_when_peer_was_killed),
        cmocka_unit_test(test_pong_serves_per_method_metrics),
        cmocka_unit_test(test_remote_rpc_pending_fails_when_peer_dies),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Per-method metrics of generated actors (cproc/actor_metrics.h): every
 * `on` and rpc of calls.Server counts received, failed and discarded
 * messages or calls and records its handler latency, with no code in the
 * actor; the metrics appear in the snapshot and the Prometheus text, and
 * are shared by every process of the type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calls.actor.h"

static uint64_t pings;

static void on_ping(cp_process_t *self, void *state, const cp_upid_t *from,
                    const Calls__Ping *msg)
{
    pings++;
}

static Calls__Pong_Future echo(cp_process_t *self, void *state, const cp_upid_t *caller,
                               const Calls__Ping *request)
{
    Calls__Pong *pong = malloc(sizeof(*pong));
    calls__pong__init(pong);
    pong->seq = request->seq;
    return calls__pong__future_ready(pong, calls__pong__free);
}

static Calls__Reply_Future fail_it(cp_process_t *self, void *state, const cp_upid_t *caller,
                                   const Calls__Key *request)
{
    return calls__reply__future_failed("no such table");
}

static void hang_discarded(cp_future_t *f, void *arg)
{
    cp_promise_discard(arg);
}

static Calls__Reply_Future hang(cp_process_t *self, void *state, const cp_upid_t *caller,
                                const Calls__Key *request)
{
    cp_promise_t *p = cp_promise_new(calls__reply__free);
    cp_future_t *f = cp_promise_future(p);
    cp_future_on_discard(f, hang_discarded, p, (cp_free_fn)cp_promise_free);
    return calls__reply__future_wrap(f);
}

/* No .on_ping in the second table: pings to it are discarded. */
static const Calls__Server_Handlers handlers = {
    .on_ping = on_ping, .echo = echo, .fail = fail_it, .hang = hang};
static const Calls__Server_Handlers no_ping = {.echo = echo};

static int setup(void **state)
{
    setenv("LIBPROCESS_IP", "127.0.0.1", 1);
    setenv("LIBPROCESS_PORT", "0", 1);
    cp_method_latency_sampling(1); /* time every run: exact latency counts */
    return cp_runtime_start(NULL);
}

static int teardown(void **state)
{
    cp_runtime_stop();
    return 0;
}

/* The value of `name` in a JSON snapshot, or -1 when absent. */
static double value_of(const char *json, const char *name)
{
    char key[300];
    snprintf(key, sizeof key, "\"%s\":", name);
    const char *at = strstr(json, key);
    return at != NULL ? strtod(at + strlen(key), NULL) : -1;
}

static double snapshot_value(const char *name)
{
    cp_future_t *f = cp_metrics_snapshot(UINT64_MAX, CP_METRICS_JSON);
    CP_AWAIT_READY(f);
    double v = value_of(cp_future_value(f), name);
    cp_future_unref(f);
    return v;
}

/* Polls (bounded) until `name` reads `want`: an rpc's outcome is counted
 * by a callback that may run just after the caller's future completes. */
static void await_value(const char *name, double want)
{
    double v = -1;
    for (int i = 0; i < 10000; i++) {
        v = snapshot_value(name);
        if (v == want)
            return;
    }
    fail_msg("%s is %g, expected %g", name, v, want);
}

static void terminate(Calls__Server_Pid pid)
{
    cp_process_terminate(&pid.upid, false);
    cp_process_wait(&pid.upid, CP_WAIT_FOREVER);
}

static void test_every_on_and_rpc_is_counted(void **state)
{
    Calls__Server_Pid a, b;
    assert_int_equal(calls__server__spawn(NULL, &handlers, NULL, NULL, &a), 0);
    assert_int_equal(calls__server__spawn(NULL, &no_ping, NULL, NULL, &b), 0);

    /* Every method's metrics exist from the first spawn, at zero. */
    assert_true(snapshot_value("actor/calls.Server/on/calls.Ping/received") == 0);
    assert_true(snapshot_value("actor/calls.Server/rpc/Stats/received") == 0);
    assert_true(snapshot_value("actor/calls.Server/rpc/Quit/failed") == 0);

    /* on Ping: typed sends (local dispatch path) and a serialized message
     * from outside (the message path), plus a malformed one and one to
     * the process without a handler. */
    Calls__Ping ping = CALLS__PING__INIT;
    for (int i = 0; i < 3; i++)
        assert_int_equal(calls__server__send_ping(a, &ping, NULL), 0);
    Calls__Ping *owned = malloc(sizeof(*owned));
    calls__ping__init(owned);
    assert_int_equal(calls__server__send_ping(a, owned, free), 0);
    assert_int_equal(calls__server__send_ping(b, &ping, NULL), 0);
    cp_upid_t nobody = CP_UPID_NULL;
    assert_int_equal(cp_send(&nobody, &a.upid, CALLS__PING__NAME, "\xff", 1), 0);

    /* rpcs: two good echoes, one failure, one "no handler", one discard. */
    for (int i = 0; i < 2; i++) {
        Calls__Pong_Future e = calls__server__echo(a, &ping, NULL, NULL);
        CP_AWAIT_READY(e.future);
        calls__pong__future_unref(e);
    }
    Calls__Key key = CALLS__KEY__INIT;
    Calls__Reply_Future f = calls__server__fail(a, &key, NULL, NULL);
    CP_AWAIT_FAILED(f.future);
    calls__reply__future_unref(f);
    f = calls__server__missing(a, &key, NULL, NULL);
    CP_AWAIT_FAILED(f.future);
    calls__reply__future_unref(f);
    f = calls__server__hang(a, &key, NULL, NULL);
    await_value("actor/calls.Server/rpc/Hang/received", 1);
    cp_future_discard(f.future);
    CP_AWAIT_DISCARDED(f.future);
    calls__reply__future_unref(f);

    await_value("actor/calls.Server/on/calls.Ping/received", 6);
    await_value("actor/calls.Server/on/calls.Ping/failed", 1);
    await_value("actor/calls.Server/on/calls.Ping/discarded", 1);
    await_value("actor/calls.Server/on/calls.Ping/latency_ms/count", 4);
    await_value("actor/calls.Server/rpc/Echo/received", 2);
    await_value("actor/calls.Server/rpc/Echo/failed", 0);
    await_value("actor/calls.Server/rpc/Echo/latency_ms/count", 2);
    await_value("actor/calls.Server/rpc/Fail/failed", 1);
    await_value("actor/calls.Server/rpc/Missing/failed", 1);
    await_value("actor/calls.Server/rpc/Hang/discarded", 1);
    await_value("actor/calls.Server/rpc/Hang/failed", 0);
    assert_true(pings == 4);
    assert_true(snapshot_value("actor/calls.Server/rpc/Echo/latency_ms/max") >= 0);

    /* Shared per type: they outlive the processes and a new one adds. */
    terminate(a);
    terminate(b);
    assert_int_equal(calls__server__spawn(NULL, &handlers, NULL, NULL, &a), 0);
    Calls__Pong_Future e = calls__server__echo(a, &ping, NULL, NULL);
    CP_AWAIT_READY(e.future);
    calls__pong__future_unref(e);
    await_value("actor/calls.Server/rpc/Echo/received", 3);
    terminate(a);
}

static void test_prometheus_names_are_legal(void **state)
{
    Calls__Server_Pid a;
    assert_int_equal(calls__server__spawn(NULL, &handlers, NULL, NULL, &a), 0);
    cp_future_t *f = cp_metrics_snapshot(UINT64_MAX, CP_METRICS_PROMETHEUS);
    CP_AWAIT_READY(f);
    const char *text = cp_future_value(f);
    assert_non_null(strstr(text, "# TYPE actor_calls_Server_rpc_Echo_received_total counter"));
    assert_non_null(strstr(text, "# TYPE actor_calls_Server_on_calls_Ping_latency_ms summary"));
    cp_future_unref(f);
    terminate(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_on_and_rpc_is_counted),
        cmocka_unit_test(test_prometheus_names_are_legal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

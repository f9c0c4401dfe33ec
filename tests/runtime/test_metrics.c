/* Metrics: kinds, statistics, registry, snapshots (JSON and Prometheus,
 * the latter parsed by python3-prometheus-client), pull gauges inside
 * their process with the snapshot's timeout, and the /system and
 * /logging endpoints. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cproc/cproc.h"
#include "core/node.h"
#include "metrics/loop_lag.h"
#include "metrics/metrics_http.h"
#include "node.h"

static const char *python, *check_script;

/* GET `path` from this node; the whole answer (status line to body). */
static char *get(const char *path)
{
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    return test_node_get(port, path);
}

static const char *json_of(cp_future_t *f)
{
    CP_AWAIT_READY(f);
    return cp_future_value(f);
}

static void test_kinds_and_values(void **state)
{
    cp_metric_t *c, *g, *h;
    assert_int_equal(cp_metric_new(CP_METRIC_COUNTER, "t/count", NULL, &c), 0);
    assert_int_equal(cp_metric_new(CP_METRIC_GAUGE, "t/gauge", NULL, &g), 0);
    assert_int_equal(cp_metric_new(CP_METRIC_HISTOGRAM, "t/hist", NULL, &h), 0);
    cp_metric_increment(c);
    cp_metric_add(c, 2);
    cp_metric_add(c, -5);  /* counters only go up */
    cp_metric_set(c, 100); /* not a gauge */
    assert_true(cp_metric_value(c) == 3);
    cp_metric_set(g, 2.5);
    cp_metric_add(g, -1);
    assert_true(cp_metric_value(g) == 1.5);
    for (int i = 100; i >= 1; i--)
        cp_metric_observe(h, i);
    assert_true(cp_metric_value(h) == 1);
    cp_future_t *f = cp_metrics_snapshot(UINT64_MAX, CP_METRICS_JSON);
    const char *j = json_of(f);
    assert_non_null(strstr(j, "\"t/count\":3,"));
    assert_non_null(strstr(j, "\"t/gauge\":1.5,"));
    assert_non_null(strstr(j, "\"t/hist\":1,\"t/hist/count\":100,\"t/hist/max\":100,"
                              "\"t/hist/min\":1,\"t/hist/p50\":50.5,\"t/hist/p90\":90.1"));
    assert_non_null(
        strstr(j, ",\"t/hist/p95\":95.05,\"t/hist/p99\":99.01,\"t/hist/p999\":99.901}"));
    assert_non_null(strstr(j, "\"system/cpus_total\":"));
    cp_future_unref(f);
    assert_int_equal(cp_metrics_remove("t/count"), 0);
    assert_int_equal(cp_metrics_remove("t/count"), CP_ENOENT);
    cp_metric_increment(c); /* removed: harmless */
    cp_metrics_remove("t/gauge");
    cp_metrics_remove("t/hist");
    cp_metric_unref(c);
    cp_metric_unref(g);
    cp_metric_unref(h);
    assert_int_equal(cp_metrics_count(), 0);
}

static void test_registry_refuses_bad_and_duplicate_names(void **state)
{
    assert_int_equal(cp_metric_new(CP_METRIC_COUNTER, "dup", NULL, NULL), 0);
    assert_int_equal(cp_metric_new(CP_METRIC_GAUGE, "dup", NULL, NULL), CP_EEXIST);
    assert_int_equal(cp_metric_new(CP_METRIC_COUNTER, "", NULL, NULL), CP_EINVAL);
    assert_int_equal(cp_metric_new(CP_METRIC_COUNTER, NULL, NULL, NULL), CP_EINVAL);
    assert_int_equal(cp_metric_new(CP_METRIC_COUNTER, "has space", NULL, NULL), CP_EINVAL);
    assert_int_equal(cp_metric_new(CP_METRIC_COUNTER, "quo\"te", NULL, NULL), CP_EINVAL);
    assert_int_equal(cp_metric_new(CP_METRIC_PULL_GAUGE, "p", NULL, NULL), CP_EINVAL);
    assert_int_equal(cp_metric_new((cp_metric_kind_t)99, "k", NULL, NULL), CP_EINVAL);
    cp_metric_options_t bad_help = {.help = "two\nlines"};
    assert_int_equal(cp_metric_new(CP_METRIC_COUNTER, "h", &bad_help, NULL), CP_EINVAL);
    char long_name[300];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    assert_int_equal(cp_metric_new(CP_METRIC_COUNTER, long_name, NULL, NULL), CP_EINVAL);
    assert_int_equal(cp_metrics_remove("dup"), 0);
    /* Many names, then all removed: the table grows and reuses slots. */
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "many/%d", i);
        assert_int_equal(cp_metric_new(CP_METRIC_GAUGE, name, NULL, NULL), 0);
    }
    assert_int_equal(cp_metrics_count(), 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "many/%d", i);
        assert_int_equal(cp_metrics_remove(name), 0);
    }
    assert_int_equal(cp_metrics_count(), 0);
}

static void test_window_and_capacity_bound_the_samples(void **state)
{
    cp_metric_options_t o = {.capacity = 10, .statistics = 1};
    cp_metric_t *g;
    assert_int_equal(cp_metric_new(CP_METRIC_GAUGE, "w/g", &o, &g), 0);
    for (int i = 1; i <= 100; i++)
        cp_metric_set(g, i);
    cp_future_t *f = cp_metrics_snapshot(UINT64_MAX, CP_METRICS_JSON);
    const char *j = json_of(f);
    assert_non_null(strstr(j, "\"w/g/count\":10,\"w/g/max\":100,\"w/g/min\":91,"));
    cp_future_unref(f);
    cp_metrics_remove("w/g");
    cp_metric_unref(g);
}

/* A windowed timer whose samples have aged out stays in the snapshot: its
 * last value, and a count of 0 (JSON); a summary with _count 0 (Prometheus).
 * A timer never sampled shows only its count. */
static void test_aged_out_timer_stays_in_the_snapshot(void **state)
{
    cp_metric_options_t o = {.window_ns = 1}; /* every sample ages out at once */
    cp_metric_t *t, *never;
    assert_int_equal(cp_metric_new(CP_METRIC_TIMER, "aged/hw", &o, &t), 0);
    assert_int_equal(cp_metric_new(CP_METRIC_HISTOGRAM, "aged/never", &o, &never), 0);
    cp_metric_record_ns(t, 1000000);
    cp_metric_record_ns(t, 2000000);
    assert_true(cp_metric_value(t) == 2);
    /* Bounded poll: the samples are older than 1 ns by the next read. */
    bool aged = false;
    for (int i = 0; i < 1000 && !aged; i++) {
        cp_future_t *f = cp_metrics_snapshot(UINT64_MAX, CP_METRICS_JSON);
        const char *j = json_of(f);
        aged = strstr(j, "\"aged/hw/count\":0,") != NULL;
        if (aged) {
            assert_non_null(strstr(j, "\"aged/hw\":2,"));
            assert_null(strstr(j, "\"aged/hw/max\""));
            assert_non_null(strstr(j, "\"aged/never/count\":0,"));
            assert_null(strstr(j, "\"aged/never\":"));
        }
        cp_future_unref(f);
    }
    assert_true(aged);
    cp_future_t *f = cp_metrics_snapshot(UINT64_MAX, CP_METRICS_PROMETHEUS);
    const char *p = json_of(f);
    assert_non_null(strstr(p, "# TYPE aged_hw summary\naged_hw_sum 0\naged_hw_count 0\n"));
    assert_non_null(strstr(p, "# TYPE aged_never summary\naged_never_sum 0\naged_never_count 0\n"));
    cp_future_unref(f);
    cp_metrics_remove("aged/hw");
    cp_metrics_remove("aged/never");
    cp_metric_unref(t);
    cp_metric_unref(never);
}

static void block_loop(void *arg)
{
    /* Holds the loop thread for 300 ms on purpose: what the gauge shows. */
    struct timespec ts = {0, 300000000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* A blocked loop thread shows in runtime/event_loop_delay_ms: the 100 ms
 * timer runs at least 200 ms late. Only a lower bound is asserted (load
 * makes it larger), polled with a bound. */
static void test_event_loop_delay_shows_a_blocked_loop(void **state)
{
    assert_int_equal(cp__loop_post(block_loop, NULL), 0);
    bool seen = false;
    for (int i = 0; i < 3000 && !seen; i++) {
        seen = cp__loop_lag_ms() >= 150;
        if (!seen) {
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, NULL);
        }
    }
    assert_true(seen);
    cp_future_t *f = cp_metrics_snapshot(UINT64_MAX, CP_METRICS_JSON);
    const char *j = json_of(f);
    const char *k = strstr(j, "\"runtime/event_loop_delay_ms\":");
    assert_non_null(k);
    assert_true(strtod(k + strlen("\"runtime/event_loop_delay_ms\":"), NULL) >= 150);
    cp_future_unref(f);
}

static void test_timer_records_milliseconds(void **state)
{
    cp_metric_t *t;
    assert_int_equal(cp_metric_new(CP_METRIC_TIMER, "t/run_ms", NULL, &t), 0);
    cp_metric_record_ns(t, 2500000);
    assert_true(cp_metric_value(t) == 2.5);
    cp_promise_t *p = cp_promise_new(NULL);
    cp_future_t *f = cp_promise_future(p);
    assert_int_equal(cp_metric_time(t, f), 0);
    cp_promise_fail(p, "timed anyway");
    assert_true(cp_metric_value(t) >= 0 && cp_metric_value(t) != 2.5);
    cp_metric_t *g;
    cp_metric_new(CP_METRIC_GAUGE, "t/not_timer", NULL, &g);
    assert_int_equal(cp_metric_time(g, f), CP_EINVAL);
    cp_future_unref(f);
    cp_promise_free(p);
    cp_metrics_remove("t/run_ms");
    cp_metrics_remove("t/not_timer");
    cp_metric_unref(t);
    cp_metric_unref(g);
}

/* Many threads update one counter and one histogram. The counter's adds
 * meet, so its whole-number adds move to per-thread shards while the
 * fractional ones stay on the shared value: the sum must stay exact. */
static cp_metric_t *shared_c, *shared_h;
static pthread_barrier_t all_started;

static void *hammer(void *arg)
{
    pthread_barrier_wait(&all_started); /* so that the adds meet */
    for (int i = 0; i < 10000; i++) {
        cp_metric_increment(shared_c);
        if (i % 100 == 0)
            cp_metric_add(shared_c, 0.5);
        if (i % 1000 == 0)
            cp_metric_add(shared_c, 3);
        cp_metric_observe(shared_h, i);
    }
    return NULL;
}

static void test_updates_are_thread_safe(void **state)
{
    cp_metric_new(CP_METRIC_COUNTER, "mt/c", NULL, &shared_c);
    cp_metric_new(CP_METRIC_HISTOGRAM, "mt/h", NULL, &shared_h);
    pthread_t t[4];
    pthread_barrier_init(&all_started, NULL, 4);
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, NULL);
    cp_future_t *f = cp_metrics_snapshot(UINT64_MAX, CP_METRICS_PROMETHEUS); /* meanwhile */
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&all_started);
    CP_AWAIT_READY(f);
    cp_future_unref(f);
    /* 4 threads: 10,000 ones, 100 halves and 10 threes each. */
    assert_true(cp_metric_value(shared_c) == 4 * (10000 + 50 + 30));
    cp_metrics_remove("mt/c");
    cp_metrics_remove("mt/h");
    cp_metric_unref(shared_c);
    cp_metric_unref(shared_h);
}

/* ---- with the runtime --------------------------------------------------- */

static double pull_in_process(cp_process_t *self, void *arg)
{
    /* Runs inside its own process: the id proves it. */
    return strcmp(cp_process_id(self), "puller") == 0 ? *(double *)arg : -1;
}

static void test_pull_gauge_runs_inside_its_process(void **state)
{
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("puller", NULL, NULL, &pid), 0);
    assert_int_equal(cp_process_spawn("we\"ird", NULL, NULL, NULL), 0);
    double *v = malloc(sizeof *v);
    *v = 42;
    assert_int_equal(
        cp_metric_pull_gauge_new("toolkit/pulled", NULL, &pid, pull_in_process, v, free, NULL), 0);
    cp_future_t *f = cp_metrics_snapshot(UINT64_MAX, CP_METRICS_JSON);
    const char *j = json_of(f);
    assert_non_null(strstr(j, "\"toolkit/pulled\":42"));
    assert_non_null(strstr(j, "\"processes/puller/count\":1"));
    assert_non_null(strstr(j, "\"runtime/event_loop_lag_ms\":"));
    assert_non_null(strstr(j, "\"runtime/event_loop_delay_ms\":"));
    assert_non_null(strstr(j, "\"processes/we\\\"ird/count\":1,")); /* escaped */
    assert_non_null(strstr(j, "\"processes/puller/waiting\":"));
    assert_non_null(strstr(j, "\"runtime/processes\":"));
    cp_future_unref(f);
    /* Its process gone: left out. */
    cp_process_terminate(&pid, false);
    cp_process_wait(&pid, CP_WAIT_FOREVER);
    f = cp_metrics_snapshot(UINT64_MAX, CP_METRICS_JSON);
    assert_null(strstr(json_of(f), "toolkit/pulled"));
    cp_future_unref(f);
    assert_int_equal(cp_metrics_remove("toolkit/pulled"), 0);
}

/* A process kept busy until released, to make a pull gauge late. */
static cp_promise_t *gate;

/* Blocks its process until `gate` is set. The handler gets its own
 * reference to the gate's future (busy_on_gate): it may start only after
 * the test has set and freed the promise, or never, when the runtime stops
 * first and drops it; the args' free function releases the reference in
 * both cases. */
static void busy(cp_process_t *self, void *args)
{
    cp_future_wait(*(cp_future_t **)args, CP_TEST_TIMEOUT_NS);
}

static void unref_gate(void *args)
{
    cp_future_unref(*(cp_future_t **)args);
}

static void busy_on_gate(const cp_upid_t *pid)
{
    cp_future_t *g = cp_promise_future(gate);
    assert_int_equal(cp_dispatch(pid, busy, &g, sizeof g, unref_gate), 0);
}

static double pull_one(cp_process_t *self, void *arg)
{
    return 1;
}

static void test_snapshot_timeout_leaves_slow_pull_gauges_out(void **state)
{
    cp_clock_pause();
    cp_upid_t pid;
    cp_process_spawn("sluggish", NULL, NULL, &pid);
    gate = cp_promise_new(NULL);
    busy_on_gate(&pid);
    cp_metric_pull_gauge_new("toolkit/late", NULL, &pid, pull_one, NULL, NULL, NULL);
    cp_metric_new(CP_METRIC_COUNTER, "toolkit/prompt", NULL, NULL);
    cp_future_t *f = cp_metrics_snapshot(CP_NS_PER_SEC, CP_METRICS_JSON);
    assert_true(cp_future_is_pending(f));
    cp_clock_advance(CP_NS_PER_SEC);
    const char *j = json_of(f);
    assert_null(strstr(j, "toolkit/late"));
    assert_non_null(strstr(j, "\"toolkit/prompt\":0"));
    /* The pull is still queued behind the busy handler. */
    assert_non_null(strstr(j, "\"processes/sluggish/waiting\":1,"));
    cp_future_unref(f);
    cp_promise_set(gate, NULL);
    cp_promise_free(gate);
    cp_clock_resume();
    cp_metrics_remove("toolkit/late");
    cp_metrics_remove("toolkit/prompt");
}

static void test_http_snapshot_and_timeout_parameter(void **state)
{
    cp_metric_t *c;
    cp_metric_new(CP_METRIC_COUNTER, "toolkit/http", NULL, &c);
    cp_metric_increment(c);
    char *a = get("/metrics/snapshot?timeout=5secs");
    assert_non_null(strstr(a, "HTTP/1.1 200"));
    assert_non_null(strstr(a, "\"toolkit/http\":1"));
    assert_non_null(strstr(a, "\"transport/bytes_received\":"));
    free(a);
    a = get("/metrics/snapshot?timeout=soon");
    assert_non_null(strstr(a, "HTTP/1.1 400"));
    assert_non_null(strstr(a, "Invalid timeout 'soon'"));
    free(a);
    cp_metrics_remove("toolkit/http");
    cp_metric_unref(c);
}

static double pull_42(cp_process_t *self, void *arg)
{
    return 42;
}

static void test_prometheus_text_parses_with_a_real_parser(void **state)
{
    cp_metric_options_t help = {.help = "Requests served"};
    cp_metric_t *c, *g, *h, *odd;
    cp_metric_new(CP_METRIC_COUNTER, "toolkit/requests", &help, &c);
    cp_metric_new(CP_METRIC_GAUGE, "toolkit/queue-depth", NULL, &g);
    cp_metric_new(CP_METRIC_TIMER, "toolkit/latency_ms", NULL, &h);
    cp_metric_new(CP_METRIC_GAUGE, "9lives", NULL, &odd);
    cp_metric_t *sent;
    assert_int_equal(cp_metric_new(CP_METRIC_COUNTER, "toolkit/sent_total", NULL, &sent), 0);
    cp_metric_add(sent, 2);
    cp_metric_add(c, 3);
    cp_metric_set(g, 7.5);
    cp_metric_set(odd, 9);
    for (int i = 1; i <= 100; i++)
        cp_metric_observe(h, i);
    cp_upid_t pid;
    cp_process_spawn("prom", NULL, NULL, &pid);
    cp_metric_pull_gauge_new("toolkit/pulled", NULL, &pid, pull_42, NULL, NULL, NULL);
    cp_metric_options_t slash = {.help = "back\\slash"};
    assert_int_equal(cp_metric_new(CP_METRIC_GAUGE, "toolkit/escaped", &slash, NULL), 0);
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s %u", python, check_script, (unsigned)port);
    assert_int_equal(system(cmd), 0);
    char *a = get("/metrics/prometheus");
    assert_non_null(strstr(a, "# HELP toolkit_requests_total Requests served\n"
                              "# TYPE toolkit_requests_total counter\ntoolkit_requests_total 3\n"));
    /* A counter already named ..._total keeps one suffix. */
    assert_non_null(strstr(a, "# TYPE toolkit_sent_total counter\ntoolkit_sent_total 2\n"));
    assert_non_null(strstr(a, "# HELP toolkit_escaped back\\\\slash\n"));
    free(a);
    cp_metrics_remove("toolkit/escaped");
    cp_metrics_remove("toolkit/sent_total");
    cp_metric_unref(sent);
    const char *names[] = {"toolkit/requests", "toolkit/queue-depth", "toolkit/latency_ms",
                           "9lives", "toolkit/pulled"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(cp_metrics_remove(names[i]), 0);
    cp_metric_unref(c);
    cp_metric_unref(g);
    cp_metric_unref(h);
    cp_metric_unref(odd);
}

static void test_system_stats_and_logging_toggle(void **state)
{
    char *a = get("/system/stats.json");
    assert_non_null(strstr(a, "HTTP/1.1 200"));
    assert_non_null(strstr(a, "\"avg_load_1min\":"));
    assert_non_null(strstr(a, "\"mem_total_bytes\":"));
    free(a);
    a = get("/logging/toggle");
    assert_non_null(strstr(a, "400"));
    assert_non_null(strstr(a, "Expected 'level' query parameter"));
    free(a);
    a = get("/logging/toggle?level=debug");
    assert_non_null(strstr(a, "Expected 'duration' query parameter"));
    free(a);
    a = get("/logging/toggle?level=loud&duration=1secs");
    assert_non_null(strstr(a, "HTTP/1.1 400"));
    free(a);
    cp_log_level_t before = cp_log_get_level();
    cp_clock_pause();
    a = get("/logging/toggle?level=debug&duration=10secs");
    assert_non_null(strstr(a, "HTTP/1.1 200"));
    free(a);
    assert_int_equal(cp_log_get_level(), CP_LOG_DEBUG);
    cp_clock_advance(10 * CP_NS_PER_SEC);
    cp_clock_settle();
    for (int i = 0; i < 15000 && cp_log_get_level() != before; i++)
        usleep(1000); /* the revert runs on the loop thread: bounded poll */
    assert_int_equal(cp_log_get_level(), before);
    cp_clock_resume();
}

static void nothing(cp_process_t *self, void *args)
{
}

static void test_processes_lists_pending_events_like_libprocess(void **state)
{
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("inbox", NULL, NULL, &pid), 0);
    gate = cp_promise_new(NULL);
    busy_on_gate(&pid);
    cp_future_t *f = cp__processes_snapshot(UINT64_MAX); /* queued behind busy */
    cp_upid_t from;
    cp_upid_make("sender", 0x7f000001, 1, &from);
    assert_int_equal(cp_send(&from, &pid, "hello.World", "x", 1), 0);
    assert_int_equal(cp_send(&from, &pid, "quo\"te", NULL, 0), 0);
    cp_dispatch(&pid, nothing, NULL, 0, NULL);
    cp_promise_set(gate, NULL);
    const char *j = json_of(f);
    assert_non_null(strstr(j, "{\"id\":\"inbox\",\"events\":[{\"type\":\"MESSAGE\","
                              "\"name\":\"hello.World\"},{\"type\":\"MESSAGE\",\"name\":"
                              "\"quo\\\"te\"},{\"type\":\"DISPATCH\"}],\"state\":\""));
    assert_non_null(strstr(j, "\"handled\":"));
    assert_null(strstr(j, "busy"));
    cp_future_unref(f);
    cp_promise_free(gate);
}

static void test_processes_lists_a_busy_process_after_the_timeout(void **state)
{
    cp_clock_pause();
    cp_upid_t pid;
    cp_process_spawn("stuck", NULL, NULL, &pid);
    cp_process_spawn("idle", NULL, NULL, NULL);
    gate = cp_promise_new(NULL);
    busy_on_gate(&pid);
    cp_future_t *f = cp__processes_snapshot(CP_NS_PER_SEC);
    cp_clock_advance(CP_NS_PER_SEC);
    const char *j = json_of(f);
    assert_non_null(strstr(j, "{\"id\":\"idle\",\"events\":[],\"state\":\"BLOCKED\","));
    assert_non_null(strstr(j, "{\"id\":\"stuck\",\"events\":[],\"state\":"));
    assert_non_null(strstr(j, ",\"busy\":true}]"));
    cp_future_unref(f);
    cp_promise_set(gate, NULL);
    cp_promise_free(gate);
    cp_clock_resume();
}

static void test_http_processes_and_bad_timeout(void **state)
{
    cp_process_spawn("visible", NULL, NULL, NULL);
    char *a = get("/__processes__");
    assert_non_null(strstr(a, "HTTP/1.1 200"));
    assert_non_null(strstr(a, "[{\"id\":\"visible\",\"events\":[],\"state\":"));
    free(a);
    a = get("/__processes__?timeout=-1secs");
    assert_non_null(strstr(a, "HTTP/1.1 400"));
    free(a);
}

int main(int argc, char **argv)
{
    python = argc > 1 ? argv[1] : "/usr/bin/python3";
    check_script = argc > 2 ? argv[2] : "prometheus_check.py";
#define T(name) cmocka_unit_test_setup_teardown(name, test_node_start, test_node_stop)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds_and_values),
        cmocka_unit_test(test_registry_refuses_bad_and_duplicate_names),
        cmocka_unit_test(test_window_and_capacity_bound_the_samples),
        cmocka_unit_test(test_aged_out_timer_stays_in_the_snapshot),
        T(test_event_loop_delay_shows_a_blocked_loop),
        cmocka_unit_test(test_timer_records_milliseconds),
        cmocka_unit_test(test_updates_are_thread_safe),
        T(test_pull_gauge_runs_inside_its_process),
        T(test_snapshot_timeout_leaves_slow_pull_gauges_out),
        T(test_http_snapshot_and_timeout_parameter),
        T(test_prometheus_text_parses_with_a_real_parser),
        T(test_system_stats_and_logging_toggle),
        T(test_processes_lists_pending_events_like_libprocess),
        T(test_processes_lists_a_busy_process_after_the_timeout),
        T(test_http_processes_and_bad_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

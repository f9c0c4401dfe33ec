/* Worker utilisation in /metrics/snapshot and Prometheus: one busy_ms
 * counter and one utilization gauge per worker, and their mean; a turn
 * that spins for a while shows up in busy_ms. No timing is asserted
 * beyond the lower bound the spin itself sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cproc/cproc.h"
#include "node.h"

static int setup(void **state)
{
    return cp_runtime_start(NULL);
}

static int teardown(void **state)
{
    cp_runtime_stop();
    return 0;
}

static char *snapshot(cp_metrics_format_t format)
{
    cp_future_t *f = cp_metrics_snapshot(UINT64_MAX, format);
    CP_AWAIT_READY(f);
    char *s = strdup(cp_future_value(f));
    cp_future_unref(f);
    return s;
}

static double total_busy_ms(const char *json)
{
    double sum = 0;
    for (unsigned i = 0; i < cp_runtime_num_workers(); i++) {
        char name[64];
        snprintf(name, sizeof name, "runtime/workers/%u/busy_ms", i);
        sum += test_node_json_value(json, name);
    }
    return sum;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs for 20 ms of wall time inside the process (a spin, not a sleep). */
static cp_future_t *spin(cp_process_t *self, void *args)
{
    uint64_t until = now_ns() + 20000000u;
    while (now_ns() < until)
        ;
    return cp_future_ready(NULL, NULL);
}

static void test_every_worker_has_figures(void **state)
{
    char *json = snapshot(CP_METRICS_JSON);
    assert_true(cp_runtime_num_workers() >= 1);
    for (unsigned i = 0; i < cp_runtime_num_workers(); i++) {
        char name[64];
        snprintf(name, sizeof name, "runtime/workers/%u/utilization", i);
        double u = test_node_json_value(json, name);
        assert_true(u >= 0 && u <= 1);
    }
    double mean = test_node_json_value(json, "runtime/worker_utilization");
    assert_true(mean >= 0 && mean <= 1);
    free(json);
}

static void test_a_busy_turn_adds_to_busy_ms(void **state)
{
    char *before = snapshot(CP_METRICS_JSON);
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn(NULL, NULL, NULL, &pid), 0);
    cp_future_t *f = cp_dispatch_future(&pid, spin, NULL, 0, NULL);
    CP_AWAIT_READY(f);
    cp_future_unref(f);
    cp_process_terminate(&pid, false);
    cp_process_wait(&pid, CP_WAIT_FOREVER);
    /* A turn counts when it ends, which may be just after the future
     * completed: poll (bounded). */
    char *after = NULL;
    for (int i = 0; i < 10000; i++) {
        free(after);
        after = snapshot(CP_METRICS_JSON);
        if (total_busy_ms(after) - total_busy_ms(before) >= 20.0)
            break;
    }
    assert_true(total_busy_ms(after) - total_busy_ms(before) >= 20.0);
    double mean = test_node_json_value(after, "runtime/worker_utilization");
    assert_true(mean > 0 && mean <= 1);
    free(before);
    free(after);
}

static void test_prometheus_types(void **state)
{
    char *text = snapshot(CP_METRICS_PROMETHEUS);
    assert_non_null(strstr(text, "# TYPE runtime_workers_0_busy_ms_total counter"));
    assert_non_null(strstr(text, "# TYPE runtime_workers_0_utilization gauge"));
    assert_non_null(strstr(text, "# TYPE runtime_worker_utilization gauge"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_worker_has_figures),
        cmocka_unit_test(test_a_busy_turn_adds_to_busy_ms),
        cmocka_unit_test(test_prometheus_types),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

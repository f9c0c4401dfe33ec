/* The generated actor stubs against the real runtime: typed sends (handed
 * over or copied), the `on` install path with unpacking, malformed bodies,
 * and the user's state as process data. Calls are test_calls.c's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stubs.actor.h"

typedef struct counter {
    uint64_t pings;
    uint64_t last_seq;
    size_t last_len;
    void *data_seen;
} counter_t;

static void on_ping(cp_process_t *self, void *state, const cp_upid_t *from,
                    const Stubs__Ping *ping)
{
    counter_t *c = state;
    c->pings++;
    c->last_seq = ping->seq;
    c->last_len = ping->payload.len;
}

static Stubs__Count_Future get_count(cp_process_t *self, void *state, const cp_upid_t *from,
                                     const Stubs__CountRequest *request)
{
    counter_t *c = state;
    c->data_seen = cp_process_data(self);
    Stubs__Count *count = malloc(sizeof(*count));
    stubs__count__init(count);
    count->pings = c->pings;
    count->note = strdup(from == NULL ? "local" : "remote");
    return stubs__count__future_ready(count, stubs__count__free);
}

static const Stubs__Counter_Handlers handlers = {
    .on_ping = on_ping,
    .get_count = get_count,
};

static int setup(void **state)
{
    return cp_runtime_start(NULL);
}

static int teardown(void **state)
{
    cp_runtime_stop();
    return 0;
}

static Stubs__Counter_Pid spawn_counter(counter_t *c)
{
    Stubs__Counter_Pid pid;
    assert_int_equal(stubs__counter__spawn(NULL, &handlers, c, NULL, &pid), 0);
    return pid;
}

static void stop(Stubs__Counter_Pid *pid)
{
    cp_process_terminate(&pid->upid, false);
    cp_process_wait(&pid->upid, CP_WAIT_FOREVER);
}

static Stubs__Count_Future get_count_of(Stubs__Counter_Pid pid)
{
    Stubs__CountRequest req = STUBS__COUNT_REQUEST__INIT;
    return stubs__counter__get_count(pid, &req, NULL, NULL);
}

static uint64_t count_of(Stubs__Count_Future f, const char *note)
{
    CP_AWAIT_READY(f.future);
    const Stubs__Count *count = stubs__count__future_value(f);
    assert_string_equal(count->note, note);
    uint64_t pings = count->pings;
    stubs__count__future_unref(f);
    return pings;
}

static void test_stubs_typed_dispatch_reaches_on_handler_without_serializing(void **state)
{
    counter_t c = {0};
    Stubs__Counter_Pid pid = spawn_counter(&c);
    Stubs__Ping *ping = malloc(sizeof(*ping));
    stubs__ping__init(ping);
    ping->seq = 7;
    assert_int_equal(stubs__counter__send_ping(pid, ping, free), 0);
    assert_int_equal(count_of(get_count_of(pid), "local"), 1);
    assert_int_equal(c.last_seq, 7);
    stop(&pid);
}

static void test_stubs_send_is_unpacked_by_installed_handler(void **state)
{
    counter_t c = {0};
    Stubs__Counter_Pid pid = spawn_counter(&c);
    uint8_t payload[300] = {1, 0, 2};
    Stubs__Ping ping = STUBS__PING__INIT;
    ping.seq = 42;
    ping.payload.data = payload;
    ping.payload.len = sizeof(payload);
    assert_int_equal(stubs__ping__send_from(&CP_UPID_NULL, &pid.upid, &ping), 0);
    assert_int_equal(count_of(get_count_of(pid), "local"), 1);
    assert_int_equal(c.last_seq, 42);
    assert_int_equal(c.last_len, sizeof(payload));
    stop(&pid);
}

static void test_stubs_malformed_body_is_dropped_and_counted(void **state)
{
    counter_t c = {0};
    Stubs__Counter_Pid pid = spawn_counter(&c);
    uint64_t before = stubs__counter__malformed_count();
    const uint8_t garbage[] = {0x0a, 0xff, 0xff};
    cp_upid_t nobody = CP_UPID_NULL;
    assert_int_equal(cp_send(&nobody, &pid.upid, STUBS__PING__NAME, garbage, sizeof(garbage)), 0);
    assert_int_equal(count_of(get_count_of(pid), "local"), 0);
    assert_int_equal(stubs__counter__malformed_count(), before + 1);
    stop(&pid);
}

static void test_stubs_send_copies_a_borrowed_message(void **state)
{
    counter_t c = {0};
    Stubs__Counter_Pid pid = spawn_counter(&c);
    Stubs__Ping ping = STUBS__PING__INIT;
    ping.seq = 9;
    assert_int_equal(stubs__counter__send(pid, &ping, NULL), 0);
    ping.seq = 10; /* borrowed for the call only */
    assert_int_equal(count_of(get_count_of(pid), "local"), 1);
    assert_int_equal(c.last_seq, 9);
    stop(&pid);
}

static void test_stubs_typed_send_to_missing_process_fails(void **state)
{
    counter_t c = {0};
    Stubs__Counter_Pid pid = spawn_counter(&c);
    stop(&pid);
    Stubs__Ping *ping = malloc(sizeof(*ping));
    stubs__ping__init(ping);
    assert_int_equal(stubs__counter__send_ping(pid, ping, free), CP_ENOENT);
}

static void test_stubs_state_is_process_data(void **state)
{
    counter_t c = {0};
    Stubs__Counter_Pid pid = spawn_counter(&c);
    /* cp_process_data(self) inside a typed actor is the user's state. */
    Stubs__Count_Future f = get_count_of(pid);
    CP_AWAIT_READY(f.future);
    stubs__count__future_unref(f);
    assert_ptr_equal(c.data_seen, &c);
    stop(&pid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stubs_typed_dispatch_reaches_on_handler_without_serializing),
        cmocka_unit_test(test_stubs_send_is_unpacked_by_installed_handler),
        cmocka_unit_test(test_stubs_malformed_body_is_dropped_and_counted),
        cmocka_unit_test(test_stubs_send_copies_a_borrowed_message),
        cmocka_unit_test(test_stubs_typed_send_to_missing_process_fails),
        cmocka_unit_test(test_stubs_state_is_process_data),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* The default deadline comes from CPROC_CALL_TIMEOUT_MS when the runtime
 * starts (a bad value keeps 30 s), and stopping the runtime ends the calls
 * still pending. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calls.actor.h"

static void hang_discarded(cp_future_t *f, void *arg)
{
    cp_promise_discard(arg);
}

static void promise_free(void *p)
{
    cp_promise_free(p);
}

static Calls__Reply_Future hang(cp_process_t *self, void *state, const cp_upid_t *caller,
                                const Calls__Key *request)
{
    cp_promise_t *p = cp_promise_new(calls__reply__free);
    cp_future_t *f = cp_promise_future(p);
    cp_future_on_discard(f, hang_discarded, p, promise_free);
    return calls__reply__future_wrap(f);
}

static const Calls__Server_Handlers handlers = {.hang = hang};

static void test_default_deadline_from_the_environment(void **state)
{
    setenv("CPROC_CALL_TIMEOUT_MS", "15", 1);
    assert_int_equal(cp_runtime_start(NULL), 0);
    assert_true(cp_call_default_timeout_ns() == 15 * CP_NS_PER_MS);
    Calls__Server_Pid pid;
    assert_int_equal(calls__server__spawn(NULL, &handlers, NULL, NULL, &pid), 0);
    Calls__Key key = CALLS__KEY__INIT;
    Calls__Reply_Future f = calls__server__hang(pid, &key, NULL, NULL);
    CP_AWAIT_FAILED(f.future);
    assert_non_null(strstr(calls__reply__future_failure(f), "deadline of 15 ms exceeded"));
    calls__reply__future_unref(f);
    cp_runtime_stop();
    unsetenv("CPROC_CALL_TIMEOUT_MS");
}

/* A bad value stops the start, as every variable's (docs/wire.md). */
static void test_bad_default_deadline_stops_the_start(void **state)
{
    setenv("CPROC_CALL_TIMEOUT_MS", "soon", 1);
    assert_int_equal(cp_runtime_start(NULL), CP_EINVAL);
    assert_string_equal(cp_runtime_start_error(),
                        "CPROC_CALL_TIMEOUT_MS=\"soon\" is not a whole number from 1 to 86400000");
    unsetenv("CPROC_CALL_TIMEOUT_MS");
    assert_int_equal(cp_runtime_start(NULL), 0);
    assert_true(cp_call_default_timeout_ns() == (uint64_t)CP_CALL_DEFAULT_TIMEOUT_MS * CP_NS_PER_MS);
    cp_runtime_stop();
}

static void test_runtime_stop_ends_pending_calls(void **state)
{
    assert_int_equal(cp_runtime_start(NULL), 0);
    Calls__Server_Pid pid;
    assert_int_equal(calls__server__spawn(NULL, &handlers, NULL, NULL, &pid), 0);
    Calls__Key key = CALLS__KEY__INIT;
    Calls__Reply_Future f = calls__server__hang(pid, &key, NULL, NULL);
    cp_runtime_stop();
    assert_true(cp_future_is_failed(f.future));
    assert_int_equal(cp_call_pending(), 0);
    calls__reply__future_unref(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_deadline_from_the_environment),
        cmocka_unit_test(test_bad_default_deadline_stops_the_start),
        cmocka_unit_test(test_runtime_stop_ends_pending_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

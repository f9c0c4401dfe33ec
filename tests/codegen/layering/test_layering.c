/* The layering of cproc-gen's output for .proto input: nested.pb-c.h has
 * protobuf-c's API only (no pack helpers for the nested Inner, as
 * protoc-c), nested.pb-cproc.h adds cproc's typed helpers and the service's
 * actor stubs (pkg__svc_actor__*), and an .actor importing it builds on
 * both. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "user.actor.h"

static void test_nested_message_has_cproc_future_without_pack_helpers(void **state)
{
    (void)state;
    Lay__Outer__Inner *inner = malloc(sizeof *inner);
    assert_non_null(inner);
    lay__outer__inner__init(inner);
    inner->a = 41;
    Lay__Outer__Inner_Future f = lay__outer__inner__future_ready(inner, free);
    const Lay__Outer__Inner *v = lay__outer__inner__future_value(f);
    assert_non_null(v);
    assert_int_equal(v->a, 41);
    lay__outer__inner__future_unref(f);
}

static void test_service_has_protobuf_c_api_and_actor_stubs(void **state)
{
    (void)state;
    assert_string_equal(lay__echo__descriptor.name, "lay.Echo");
    assert_int_equal(lay__echo__descriptor.n_methods, 1);
    assert_ptr_equal(lay__echo__descriptor.methods[0].input, &lay__outer__inner__descriptor);
    /* cproc's stubs for the same service, clear of protoc-c's names. */
    int (*spawn_echo)(const char *, const Lay__Echo_Handlers *, void *, cp_free_fn,
                      Lay__Echo_Pid *) = lay__echo_actor__spawn;
    assert_true(spawn_echo != NULL);
    assert_true(lay__user__worker__spawn != NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_message_has_cproc_future_without_pack_helpers),
        cmocka_unit_test(test_service_has_protobuf_c_api_and_actor_stubs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* protoc-c naming rules, as implemented in codegen/src/names.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "names.h"

#define ASSERT_NAME(call, expected)                                                       \
    do {                                                                                  \
        char *s_ = (call);                                                                \
        assert_string_equal(s_, expected);                                                \
        free(s_);                                                                         \
    } while (0)

static void test_camel_drops_underscores_and_capitalises(void **state)
{
    (void)state;
    ASSERT_NAME(cpgen_name_camel("foo_bar"), "FooBar");
    ASSERT_NAME(cpgen_name_camel("my_pkg"), "MyPkg");
    ASSERT_NAME(cpgen_name_camel("HTTPThing"), "HTTPThing");
}

static void test_upper_splits_camel_case_but_keeps_acronyms(void **state)
{
    (void)state;
    ASSERT_NAME(cpgen_name_upper("FooBar"), "FOO_BAR");
    ASSERT_NAME(cpgen_name_upper("HTTPThing"), "HTTPTHING");
    ASSERT_NAME(cpgen_name_upper("MyMapEntry"), "MY_MAP_ENTRY");
    ASSERT_NAME(cpgen_name_upper("my_pkg"), "MY_PKG");
    ASSERT_NAME(cpgen_name_upper("someField"), "SOME_FIELD");
    ASSERT_NAME(cpgen_name_upper("Foo2Bar"), "FOO2_BAR");
}

static void test_lower_splits_camel_case(void **state)
{
    (void)state;
    ASSERT_NAME(cpgen_name_lower("FooBar"), "foo_bar");
    ASSERT_NAME(cpgen_name_lower("MEntry"), "mentry");
}

static void test_member_is_lower_case_and_avoids_keywords(void **state)
{
    (void)state;
    ASSERT_NAME(cpgen_name_member("someField"), "somefield");
    ASSERT_NAME(cpgen_name_member("int"), "int_");
    ASSERT_NAME(cpgen_name_member("long"), "long_");
    ASSERT_NAME(cpgen_name_member("value"), "value");
    ASSERT_NAME(cpgen_name_member("base"), "base_");
}

static void test_map_entry_name_is_camel_plus_entry(void **state)
{
    (void)state;
    ASSERT_NAME(cpgen_name_map_entry("my_map"), "MyMapEntry");
    ASSERT_NAME(cpgen_name_map_entry("m"), "MEntry");
}

static void test_names_fill_joins_package_and_nesting(void **state)
{
    (void)state;
    cpgen_names_t n;
    cpgen_names_fill(&n, "my_pkg.Sub", "foo_bar.HTTPThing");
    assert_string_equal(n.full, "my_pkg.Sub.foo_bar.HTTPThing");
    assert_string_equal(n.short_name, "HTTPThing");
    assert_string_equal(n.c, "MyPkg__Sub__FooBar__HTTPThing");
    assert_string_equal(n.upper, "MY_PKG__SUB__FOO_BAR__HTTPTHING");
    assert_string_equal(n.lower, "my_pkg__sub__foo_bar__httpthing");
    cpgen_names_close(&n);
}

static void test_names_fill_without_package(void **state)
{
    (void)state;
    cpgen_names_t n;
    cpgen_names_fill(&n, "", "Ping");
    assert_string_equal(n.full, "Ping");
    assert_string_equal(n.c, "Ping");
    assert_string_equal(n.upper, "PING");
    assert_string_equal(n.lower, "ping");
    cpgen_names_close(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_camel_drops_underscores_and_capitalises),
        cmocka_unit_test(test_upper_splits_camel_case_but_keeps_acronyms),
        cmocka_unit_test(test_lower_splits_camel_case),
        cmocka_unit_test(test_member_is_lower_case_and_avoids_keywords),
        cmocka_unit_test(test_map_entry_name_is_camel_plus_entry),
        cmocka_unit_test(test_names_fill_joins_package_and_nesting),
        cmocka_unit_test(test_names_fill_without_package),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

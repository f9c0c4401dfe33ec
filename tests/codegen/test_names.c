/* protoc-c naming rules, as implemented in codegen/src/names.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "emit.h"
#include "gen_names.h"
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

static void test_keywords_of_c11_c23_and_header_macros_are_escaped(void **state)
{
    (void)state;
    ASSERT_NAME(cpgen_name_member("constexpr"), "constexpr_");
    ASSERT_NAME(cpgen_name_member("static_assert"), "static_assert_");
    ASSERT_NAME(cpgen_name_member("errno"), "errno_");
    ASSERT_NAME(cpgen_name_member("linux"), "linux_");
    ASSERT_NAME(cpgen_name_member("Typeof_Unqual"), "typeof_unqual_");
    /* function-like macros are harmless as plain members ... */
    ASSERT_NAME(cpgen_name_member("assert"), "assert");
    /* ... but not as handlers, which the stubs call */
    ASSERT_NAME(cpgen_name_handler("assert"), "assert_");
    ASSERT_NAME(cpgen_name_handler("isnan"), "isnan_");
    ASSERT_NAME(cpgen_name_handler("int"), "int_");
    ASSERT_NAME(cpgen_name_handler("get_stats"), "get_stats");
}

typedef struct reported {
    unsigned errors, notes;
    char last[512];
} reported_t;

static void record(void *ctx, bool note, cpgen_pos_t pos, const char *fmt, va_list ap)
{
    reported_t *r = ctx;
    (void)pos;
    if (note) {
        r->notes++;
        return;
    }
    r->errors++;
    vsnprintf(r->last, sizeof r->last, fmt, ap);
}

/* An actor with one `on`, rpc and route, in package "p". */
static cpgen_file_t *actor_file(const char *rpc, const char *route)
{
    cpgen_file_t *f = cpgen_xcalloc(1, sizeof *f);
    f->n_actors = 1;
    f->actors = cpgen_xcalloc(1, sizeof *f->actors);
    cpgen_actor_t *a = &f->actors[0];
    cpgen_names_fill(&a->names, "p", "Store");
    cpgen_actor_add_on(a, "p", "Ping");
    cpgen_actor_add_rpc(a, rpc, "p", "Req", "p", "Res");
    cpgen_actor_add_route(a, route);
    return f;
}

static void test_every_row_expands_with_the_variables_of_its_origin(void **state)
{
    (void)state;
    cpgen_file_t *f = actor_file("Get", "/stats");
    reported_t r = {0};
    /* An unknown ${var} would expand to "<unknown placeholder>", which the
     * check asserts against; a clean actor must give no error. */
    assert_int_equal(cpgen_check_names(f, NULL, 0, record, &r), 0);
    assert_int_equal(r.errors, 0);
    cpgen_file_free(f);
    for (size_t i = 0; i < cpgen_n_name_rows; i++)
        assert_non_null(cpgen_name_rows[i].tmpl);
}

static void test_check_reports_a_generated_name_twice_made(void **state)
{
    (void)state;
    cpgen_file_t *f = actor_file("Spawn", "/stats");
    reported_t r = {0};
    assert_int_equal(cpgen_check_names(f, NULL, 0, record, &r), 1);
    assert_int_equal(r.notes, 1);
    assert_string_equal(r.last, "rpc 'Spawn' of actor 'p.Store' would generate the C name "
                                "'p__store__spawn', which actor 'p.Store' also generates");
    cpgen_file_free(f);
}

static void test_check_reports_a_handler_member_twice_made(void **state)
{
    (void)state;
    cpgen_file_t *f = actor_file("RouteStats", "/stats");
    reported_t r = {0};
    assert_int_equal(cpgen_check_names(f, NULL, 0, record, &r), 1);
    assert_string_equal(r.last, "route \"/stats\" of actor 'p.Store' would generate the member "
                                "'route_stats' of struct P__Store_Handlers, which rpc 'RouteStats' "
                                "of actor 'p.Store' also generates");
    cpgen_file_free(f);
}

static void test_expand_fills_placeholders(void **state)
{
    (void)state;
    cpgen_out_t out;
    cpgen_out_init(&out);
    const cpgen_var_t vars[] = {{"l", "p__a"}, {"member", "get"}, {NULL, NULL}};
    cpgen_template(&out, "${l}__${member}_x ${nope} $l", vars);
    assert_string_equal(out.data, "p__a__get_x <unknown placeholder> $l");
    cpgen_out_close(&out);
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
        cmocka_unit_test(test_keywords_of_c11_c23_and_header_macros_are_escaped),
        cmocka_unit_test(test_every_row_expands_with_the_variables_of_its_origin),
        cmocka_unit_test(test_check_reports_a_generated_name_twice_made),
        cmocka_unit_test(test_check_reports_a_handler_member_twice_made),
        cmocka_unit_test(test_expand_fills_placeholders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

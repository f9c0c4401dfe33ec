/* Name resolution and semantic checks: resolved references, and one test
 * per checker diagnostic with its exact text and position. */
#include <stdlib.h>

#include "idl_test.h"

static cpidl_program_t *load_ok(const char *src)
{
    cpidl_diags_t d = {0};
    cpidl_program_t *p = NULL;
    int rc = load_src(src, &d, &p, NULL, 0, false);
    if (rc != CPIDL_OK)
        fail_msg("load failed: %s at %u:%u", d.n ? d.items[0].message : "?",
                 d.n ? d.items[0].line : 0, d.n ? d.items[0].col : 0);
    cpidl_diags_close(&d);
    return p;
}

static void test_checker_resolves_nested_types_from_the_innermost_scope(void **state)
{
    cpidl_program_t *p = load_ok("syntax = \"proto3\";\npackage pkg;\n"
                                 "message Inner { int32 outer_level = 1; }\n"
                                 "message Outer {\n  message Inner { int32 x = 1; }\n"
                                 "  enum Color { RED = 0; }\n  Inner a = 1;\n  .pkg.Inner b = 2;\n"
                                 "  Color c = 3;\n  Outer.Inner d = 4;\n}\n");
    const cpidl_message_t *outer = cpidl_program_find_message(p, "pkg.Outer");
    assert_non_null(outer);
    const cpidl_message_t *nested = cpidl_program_find_message(p, ".pkg.Outer.Inner");
    const cpidl_message_t *top = cpidl_program_find_message(p, ".pkg.Inner");
    assert_ptr_equal(outer->fields[0]->message, nested);
    assert_string_equal(outer->fields[0]->type_full_name, ".pkg.Outer.Inner");
    assert_ptr_equal(outer->fields[1]->message, top);
    assert_int_equal(outer->fields[2]->type, CPIDL_TYPE_ENUM);
    assert_ptr_equal(outer->fields[2]->enumeration, cpidl_program_find_enum(p, "pkg.Outer.Color"));
    assert_string_equal(outer->fields[2]->type_full_name, ".pkg.Outer.Color");
    assert_ptr_equal(outer->fields[3]->message, nested);
    cpidl_program_free(p);
}

static void test_checker_resolves_types_across_package_components(void **state)
{
    cpidl_program_t *p =
        load_ok("syntax = \"proto3\";\npackage a.b.c;\nmessage M { b.c.N n = 1; }\nmessage N {}\n");
    assert_string_equal(p->main->messages[0]->fields[0]->type_full_name, ".a.b.c.N");
    cpidl_program_free(p);
}

static void test_checker_allow_alias_permits_shared_numbers(void **state)
{
    cpidl_program_t *p = load_ok("enum E { option allow_alias = true; A = 0; B = 0; }\n");
    assert_int_equal(p->main->enums[0]->values[1]->number, 0);
    cpidl_program_free(p);
}

static void test_checker_werror_turns_warnings_into_failures(void **state)
{
    cpidl_diags_t d = {0};
    cpidl_program_t *p = NULL;
    assert_int_equal(load_src("option speed = 3;\n", &d, &p, NULL, 0, true), CPIDL_EFAIL);
    assert_null(p);
    assert_int_equal(d.n_errors, 1);
    assert_int_equal(d.items[0].severity, CPIDL_SEV_ERROR);
    assert_string_equal(d.items[0].message, "unknown file option 'speed' is ignored [-Werror]");
    cpidl_diags_close(&d);
}

static void test_checker_warnings_alone_do_not_fail(void **state)
{
    cpidl_diags_t d = {0};
    cpidl_program_t *p = NULL;
    assert_int_equal(load_src("option speed = 3;\n", &d, &p, NULL, 0, false), CPIDL_OK);
    assert_int_equal(p->n_warnings, 1);
    assert_int_equal(d.n_warnings, 1);
    cpidl_program_free(p);
    cpidl_diags_close(&d);
}

#define E  CPIDL_SEV_ERROR
#define P3 "syntax = \"proto3\";\n"
static const diag_case_t checker_cases[] = {
    {"test_diag_unknown_type_with_suggestion", P3 "message Ping {}\nmessage A { Pnig p = 1; }\n", E,
     3, 13, "unknown type 'Pnig'; did you mean 'Ping'?"},
    {"test_diag_unknown_type_suggests_within_package",
     P3 "package pp;\nmessage Request {}\nmessage A { Requets r = 1; }\n", E, 4, 13,
     "unknown type 'Requets'; did you mean 'Request'?"},
    {"test_diag_unknown_type_without_suggestion", P3 "message A { Zzzzzzzz z = 1; }\n", E, 2, 13,
     "unknown type 'Zzzzzzzz'"},
    {"test_diag_duplicate_message", P3 "package p;\nmessage A {}\nmessage A {}\n", E, 4, 9,
     "'p.A' is already defined", 3, 9, "previous definition of 'p.A' is here"},
    {"test_diag_duplicate_field_name", P3 "message A { int32 x = 1; string x = 2; }\n", E, 2, 33,
     "'A.x' is already defined", 2, 19, "previous definition of 'A.x' is here"},
    {"test_diag_duplicate_enum_value_in_scope", P3 "enum E { X = 0; }\nenum F { X = 0; }\n", E, 3,
     10, "'X' is already defined (enum values are siblings of their enum, as in C++)", 2, 10,
     "previous definition of 'X' is here"},
    {"test_diag_duplicate_field_number", P3 "message A { int32 x = 1; int32 y = 1; }\n", E, 2, 36,
     "field number 1 is already used by 'x'", 2, 23, "'x' is declared here"},
    {"test_diag_field_number_reserved_for_implementation", P3 "message A { int32 x = 19500; }\n", E,
     2, 23, "field number 19500 is reserved for the protobuf implementation (19000..19999)"},
    {"test_diag_field_uses_reserved_number", P3 "message A { reserved 3 to 5; int32 x = 4; }\n", E,
     2, 40, "field 'x' uses reserved number 4", 2, 22, "reserved here"},
    {"test_diag_field_uses_reserved_name", P3 "message A { reserved \"x\"; int32 x = 4; }\n", E, 2,
     33, "field name 'x' is reserved", 2, 22, "reserved here"},
    {"test_diag_packed_on_non_repeated", "message A { optional int32 x = 1 [packed = true]; }\n", E,
     1, 28, "[packed = true] applies only to repeated fields of numeric, bool or enum type"},
    {"test_diag_default_on_repeated", "message A { repeated int32 x = 1 [default = 1]; }\n", E, 1,
     45, "default values are not allowed on repeated fields"},
    {"test_diag_default_on_message",
     "message B {}\nmessage A { optional B b = 1 [default = 1]; }\n", E, 2, 41,
     "default values are not allowed on message fields"},
    {"test_diag_default_wrong_kind", "message A { optional bool b = 1 [default = 1]; }\n", E, 1, 44,
     "invalid default value for field 'b': expected true or false"},
    {"test_diag_default_out_of_range",
     "message A { optional int32 i = 1 [default = -2147483649]; }\n", E, 1, 45,
     "invalid default value for field 'i': expected an integer in the int32 range"},
    {"test_diag_default_not_enum_value",
     "enum E { A = 0; }\nmessage M { optional E e = 1 [default = B]; }\n", E, 2, 41,
     "default value 'B' is not a value of enum 'E'"},
    {"test_diag_empty_enum", "enum E { }\n", E, 1, 6, "enum 'E' must have at least one value"},
    {"test_diag_proto3_first_enum_value_not_zero", P3 "enum E { A = 1; }\n", E, 2, 10,
     "the first enum value must be zero in proto3"},
    {"test_diag_enum_number_alias_without_allow_alias", "enum E { A = 0; B = 0; }\n", E, 1, 17,
     "enum value number 0 of 'B' is already used by 'A'; set 'option allow_alias = true;' to allow "
     "aliases",
     1, 10, "'A' is declared here"},
    {"test_diag_allow_alias_without_aliases",
     "enum E { option allow_alias = true; A = 0; B = 1; }\n", E, 1, 6,
     "enum 'E' sets allow_alias but no two values share a number; remove the option"},
    {"test_diag_field_in_extension_range",
     "message A { extensions 10 to 20; optional int32 x = 15; }\n", E, 1, 53,
     "field 'x' uses number 15 of an extension range", 1, 24, "extension range declared here"},
    {"test_diag_enum_value_uses_reserved_number", "enum E { reserved 1; A = 1; }\n", E, 1, 22,
     "enum value 'A' uses reserved number 1", 1, 19, "reserved here"},
    {"test_diag_enum_value_uses_reserved_name", "enum E { reserved \"A\"; A = 0; }\n", E, 1, 24,
     "enum value name 'A' is reserved", 1, 19, "reserved here"},
    {"test_diag_map_key_float", P3 "message A { map<float, string> m = 1; }\n", E, 2, 17,
     "map key type must be an integer type, bool or string, not 'float'"},
    {"test_diag_map_key_enum", P3 "enum K { Z = 0; }\nmessage A { map<K, string> m = 1; }\n", E, 3,
     17, "map key type must be an integer type, bool or string, not 'K'"},
    {"test_diag_on_enum_type", P3 "enum E { Z = 0; }\nactor A { on E; }\n", E, 3, 14,
     "the type of 'on' must be a message type; 'E' is an enum"},
    {"test_diag_rpc_request_not_message",
     P3 "enum E { Z = 0; }\nmessage M {}\nactor A { rpc R(E) returns (M); }\n", E, 4, 17,
     "the rpc request type must be a message type; 'E' is an enum"},
    {"test_diag_rpc_response_not_message",
     P3 "enum E { Z = 0; }\nmessage M {}\nservice S { rpc R(M) returns (E); }\n", E, 4, 31,
     "the rpc response type must be a message type; 'E' is an enum"},
    {"test_diag_on_map_entry_type",
     P3 "message M { map<string, int32> counts = 1; }\nactor A { on M.CountsEntry; }\n", E, 3, 14,
     "the type of 'on' must be a message type; 'M.CountsEntry' is the entry of a map field"},
    {"test_diag_rpc_request_map_entry",
     P3 "message M { map<string, int32> counts = 1; }\nactor A { rpc R(M.CountsEntry) returns (M); }\n",
     E, 3, 17,
     "the rpc request type must be a message type; 'M.CountsEntry' is the entry of a map field"},
    {"test_diag_route_with_query", P3 "actor A { route \"/a?b\"; }\n", E, 2, 17,
     "route path must not contain '?'"},
    {"test_diag_route_with_fragment", P3 "actor A { route \"/a#b\"; }\n", E, 2, 17,
     "route path must not contain '#'"},
    {"test_diag_route_with_space", P3 "actor A { route \"/a b\"; }\n", E, 2, 17,
     "route path must be printable ASCII without spaces; byte 0x20 is not"},
    {"test_diag_route_trailing_slash_is_the_same_endpoint",
     P3 "actor A { route \"/a\"; route \"/a/\"; }\n", E, 2, 29,
     "route '/a/' is the same endpoint as '/a' (a trailing '/' is ignored)", 2, 17,
     "the first declaration is here"},
    {"test_diag_on_unknown_type", P3 "message Ping {}\nactor A { on Pong; }\n", E, 3, 14,
     "unknown type 'Pong'; did you mean 'Ping'?"},
    {"test_diag_duplicate_on_handler", P3 "package p;\nmessage M {}\nactor A { on M; on .p.M; }\n",
     E, 4, 20, "duplicate handler for 'p.M' in actor 'A'", 4, 14,
     "the first handler for 'p.M' is here"},
    {"test_diag_duplicate_rpc",
     P3 "message M {}\nactor A { rpc R(M) returns (M); rpc R(M) returns (M); }\n", E, 3, 37,
     "rpc 'R' is already defined in actor 'A'", 3, 15, "previous definition of 'R' is here"},
    {"test_diag_duplicate_route", P3 "actor A { route \"/x\"; route \"/x\"; }\n", E, 2, 29,
     "route '/x' is already declared in actor 'A'", 2, 17, "the first declaration is here"},
    {"test_diag_actor_named_like_message", P3 "message A {}\nactor A {}\n", E, 3, 7,
     "'A' is already defined", 2, 9, "previous definition of 'A' is here"},
};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker_resolves_nested_types_from_the_innermost_scope),
        cmocka_unit_test(test_checker_resolves_types_across_package_components),
        cmocka_unit_test(test_checker_allow_alias_permits_shared_numbers),
        cmocka_unit_test(test_checker_werror_turns_warnings_into_failures),
        cmocka_unit_test(test_checker_warnings_alone_do_not_fail),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    return rc + run_diag_cases("checker diagnostics", checker_cases,
                               sizeof checker_cases / sizeof checker_cases[0]);
}

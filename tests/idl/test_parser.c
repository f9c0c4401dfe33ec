/* The parser: the AST it builds for each construct, and one test per
 * syntax diagnostic with its exact text and position. */
#include <math.h>
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

static void test_parser_builds_messages_fields_and_positions(void **state)
{
    cpidl_program_t *p = load_ok("syntax = \"proto3\";\npackage a.b;\n"
                                 "message Ping {\n  uint64 seq = 1;\n  repeated string tags = 2;\n"
                                 "  optional int32 maybe = 3;\n}\n");
    const cpidl_file_t *f = p->main;
    assert_int_equal(f->syntax, CPIDL_SYNTAX_PROTO3);
    assert_string_equal(f->package, "a.b");
    assert_int_equal(f->n_messages, 1);
    const cpidl_message_t *m = f->messages[0];
    assert_string_equal(m->full_name, ".a.b.Ping");
    assert_int_equal(m->pos.line, 3);
    assert_int_equal(m->pos.col, 9);
    assert_int_equal(m->n_fields, 3);
    assert_string_equal(m->fields[0]->name, "seq");
    assert_int_equal(m->fields[0]->type, CPIDL_TYPE_UINT64);
    assert_int_equal(m->fields[0]->label, CPIDL_LABEL_NONE);
    assert_int_equal(m->fields[0]->number, 1);
    assert_int_equal(m->fields[0]->pos.line, 4);
    assert_int_equal(m->fields[0]->pos.col, 10);
    assert_int_equal(m->fields[1]->label, CPIDL_LABEL_REPEATED);
    assert_int_equal(m->fields[2]->label, CPIDL_LABEL_OPTIONAL);
    assert_true(m->fields[2]->proto3_optional);
    cpidl_program_free(p);
}

static void test_parser_map_field_synthesizes_an_entry_message(void **state)
{
    cpidl_program_t *p =
        load_ok("syntax = \"proto3\";\nmessage M { map<string, int64> counts_by_name = 4; }\n");
    const cpidl_message_t *m = p->main->messages[0];
    const cpidl_field_t *f = m->fields[0];
    assert_true(f->is_map);
    assert_int_equal(f->label, CPIDL_LABEL_REPEATED);
    assert_int_equal(f->type, CPIDL_TYPE_MESSAGE);
    assert_non_null(f->message);
    assert_string_equal(f->message->name, "CountsByNameEntry");
    assert_string_equal(f->message->full_name, ".M.CountsByNameEntry");
    assert_true(f->message->map_entry);
    assert_int_equal(f->message->n_fields, 2);
    assert_string_equal(f->message->fields[0]->name, "key");
    assert_int_equal(f->message->fields[0]->number, 1);
    assert_int_equal(f->message->fields[0]->type, CPIDL_TYPE_STRING);
    assert_int_equal(f->message->fields[1]->number, 2);
    assert_int_equal(f->message->fields[1]->type, CPIDL_TYPE_INT64);
    assert_int_equal(m->n_messages, 1);
    assert_int_equal(p->main->n_all_messages, 2);
    cpidl_program_free(p);
}

static void test_parser_oneof_members_point_at_their_oneof(void **state)
{
    cpidl_program_t *p = load_ok("syntax = \"proto3\";\nmessage M { int32 a = 1; oneof pick { "
                                 "string s = 2; bytes b = 3; } }\n");
    const cpidl_message_t *m = p->main->messages[0];
    assert_int_equal(m->n_oneofs, 1);
    assert_string_equal(m->oneofs[0]->name, "pick");
    assert_int_equal(m->oneofs[0]->n_fields, 2);
    assert_int_equal(m->fields[0]->oneof_index, -1);
    assert_int_equal(m->fields[1]->oneof_index, 0);
    assert_ptr_equal(m->fields[2]->oneof, m->oneofs[0]);
    assert_int_equal(m->fields[2]->label, CPIDL_LABEL_OPTIONAL);
    cpidl_program_free(p);
}

static void test_parser_proto2_defaults_are_decoded(void **state)
{
    cpidl_program_t *p = load_ok("syntax = \"proto2\";\nmessage M {\n"
                                 "  optional string s = 1 [default = \"a\\x41\\101\\u00e9\\0z\"];\n"
                                 "  optional double d = 2 [default = -inf];\n"
                                 "  optional int64 i = 3 [default = -0x10];\n"
                                 "  optional uint32 u = 4 [default = 0777];\n"
                                 "  optional E e = 5 [default = TWO];\n"
                                 "  enum E { ONE = 1; TWO = 2; }\n}\n");
    const cpidl_message_t *m = p->main->messages[0];
    const cpidl_value_t *v = &m->fields[0]->default_value;
    assert_true(m->fields[0]->has_default);
    assert_int_equal(v->kind, CPIDL_VALUE_STRING);
    assert_int_equal(v->len, 7);
    assert_memory_equal(v->text, "aAA\xc3\xa9\0z", 7);
    v = &m->fields[1]->default_value;
    assert_int_equal(v->kind, CPIDL_VALUE_FLOAT);
    assert_true(isinf(v->float_value) && v->float_value < 0);
    assert_string_equal(v->text, "-inf");
    v = &m->fields[2]->default_value;
    assert_int_equal(v->kind, CPIDL_VALUE_INT);
    assert_true(v->negative);
    assert_int_equal(v->uint_value, 16);
    assert_string_equal(v->text, "-0x10");
    assert_int_equal(m->fields[3]->default_value.uint_value, 0777);
    assert_non_null(m->fields[4]->default_enum_value);
    assert_string_equal(m->fields[4]->default_enum_value->name, "TWO");
    cpidl_program_free(p);
}

static void test_parser_known_options_are_applied_and_all_are_kept(void **state)
{
    cpidl_program_t *p =
        load_ok("syntax = \"proto2\";\noption java_package = \"x.y\";\noption (my.opt).sub = { a: "
                "1 b { c: \"}\" } };\n"
                "message M { option deprecated = true;\n"
                "  repeated int32 r = 1 [packed = true, deprecated = true, json_name = \"RR\"];\n"
                "  optional int32 snake_case_name = 2;\n}\n"
                "enum E { option allow_alias = true; A = 0; B = 0 [deprecated = true]; }\n");
    const cpidl_file_t *f = p->main;
    assert_int_equal(f->n_options, 2);
    assert_string_equal(f->options[0]->name, "java_package");
    assert_string_equal(f->options[0]->value.text, "x.y");
    assert_true(f->options[1]->is_extension);
    assert_string_equal(f->options[1]->name, "(my.opt).sub");
    assert_int_equal(f->options[1]->value.kind, CPIDL_VALUE_AGGREGATE);
    const cpidl_message_t *m = f->messages[0];
    assert_true(m->deprecated);
    assert_true(m->fields[0]->packed);
    assert_true(m->fields[0]->packed_explicit);
    assert_true(m->fields[0]->deprecated);
    assert_string_equal(m->fields[0]->json_name, "RR");
    assert_string_equal(m->fields[1]->json_name, "snakeCaseName");
    assert_true(f->enums[0]->allow_alias);
    assert_true(f->enums[0]->values[1]->deprecated);
    cpidl_program_free(p);
}

static void test_parser_proto3_repeated_scalars_are_packed_by_default(void **state)
{
    cpidl_program_t *p = load_ok("syntax = \"proto3\";\nmessage M { repeated int32 a = 1; repeated "
                                 "int32 b = 2 [packed = false]; repeated string c = 3; }\n");
    const cpidl_message_t *m = p->main->messages[0];
    assert_true(m->fields[0]->packed);
    assert_false(m->fields[1]->packed);
    assert_false(m->fields[2]->packed);
    cpidl_program_free(p);
}

static void test_parser_reserved_and_extension_ranges(void **state)
{
    cpidl_program_t *p = load_ok("message M { reserved 2, 5 to 9, 100 to max; reserved \"a\", "
                                 "\"b\"; extensions 1000 to 1999; }\n"
                                 "enum E { Z = 0; reserved -5 to -1; reserved 7 to max; }\n");
    const cpidl_message_t *m = p->main->messages[0];
    assert_int_equal(m->n_reserved_ranges, 3);
    assert_int_equal(m->reserved_ranges[1]->start, 5);
    assert_int_equal(m->reserved_ranges[1]->end, 9);
    assert_int_equal(m->reserved_ranges[2]->end, 536870911);
    assert_int_equal(m->n_reserved_names, 2);
    assert_string_equal(m->reserved_names[1]->name, "b");
    assert_int_equal(m->n_extension_ranges, 1);
    const cpidl_enum_t *e = p->main->enums[0];
    assert_int_equal(e->reserved_ranges[0]->start, -5);
    assert_int_equal(e->reserved_ranges[1]->end, INT32_MAX);
    cpidl_program_free(p);
}

static void test_parser_actor_with_on_rpc_and_route(void **state)
{
    cpidl_program_t *p = load_ok("syntax = \"proto3\";\npackage pingpong;\n"
                                 "message Ping {}\nmessage Stats {}\n"
                                 "// Answers pings.\nactor Ponger {\n  on Ping;\n"
                                 "  rpc GetStats(Ping) returns (Stats);\n  route \"/stats\";\n}\n");
    const cpidl_actor_t *a = p->main->actors[0];
    assert_int_equal(a->kind, CPIDL_ACTOR);
    assert_string_equal(a->full_name, ".pingpong.Ponger");
    assert_string_equal(a->leading_comment, "Answers pings.");
    assert_int_equal(a->n_handlers, 1);
    assert_string_equal(a->handlers[0]->type_full_name, ".pingpong.Ping");
    assert_ptr_equal(a->handlers[0]->message, p->main->messages[0]);
    assert_int_equal(a->handlers[0]->pos.line, 7);
    assert_int_equal(a->handlers[0]->pos.col, 6);
    assert_int_equal(a->n_methods, 1);
    assert_string_equal(a->methods[0]->name, "GetStats");
    assert_string_equal(a->methods[0]->input_full_name, ".pingpong.Ping");
    assert_ptr_equal(a->methods[0]->output, p->main->messages[1]);
    assert_int_equal(a->n_routes, 1);
    assert_string_equal(a->routes[0]->path, "/stats");
    cpidl_program_free(p);
}

static void test_parser_actor_mailbox_options(void **state)
{
    cpidl_program_t *p = load_ok("syntax = \"proto3\";\n"
                                 "actor A { option mailbox = 1000; }\n"
                                 "actor B { option mailbox = 0x10; option mailbox_policy = drop_oldest; }\n"
                                 "actor C { option mailbox = 2147483648; option mailbox_policy = reject; }\n"
                                 "actor D {}\n");
    assert_int_equal(p->main->actors[0]->mailbox, 1000);
    assert_int_equal(p->main->actors[0]->mailbox_policy, CPIDL_MAILBOX_REJECT);
    assert_int_equal(p->main->actors[1]->mailbox, 16);
    assert_int_equal(p->main->actors[1]->mailbox_policy, CPIDL_MAILBOX_DROP_OLDEST);
    assert_int_equal(p->main->actors[2]->mailbox, 2147483648u);
    assert_int_equal(p->main->actors[3]->mailbox, 0);
    cpidl_program_free(p);
}

static void test_parser_actor_loop_turns_option(void **state)
{
    cpidl_program_t *p = load_ok("syntax = \"proto3\";\n"
                                 "actor A { option loop_turns = true; }\n"
                                 "actor B { option loop_turns = false; }\n"
                                 "actor C { option mailbox = 4; option loop_turns = true; }\n"
                                 "actor D {}\n");
    assert_true(p->main->actors[0]->loop_turns);
    assert_false(p->main->actors[1]->loop_turns);
    assert_true(p->main->actors[2]->loop_turns);
    assert_int_equal(p->main->actors[2]->mailbox, 4);
    assert_false(p->main->actors[3]->loop_turns);
    cpidl_program_free(p);
}

static void test_parser_service_is_an_actor_with_rpcs(void **state)
{
    cpidl_program_t *p = load_ok("syntax = \"proto3\";\nmessage Q {}\n"
                                 "service S { rpc A(Q) returns (Q); rpc B(.Q) returns (Q) { option "
                                 "deprecated = true; } }\n");
    const cpidl_actor_t *a = p->main->actors[0];
    assert_int_equal(a->kind, CPIDL_SERVICE);
    assert_int_equal(a->n_methods, 2);
    assert_true(a->methods[1]->deprecated);
    assert_int_equal(a->n_handlers, 0);
    cpidl_program_free(p);
}

static void test_parser_comments_attach_to_the_next_declaration(void **state)
{
    cpidl_program_t *p =
        load_ok("syntax = \"proto3\";\n// Line one.\n// Line two.\nmessage A {\n"
                "  int32 x = 1; // trailing, not leading\n  /* Block. */\n  int32 y = 2;\n}\n"
                "// Detached.\n\nmessage B {}\n");
    const cpidl_message_t *a = p->main->messages[0];
    assert_string_equal(a->leading_comment, "Line one.\nLine two.");
    assert_null(a->fields[0]->leading_comment);
    assert_string_equal(a->fields[1]->leading_comment, "Block.");
    assert_null(p->main->messages[1]->leading_comment);
    cpidl_program_free(p);
}

static void test_parser_keywords_are_contextual(void **state)
{
    cpidl_program_t *p = load_ok("syntax = \"proto3\";\nmessage message { string option = 1; int32 "
                                 "map = 2; int32 rpc = 3; }\n");
    assert_string_equal(p->main->messages[0]->fields[1]->name, "map");
    cpidl_program_free(p);
}

static void test_parser_recovers_and_reports_several_errors(void **state)
{
    cpidl_diags_t d = {0};
    cpidl_program_t *p = NULL;
    int rc = load_src("syntax = \"proto3\";\nmessage A { int32 = 1; int32 b = 2; }\nmessage B { "
                      "string = ; }\nmessage C { int32 c 3; }\n",
                      &d, &p, NULL, 0, false);
    assert_int_equal(rc, CPIDL_EFAIL);
    assert_int_equal(d.n_errors, 3);
    assert_int_equal(d.items[0].line, 2);
    assert_int_equal(d.items[1].line, 3);
    assert_int_equal(d.items[2].line, 4);
    cpidl_diags_close(&d);
}

static void test_parser_deep_nesting_is_bounded(void **state)
{
    size_t n = 5000;
    char *src = malloc(n * 12 + 1);
    char *o = src;
    for (size_t i = 0; i < n; i++)
        o += sprintf(o, "message M {");
    cpidl_diags_t d = {0};
    cpidl_program_t *p = NULL;
    assert_int_equal(load_src(src, &d, &p, NULL, 0, false), CPIDL_EFAIL);
    assert_string_equal(d.items[0].message, "nesting is too deep (more than 100 levels)");
    assert_int_equal(d.n_errors, 1);
    cpidl_diags_close(&d);
    free(src);
}

static void test_parser_stops_after_too_many_errors(void **state)
{
    size_t n = 10000;
    char *src = malloc(n * 2 + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(src + 2 * i, "@\n", 2);
    src[2 * n] = '\0';
    cpidl_diags_t d = {0};
    cpidl_program_t *p = NULL;
    assert_int_equal(load_src(src, &d, &p, NULL, 0, false), CPIDL_EFAIL);
    assert_int_equal(d.n_errors, 100);
    cpidl_diags_close(&d);
    free(src);
}

#define E CPIDL_SEV_ERROR
#define W CPIDL_SEV_WARNING
static const diag_case_t parser_cases[] = {
    {"test_diag_expected_token", "message A { int32 x = 1 }\n", E, 1, 25,
     "expected ';', found '}'"},
    {"test_diag_expected_top_level_statement", "mesage A {}\n", E, 1, 1,
     "expected 'message', 'enum', 'actor', 'service', 'import', 'package', 'option' or 'syntax', "
     "found 'mesage'"},
    {"test_diag_unexpected_end_of_file", "message A {\n", E, 2, 1,
     "expected '}', found end of file"},
    {"test_diag_unbalanced_close_brace", "message A {}\n}\n", E, 2, 1,
     "expected 'message', 'enum', 'actor', 'service', 'import', 'package', 'option' or 'syntax', "
     "found '}'"},
    {"test_diag_unknown_syntax", "syntax = \"proto4\";\n", E, 1, 10,
     "unknown syntax \"proto4\"; expected \"proto2\" or \"proto3\""},
    {"test_diag_syntax_not_first", "package a;\nsyntax = \"proto3\";\n", E, 2, 1,
     "the syntax statement must be the first statement of the file"},
    {"test_diag_editions_unsupported", "edition = \"2023\";\n", E, 1, 1,
     "editions are not supported; use syntax = \"proto2\" or \"proto3\""},
    {"test_diag_second_package", "package a;\npackage b;\n", E, 2, 1,
     "a file can have only one package statement", 1, 9, "the first package statement is here"},
    {"test_diag_empty_import_name", "import \"\";\n", E, 1, 8,
     "import name must be a non-empty path without NUL bytes"},
    {"test_diag_nesting_too_deep", "message A { message B { message C {", E, 1, 33,
     "nesting is too deep (more than 2 levels)", 0, 0, NULL, 2},
    {"test_diag_invalid_integer_literal", "message A { optional int32 x = 1 [default = 0x]; }\n", E,
     1, 45, "invalid integer literal '0x' (malformed or above 2^64-1)"},
    {"test_diag_integer_literal_overflow",
     "message A { optional uint64 x = 1 [default = 18446744073709551616]; }\n", E, 1, 46,
     "invalid integer literal '18446744073709551616' (malformed or above 2^64-1)"},
    {"test_diag_hex_escape_without_digits",
     "message A { optional string s = 1 [default = \"a\\xz\"]; }\n", E, 1, 48,
     "\\x used with no following hex digits"},
    {"test_diag_bad_unicode_escape",
     "message A { optional string s = 1 [default = \"\\ud800\"]; }\n", E, 1, 47,
     "invalid Unicode escape (\\u needs 4 hex digits naming a code point)"},
    {"test_diag_octal_escape_out_of_range",
     "message A { optional string s = 1 [default = \"\\477\"]; }\n", E, 1, 47,
     "octal escape is out of range (above \\377)"},
    {"test_diag_unknown_escape", "message A { optional string s = 1 [default = \"\\q\"]; }\n", E, 1,
     47, "unknown escape sequence '\\q'"},
    {"test_diag_unknown_option_warning", "option speed = 3;\n", W, 1, 8,
     "unknown file option 'speed' is ignored"},
    {"test_diag_misspelled_option_hint", "actor A { option loop_turn = true; }\n", W, 1, 18,
     "unknown actor option 'loop_turn' is ignored; did you mean 'loop_turns'?"},
    {"test_diag_bool_option_not_bool", "message A { repeated int32 x = 1 [packed = 1]; }\n", E, 1,
     44, "option 'packed' must be true or false"},
    {"test_diag_json_name_not_string", "message A { optional int32 x = 1 [json_name = X]; }\n", E,
     1, 47, "option 'json_name' must be a string"},
    {"test_diag_group_unsupported", "message A { optional group G = 1 { } }\n", E, 1, 22,
     "groups are not supported; use a nested message"},
    {"test_diag_reserved_range_backwards", "message A { reserved 9 to 5; }\n", E, 1, 22,
     "reserved range end 5 is before its start 9"},
    {"test_diag_reserved_number_out_of_range", "message A { reserved 0; }\n", E, 1, 22,
     "reserved number 0 is out of range (1..536870911)"},
    {"test_diag_oneof_field_with_label", "message A { oneof o { optional int32 x = 1; } }\n", E, 1,
     23, "fields in a oneof cannot have a label"},
    {"test_diag_map_with_label", "message A { repeated map<string, int32> m = 1; }\n", E, 1, 13,
     "map fields cannot have a label (they are repeated already)"},
    {"test_diag_map_in_oneof", "message A { oneof o { map<string, int32> m = 1; } }\n", E, 1, 23,
     "map fields are not allowed in a oneof"},
    {"test_diag_map_value_is_map", "message A { map<string, map<string, int32>> m = 1; }\n", E, 1,
     25, "map value cannot be a map; wrap it in a message"},
    {"test_diag_invalid_field_number", "message A { optional int32 x = 1x; }\n", E, 1, 32,
     "invalid field number '1x'"},
    {"test_diag_field_number_zero", "message A { optional int32 x = 0; }\n", E, 1, 32,
     "field number 0 is out of range (1..536870911)"},
    {"test_diag_field_number_too_large", "message A { optional int32 x = 536870912; }\n", E, 1, 32,
     "field number 536870912 is out of range (1..536870911)"},
    {"test_diag_proto3_default", "syntax = \"proto3\";\nmessage A { int32 x = 1 [default = 2]; }\n",
     E, 2, 26, "explicit default values are not allowed in proto3"},
    {"test_diag_proto3_required", "syntax = \"proto3\";\nmessage A { required int32 x = 1; }\n", E,
     2, 13, "required fields are not allowed in proto3"},
    {"test_diag_proto2_missing_label", "message A { int32 x = 1; }\n", E, 1, 13,
     "missing label: proto2 fields need 'optional', 'required' or 'repeated'"},
    {"test_diag_extend_ignored_warning",
     "message A { extensions 10 to 20; }\nextend A { optional int32 e = 10; }\n", W, 2, 1,
     "extensions are not supported; 'extend A' is ignored"},
    {"test_diag_enum_value_out_of_range", "enum E { A = 0; B = 2147483648; }\n", E, 1, 21,
     "enum value 'B' is out of range for int32"},
    {"test_diag_streaming_rpc", "message Q {}\nservice S { rpc A(stream Q) returns (Q); }\n", E, 2,
     19, "streaming rpc is not supported: a cproc rpc is one request and one response"},
    {"test_diag_on_in_service", "message Q {}\nservice S { on Q; }\n", E, 2, 13,
     "'on' is not allowed in a service; declare an actor instead"},
    {"test_diag_route_in_service", "service S { route \"/x\"; }\n", E, 1, 13,
     "'route' is not allowed in a service; declare an actor instead"},
    {"test_diag_route_without_slash", "actor A { route \"stats\"; }\n", E, 1, 17,
     "route path must start with '/'"},
    {"test_diag_route_with_nul", "actor A { route \"/a\\0b\"; }\n", E, 1, 17,
     "route path must not contain NUL bytes"},
    {"test_diag_mailbox_zero", "actor A { option mailbox = 0; }\n", E, 1, 28,
     "option 'mailbox' must be an integer from 1 to 2147483648 (events the mailbox holds)"},
    {"test_diag_mailbox_negative", "actor A { option mailbox = -5; }\n", E, 1, 28,
     "option 'mailbox' must be an integer from 1 to 2147483648 (events the mailbox holds)"},
    {"test_diag_mailbox_too_big", "actor A { option mailbox = 2147483649; }\n", E, 1, 28,
     "option 'mailbox' must be an integer from 1 to 2147483648 (events the mailbox holds)"},
    {"test_diag_mailbox_string", "actor A { option mailbox = \"10\"; }\n", E, 1, 28,
     "option 'mailbox' must be an integer from 1 to 2147483648 (events the mailbox holds)"},
    {"test_diag_mailbox_twice", "actor A { option mailbox = 1; option mailbox = 2; }\n", E, 1, 38,
     "option 'mailbox' is set twice in actor 'A'"},
    {"test_diag_mailbox_policy_unknown",
     "actor A { option mailbox = 1; option mailbox_policy = drop_newest; }\n", E, 1, 55,
     "option 'mailbox_policy' must be 'reject' or 'drop_oldest'"},
    {"test_diag_mailbox_policy_without_bound",
     "actor A { option mailbox_policy = reject; }\n", E, 1, 18,
     "option 'mailbox_policy' needs a bound: add 'option mailbox = N;' to actor 'A'"},
    {"test_diag_mailbox_in_service", "service S { option mailbox = 3; }\n", E, 1, 20,
     "option 'mailbox' is for actors; a service has no mailbox"},
    {"test_diag_loop_turns_integer", "actor A { option loop_turns = 3; }\n", E, 1, 31,
     "option 'loop_turns' must be true or false"},
    {"test_diag_loop_turns_string", "actor A { option loop_turns = \"yes\"; }\n", E, 1, 31,
     "option 'loop_turns' must be true or false"},
    {"test_diag_loop_turns_other_ident", "actor A { option loop_turns = on; }\n", E, 1, 31,
     "option 'loop_turns' must be true or false"},
    {"test_diag_loop_turns_twice",
     "actor A { option loop_turns = true; option loop_turns = true; }\n", E, 1, 44,
     "option 'loop_turns' is set twice in actor 'A'"},
    {"test_diag_loop_turns_in_service", "service S { option loop_turns = true; }\n", E, 1, 20,
     "option 'loop_turns' is for actors; declare 'actor S' instead of a service"},
    {"test_diag_bad_actor_member", "actor A { send X; }\n", E, 1, 11,
     "expected 'on', 'rpc', 'route' or 'option' in actor, found 'send'"},
    {"test_diag_rpc_missing_returns", "message Q {}\nactor A { rpc M(Q) gives (Q); }\n", E, 2, 20,
     "expected 'returns', found 'gives'"},
};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_builds_messages_fields_and_positions),
        cmocka_unit_test(test_parser_map_field_synthesizes_an_entry_message),
        cmocka_unit_test(test_parser_oneof_members_point_at_their_oneof),
        cmocka_unit_test(test_parser_proto2_defaults_are_decoded),
        cmocka_unit_test(test_parser_known_options_are_applied_and_all_are_kept),
        cmocka_unit_test(test_parser_proto3_repeated_scalars_are_packed_by_default),
        cmocka_unit_test(test_parser_reserved_and_extension_ranges),
        cmocka_unit_test(test_parser_actor_with_on_rpc_and_route),
        cmocka_unit_test(test_parser_actor_mailbox_options),
        cmocka_unit_test(test_parser_actor_loop_turns_option),
        cmocka_unit_test(test_parser_service_is_an_actor_with_rpcs),
        cmocka_unit_test(test_parser_comments_attach_to_the_next_declaration),
        cmocka_unit_test(test_parser_keywords_are_contextual),
        cmocka_unit_test(test_parser_recovers_and_reports_several_errors),
        cmocka_unit_test(test_parser_deep_nesting_is_bounded),
        cmocka_unit_test(test_parser_stops_after_too_many_errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    return rc + run_diag_cases("parser diagnostics", parser_cases,
                               sizeof parser_cases / sizeof parser_cases[0]);
}

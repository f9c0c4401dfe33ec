/* Loading: imports (in memory and on disk), cycles, missing files, the
 * Debian-shipped google/protobuf files, printed diagnostics, big inputs. */
#include <glob.h>
#include <stdlib.h>

#include "idl_test.h"

static void test_load_debian_well_known_protos_check_cleanly(void **state)
{
    glob_t g;
    assert_int_equal(glob("/usr/include/google/protobuf/*.proto", 0, NULL, &g), 0);
    glob("/usr/include/google/protobuf/compiler/*.proto", GLOB_APPEND, NULL, &g);
    assert_true(g.gl_pathc >= 10);
    const char *inc[] = {"/usr/include"};
    for (size_t i = 0; i < g.gl_pathc; i++) {
        /* Load by import name so the files dedupe like protoc's. */
        const char *name = g.gl_pathv[i] + strlen("/usr/include/");
        cpidl_diags_t d = {0};
        cpidl_options_t o = {.include_dirs = inc, .n_include_dirs = 1, .diags = &d, .werror = true};
        cpidl_program_t *p = NULL;
        int rc = cpidl_load(&o, name, &p);
        if (rc != CPIDL_OK)
            fail_msg("%s: %s at %u:%u", name, d.n ? d.items[0].message : "?",
                     d.n ? d.items[0].line : 0, d.n ? d.items[0].col : 0);
        assert_int_equal(d.n, 0);
        assert_true(p->main->n_all_messages + p->main->n_all_enums > 0);
        cpidl_program_free(p);
        cpidl_diags_close(&d);
    }
    globfree(&g);
}

static void test_load_descriptor_proto_has_its_types(void **state)
{
    const char *inc[] = {"/usr/include"};
    cpidl_options_t o = {.include_dirs = inc, .n_include_dirs = 1};
    cpidl_program_t *p = NULL;
    assert_int_equal(cpidl_load(&o, "google/protobuf/descriptor.proto", &p), CPIDL_OK);
    const cpidl_message_t *m =
        cpidl_program_find_message(p, "google.protobuf.FieldDescriptorProto");
    assert_non_null(m);
    assert_non_null(cpidl_program_find_enum(p, ".google.protobuf.FieldDescriptorProto.Type"));
    assert_int_equal(p->main->syntax, CPIDL_SYNTAX_PROTO2);
    cpidl_program_free(p);
}

static void test_load_imports_from_memory_once_with_dependencies_first(void **state)
{
    cpidl_source_t src[] = {
        {"base.proto", "syntax = \"proto3\";\npackage base;\nmessage B {}\n", 0},
        {"left.proto",
         "syntax = \"proto3\";\nimport public \"base.proto\";\npackage left;\nmessage L { base.B b "
         "= 1; }\n",
         0},
        {"right.proto",
         "syntax = \"proto3\";\nimport \"base.proto\";\npackage right;\nmessage R {}\n", 0},
    };
    for (size_t i = 0; i < 3; i++)
        src[i].len = strlen(src[i].data);
    cpidl_diags_t d = {0};
    cpidl_program_t *p = NULL;
    assert_int_equal(
        load_src("syntax = \"proto3\";\nimport \"left.proto\";\nimport weak \"right.proto\";\n"
                 "message M { base.B b = 1; left.L l = 2; right.R r = 3; }\n",
                 &d, &p, src, 3, false),
        CPIDL_OK);
    assert_int_equal(p->n_files, 4);
    assert_string_equal(p->files[0]->name, "base.proto");
    assert_ptr_equal(p->files[3], p->main);
    assert_int_equal(p->main->imports[1]->kind, CPIDL_IMPORT_WEAK);
    assert_ptr_equal(p->main->imports[0]->file, p->files[1]);
    assert_string_equal(p->main->messages[0]->fields[0]->type_full_name, ".base.B");
    cpidl_program_free(p);
    cpidl_diags_close(&d);
}

static void test_load_types_of_files_not_imported_are_not_visible(void **state)
{
    cpidl_source_t src[] = {
        {"base.proto", "package base;\nmessage B {}\n", 0},
        {"mid.proto", "import \"base.proto\";\npackage mid;\nmessage M {}\n", 0},
    };
    for (size_t i = 0; i < 2; i++)
        src[i].len = strlen(src[i].data);
    cpidl_diags_t d = {0};
    cpidl_program_t *p = NULL;
    assert_int_equal(load_src("import \"mid.proto\";\nmessage X { optional base.B b = 1; }\n", &d,
                              &p, src, 2, false),
                     CPIDL_EFAIL);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.items[0].message,
                        "'base.B' is defined in 'base.proto', which 't.actor' does not import");
    assert_int_equal(d.items[0].line, 2);
    assert_int_equal(d.items[0].col, 22);
    cpidl_diags_close(&d);
}

static void test_load_import_cycle_reports_the_chain(void **state)
{
    cpidl_source_t src[] = {{"a.proto", "import \"b.proto\";\n", 17},
                            {"b.proto", "\nimport \"t.actor\";\n", 18}};
    cpidl_diags_t d = {0};
    cpidl_program_t *p = NULL;
    assert_int_equal(load_src("import \"a.proto\";\n", &d, &p, src, 2, false), CPIDL_EFAIL);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.items[0].message,
                        "import cycle: t.actor -> a.proto -> b.proto -> t.actor");
    assert_string_equal(d.items[0].path, "b.proto");
    assert_int_equal(d.items[0].line, 2);
    assert_int_equal(d.items[0].col, 8);
    cpidl_diags_close(&d);
}

static void test_load_missing_import_in_memory(void **state)
{
    cpidl_diags_t d = {0};
    cpidl_program_t *p = NULL;
    assert_int_equal(load_src("import \"x.proto\";\n", &d, &p, NULL, 0, false), CPIDL_EFAIL);
    assert_string_equal(d.items[0].message,
                        "cannot find 'x.proto' (only in-memory sources are searched)");
    assert_int_equal(d.items[0].line, 1);
    assert_int_equal(d.items[0].col, 8);
    cpidl_diags_close(&d);
}

static void test_load_missing_import_lists_the_paths_tried(void **state)
{
    const char *inc[] = {"/nonexistent-a", "/nonexistent-b"};
    cpidl_diags_t d = {0};
    cpidl_options_t o = {.include_dirs = inc, .n_include_dirs = 2, .diags = &d};
    cpidl_program_t *p = NULL;
    const char *src = "import \"x.proto\";\n";
    assert_int_equal(cpidl_load_buffer(&o, "dir/t.actor", src, strlen(src), &p), CPIDL_EFAIL);
    assert_string_equal(d.items[0].message,
                        "cannot find import 'x.proto' (tried: /nonexistent-a/x.proto, "
                        "/nonexistent-b/x.proto, dir/x.proto)");
    cpidl_diags_close(&d);
}

static void test_load_missing_import_without_include_dirs_suggests_dash_i(void **state)
{
    cpidl_diags_t d = {0};
    cpidl_options_t o = {.diags = &d};
    cpidl_program_t *p = NULL;
    const char *src = "import \"nope/x.proto\";\n";
    assert_int_equal(cpidl_load_buffer(&o, "t.actor", src, strlen(src), &p), CPIDL_EFAIL);
    assert_string_equal(
        d.items[0].message,
        "cannot find import 'nope/x.proto' (tried: nope/x.proto); add its directory with -I");
    cpidl_diags_close(&d);
}

static void test_load_missing_main_file(void **state)
{
    cpidl_diags_t d = {0};
    cpidl_options_t o = {.diags = &d};
    cpidl_program_t *p = (cpidl_program_t *)&d;
    assert_int_equal(cpidl_load(&o, "no-such-file.actor", &p), CPIDL_EFAIL);
    assert_null(p);
    assert_null(d.items[0].path);
    assert_string_equal(d.items[0].message,
                        "cannot find 'no-such-file.actor' (tried: no-such-file.actor)");
    cpidl_diags_close(&d);
}

static void test_load_rejects_null_arguments(void **state)
{
    cpidl_program_t *p;
    assert_int_equal(cpidl_load(NULL, NULL, &p), CPIDL_EINVAL);
    assert_int_equal(cpidl_load(NULL, "x", NULL), CPIDL_EINVAL);
    assert_string_equal(cpidl_strerror(CPIDL_EINVAL), "invalid argument");
}

static void test_load_message_named_like_a_package_of_another_file(void **state)
{
    cpidl_source_t src[] = {{"a.proto", "package a.b;\n", 13}};
    cpidl_diags_t d = {0};
    cpidl_program_t *p = NULL;
    assert_int_equal(
        load_src("import \"a.proto\";\npackage a;\nmessage b {}\n", &d, &p, src, 1, false),
        CPIDL_EFAIL);
    assert_string_equal(d.items[0].message, "'a.b' is already defined as a package");
    assert_int_equal(d.items[0].line, 3);
    assert_int_equal(d.items[0].col, 9);
    cpidl_diags_close(&d);
}

static void test_load_prints_compiler_style_diagnostics_with_caret_and_count(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cpidl_options_t o = {.diag_out = out, .no_disk = true};
    cpidl_program_t *p = NULL;
    const char *src =
        "syntax = \"proto3\";\nmessage A {\n\tint32 x = 1;\n\tint32 y = 1;\n}\noption speed = 1;\n";
    assert_int_equal(cpidl_load_buffer(&o, "t.actor", src, strlen(src), &p), CPIDL_EFAIL);
    fclose(out);
    assert_string_equal(buf, "t.actor:6:8: warning: unknown file option 'speed' is ignored\n"
                             " option speed = 1;\n"
                             "        ^\n"
                             "t.actor:4:12: error: field number 1 is already used by 'x'\n"
                             " \tint32 y = 1;\n"
                             " \t          ^\n"
                             "t.actor:3:12: note: 'x' is declared here\n"
                             " \tint32 x = 1;\n"
                             " \t          ^\n"
                             "1 error and 1 warning generated.\n");
    free(buf);
}

static void test_program_diag_prints_a_back_end_diagnostic_like_the_loader(void **state)
{
    cpidl_options_t o = {.no_disk = true};
    cpidl_program_t *p = NULL;
    const char *src = "syntax = \"proto3\";\nactor Store {\n\trpc Spawn(A) returns (A);\n}\n"
                      "message A {}\n";
    assert_int_equal(cpidl_load_buffer(&o, "t.actor", src, strlen(src), &p), CPIDL_OK);
    const cpidl_method_t *m = p->main->actors[0]->methods[0];
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cpidl_program_diag(p, out, CPIDL_SEV_ERROR, m->pos, "rpc '%s' collides", m->name);
    cpidl_program_diag(p, out, CPIDL_SEV_NOTE, p->main->actors[0]->pos, "declared here");
    cpidl_program_diag(p, out, CPIDL_SEV_WARNING, (cpidl_pos_t){0}, "nowhere");
    fclose(out);
    assert_string_equal(buf, "t.actor:3:6: error: rpc 'Spawn' collides\n"
                             " \trpc Spawn(A) returns (A);\n"
                             " \t    ^\n"
                             "t.actor:2:7: note: declared here\n"
                             " actor Store {\n"
                             "       ^\n"
                             "warning: nowhere\n");
    free(buf);
    cpidl_program_free(p);
}

static void test_load_refuses_buffers_over_64_mib_before_reading_them(void **state)
{
    cpidl_diags_t d = {0};
    cpidl_options_t o = {.diags = &d, .no_disk = true};
    cpidl_program_t *p = NULL;
    /* The length is checked first: the bytes are never read. */
    assert_int_equal(cpidl_load_buffer(&o, "big", "x", (size_t)65 << 20, &p), CPIDL_EFAIL);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.items[0].message, "cannot read 'big': file is larger than 64 MiB");
    cpidl_diags_close(&d);
}

static void test_load_binary_garbage_fails_cleanly(void **state)
{
    char junk[4096];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (char)(x >> 16);
    }
    cpidl_diags_t d = {0};
    cpidl_options_t o = {.diags = &d, .no_disk = true};
    cpidl_program_t *p = NULL;
    assert_int_equal(cpidl_load_buffer(&o, "junk", junk, sizeof junk, &p), CPIDL_EFAIL);
    assert_true(d.n_errors >= 1 && d.n_errors <= 100);
    cpidl_diags_close(&d);
}

/* 500 messages and 50 actors, the size the generator must handle fast.
 * Correctness only: tests never assert timing (bench/ measures it). */
static void test_load_large_generated_file(void **state)
{
    size_t cap = 1 << 20, n = 0;
    char *src = malloc(cap);
    n += (size_t)sprintf(src + n, "syntax = \"proto3\";\npackage big;\n");
    for (int i = 0; i < 500; i++)
        n += (size_t)sprintf(src + n,
                             "message M%d { int32 a = 1; string b = 2; repeated M%d prev = 3; "
                             "map<string, int64> m = 4;"
                             " oneof o { bytes c = 5; double d = 6; } }\n",
                             i, i > 0 ? i - 1 : 0);
    for (int i = 0; i < 50; i++)
        n += (size_t)sprintf(src + n,
                             "actor A%d { on M%d; rpc Get(M%d) returns (M%d); route \"/a%d\"; }\n",
                             i, i, i, i + 1, i);
    cpidl_options_t o = {.no_disk = true};
    cpidl_program_t *p = NULL;
    assert_int_equal(cpidl_load_buffer(&o, "big.actor", src, n, &p), CPIDL_OK);
    assert_int_equal(p->main->n_messages, 500);
    assert_int_equal(p->main->n_all_messages, 1000);
    assert_int_equal(p->main->n_actors, 50);
    assert_ptr_equal(p->main->actors[49]->methods[0]->output, p->main->messages[50]);
    cpidl_program_free(p);
    free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_debian_well_known_protos_check_cleanly),
        cmocka_unit_test(test_load_descriptor_proto_has_its_types),
        cmocka_unit_test(test_load_imports_from_memory_once_with_dependencies_first),
        cmocka_unit_test(test_load_types_of_files_not_imported_are_not_visible),
        cmocka_unit_test(test_load_import_cycle_reports_the_chain),
        cmocka_unit_test(test_load_missing_import_in_memory),
        cmocka_unit_test(test_load_missing_import_lists_the_paths_tried),
        cmocka_unit_test(test_load_missing_import_without_include_dirs_suggests_dash_i),
        cmocka_unit_test(test_load_missing_main_file),
        cmocka_unit_test(test_load_rejects_null_arguments),
        cmocka_unit_test(test_load_message_named_like_a_package_of_another_file),
        cmocka_unit_test(test_load_prints_compiler_style_diagnostics_with_caret_and_count),
        cmocka_unit_test(test_program_diag_prints_a_back_end_diagnostic_like_the_loader),
        cmocka_unit_test(test_load_refuses_buffers_over_64_mib_before_reading_them),
        cmocka_unit_test(test_load_binary_garbage_fails_cleanly),
        cmocka_unit_test(test_load_large_generated_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

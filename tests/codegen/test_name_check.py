#!/usr/bin/env python3
"""cproc-gen refuses inputs whose generated C names would collide, one
behaviour per test: the exact `file:line:col: error:` text, the caret under
the column, the note at the other declaration, exit status 1 and no output
files.

usage: test_name_check.py CPROC_GEN
"""
import os
import subprocess
import sys
import tempfile

GEN = None


def gen(tmp, files, main):
    for name, text in files.items():
        with open(os.path.join(tmp, name), "w") as f:
            f.write(text)
    out = os.path.join(tmp, "out")
    os.makedirs(out, exist_ok=True)
    r = subprocess.run([GEN, "-I", tmp, "-o", out, os.path.join(tmp, main)],
                       capture_output=True, text=True)
    return r, out


def expect_error(tmp, files, main, line, col, message, note=None):
    """The run fails with exactly one error, at line:col of main, whose
    text is `message`; the caret sits under the column; `note` (line, col,
    text, file) follows when given."""
    r, out = gen(tmp, files, main)
    assert r.returncode == 1, r
    assert os.listdir(out) == [], os.listdir(out)
    lines = r.stderr.splitlines()
    head = "%s:%d:%d: error: %s" % (os.path.join(tmp, main), line, col, message)
    assert head in lines, "want:\n%s\ngot:\n%s" % (head, r.stderr)
    i = lines.index(head)
    source = files[main].splitlines()[line - 1]
    assert lines[i + 1] == " " + source, (lines[i + 1], source)
    assert lines[i + 2] == " " + source[:col - 1].replace("\t", "\t").translate(
        {c: " " for c in range(33, 127)}) + "^", lines[i + 2]
    if note is not None:
        nline, ncol, ntext, nfile = note
        want = "%s:%d:%d: note: %s" % (os.path.join(tmp, nfile), nline, ncol, ntext)
        assert lines[i + 3] == want, "want:\n%s\ngot:\n%s" % (want, r.stderr)
    assert lines[-1] == "1 error generated.", r.stderr


KV = 'syntax = "proto3";\npackage kv;\nmessage Req { string key = 1; }\nmessage Res { string value = 1; }\n'


def test_rpc_spawn_collides_with_the_actors_spawn(tmp):
    text = KV + "actor Store {\n  rpc Spawn(Req) returns (Res);\n}\n"
    expect_error(tmp, {"kv.actor": text}, "kv.actor", 6, 7,
                 "rpc 'Spawn' of actor 'kv.Store' would generate the C name 'kv__store__spawn', "
                 "which actor 'kv.Store' also generates",
                 (5, 7, "actor 'kv.Store' is declared here", "kv.actor"))


def test_rpc_initialize_collides_with_the_initialize_handler(tmp):
    text = KV + "actor Store {\n  rpc Initialize(Req) returns (Res);\n}\n"
    expect_error(tmp, {"kv.actor": text}, "kv.actor", 6, 7,
                 "rpc 'Initialize' of actor 'kv.Store' would generate the member 'initialize' "
                 "of struct Kv__Store_Handlers, which actor 'kv.Store' also generates",
                 (5, 7, "actor 'kv.Store' is declared here", "kv.actor"))


def test_rpc_get_and_rpc_get_remote_are_both_accepted(tmp):
    # Once a collision (pkg__store__get_remote, when every rpc had a
    # _remote form); one function per rpc now.
    text = KV + "actor Store {\n  rpc Get(Req) returns (Res);\n  rpc GetRemote(Req) returns (Res);\n}\n"
    r, out = gen(tmp, {"kv.actor": text}, "kv.actor")
    assert r.returncode == 0, r
    header = open(os.path.join(out, "kv.actor.h")).read()
    assert "kv__store__get_remote(Kv__Store_Pid pid" in header, header


def test_routes_that_mangle_to_one_member_collide(tmp):
    text = KV + 'actor Store {\n  route "/a-b";\n  route "/a_b";\n}\n'
    expect_error(tmp, {"kv.actor": text}, "kv.actor", 7, 9,
                 "route \"/a_b\" of actor 'kv.Store' would generate the member 'route_a_b' of "
                 "struct Kv__Store_Handlers, which route \"/a-b\" of actor 'kv.Store' also generates",
                 (6, 9, "route \"/a-b\" of actor 'kv.Store' is declared here", "kv.actor"))


def test_rpc_send_ping_collides_with_the_typed_send_of_on_ping(tmp):
    text = KV + "message Ping {}\nactor Store {\n  on Ping;\n  rpc SendPing(Req) returns (Res);\n}\n"
    expect_error(tmp, {"kv.actor": text}, "kv.actor", 8, 7,
                 "rpc 'SendPing' of actor 'kv.Store' would generate the C name "
                 "'kv__store__send_ping', which 'on kv.Ping' of actor 'kv.Store' also generates",
                 (7, 6, "'on kv.Ping' of actor 'kv.Store' is declared here", "kv.actor"))


def test_two_on_handlers_with_one_short_name_collide(tmp):
    text = (KV + "message A { message Ping {} }\nmessage B { message Ping {} }\n"
            "actor Store {\n  on A.Ping;\n  on B.Ping;\n}\n")
    expect_error(tmp, {"kv.actor": text}, "kv.actor", 9, 6,
                 "'on kv.B.Ping' of actor 'kv.Store' would generate the member 'on_ping' of "
                 "struct Kv__Store_Handlers, which 'on kv.A.Ping' of actor 'kv.Store' also generates",
                 (8, 6, "'on kv.A.Ping' of actor 'kv.Store' is declared here", "kv.actor"))


def test_messages_differing_only_by_underscores_collide(tmp):
    text = 'syntax = "proto3";\npackage p;\nmessage FooBar {}\nmessage Foo_Bar {}\n'
    expect_error(tmp, {"m.proto": text}, "m.proto", 4, 9,
                 "message 'p.Foo_Bar' would generate the C name 'P__FooBar', which message "
                 "'p.FooBar' also generates",
                 (3, 9, "message 'p.FooBar' is declared here", "m.proto"))


def test_messages_of_two_files_of_one_package_collide(tmp):
    dep = 'syntax = "proto3";\npackage p;\nmessage Foo_Bar {}\n'
    main = 'syntax = "proto3";\npackage p;\nimport "dep.proto";\nmessage FooBar {}\n'
    expect_error(tmp, {"dep.proto": dep, "main.proto": main}, "main.proto", 4, 9,
                 "message 'p.FooBar' would generate the C name 'P__FooBar', which message "
                 "'p.Foo_Bar' also generates",
                 (3, 9, "message 'p.Foo_Bar' is declared here", "dep.proto"))


def test_a_nested_message_and_a_package_that_mangle_alike_collide(tmp):
    # a.b.C and a.B.C (message C nested in B) are both A__B__C in C.
    dep = 'syntax = "proto3";\npackage a.b;\nmessage C {}\n'
    main = 'syntax = "proto3";\npackage a;\nimport "dep.proto";\nmessage B {\n  message C {}\n}\n'
    expect_error(tmp, {"dep.proto": dep, "main.proto": main}, "main.proto", 5, 11,
                 "message 'a.B.C' would generate the C name 'A__B__C', which message 'a.b.C' "
                 "also generates",
                 (3, 9, "message 'a.b.C' is declared here", "dep.proto"))


def test_fields_differing_only_by_case_collide(tmp):
    text = 'syntax = "proto3";\nmessage M {\n  int32 Foo = 1;\n  int32 foo = 2;\n}\n'
    expect_error(tmp, {"m.proto": text}, "m.proto", 4, 9,
                 "field 'foo' of message 'M' would generate the member 'foo' of struct M, "
                 "which field 'Foo' of message 'M' also generates",
                 (3, 9, "field 'Foo' of message 'M' is declared here", "m.proto"))


def test_repeated_field_count_collides_with_a_field(tmp):
    text = 'syntax = "proto3";\nmessage M {\n  repeated int32 x = 1;\n  int32 n_x = 2;\n}\n'
    expect_error(tmp, {"m.proto": text}, "m.proto", 4, 9,
                 "field 'n_x' of message 'M' would generate the member 'n_x' of struct M, "
                 "which field 'x' of message 'M' also generates",
                 (3, 18, "field 'x' of message 'M' is declared here", "m.proto"))


def test_escaped_keyword_field_collides_with_its_escape(tmp):
    text = 'syntax = "proto3";\nmessage M {\n  int32 int = 1;\n  int32 int_ = 2;\n}\n'
    expect_error(tmp, {"m.proto": text}, "m.proto", 4, 9,
                 "field 'int_' of message 'M' would generate the member 'int_' of struct M, "
                 "which field 'int' of message 'M' also generates",
                 (3, 9, "field 'int' of message 'M' is declared here", "m.proto"))


def test_oneof_case_member_collides_with_a_field(tmp):
    text = ('syntax = "proto3";\nmessage M {\n  oneof pick { int32 a = 1; }\n'
            '  int32 pick_case = 2;\n}\n')
    expect_error(tmp, {"m.proto": text}, "m.proto", 4, 9,
                 "field 'pick_case' of message 'M' would generate the member 'pick_case' of "
                 "struct M, which oneof 'pick' of message 'M' also generates",
                 (3, 9, "oneof 'pick' of message 'M' is declared here", "m.proto"))


def test_a_message_named_like_a_header_macro_is_refused(tmp):
    text = 'syntax = "proto3";\nmessage NULL {}\n'
    expect_error(tmp, {"m.proto": text}, "m.proto", 2, 9,
                 "message 'NULL' would generate the C name 'NULL', which cannot be used: the "
                 "headers generated code includes define it")


def test_a_package_with_the_runtime_prefix_is_refused(tmp):
    text = 'syntax = "proto3";\npackage cp_util;\nmessage M {}\n'
    expect_error(tmp, {"m.proto": text}, "m.proto", 3, 9,
                 "message 'cp_util.M' would generate the C name 'CP_UTIL__M__INIT', which "
                 "cannot be used: names starting with 'cp_' and 'CP_' belong to the cproc runtime")


def test_a_leading_underscore_name_is_refused(tmp):
    text = 'syntax = "proto3";\nmessage _Hidden {}\n'
    expect_error(tmp, {"m.proto": text}, "m.proto", 2, 9,
                 "message '_Hidden' would generate the C name '__HIDDEN__INIT', which cannot be "
                 "used: identifiers starting with '_' are reserved in C")


def test_an_enum_whose_tag_would_be_a_keyword_is_refused(tmp):
    text = 'syntax = "proto3";\nenum Bool { B0 = 0; }\n'
    expect_error(tmp, {"m.proto": text}, "m.proto", 2, 6,
                 "enum 'Bool' would generate the C name '_Bool', which cannot be used: it is a "
                 "C keyword")


P = 'syntax = "proto3";\n'


def test_two_imports_with_one_base_name_are_refused(tmp):
    os.makedirs(os.path.join(tmp, "a"))
    os.makedirs(os.path.join(tmp, "b"))
    main = P + 'import "a/x.proto";\nimport "b/x.proto";\nmessage M {}\n'
    expect_error(tmp, {"a/x.proto": P + "package a;\n", "b/x.proto": P + "package b;\n",
                       "m.proto": main}, "m.proto", 3, 8,
                 "'b/x.proto' would generate the header 'x.pb-cproc.h', which 'a/x.proto' also "
                 "generates (generated headers are named by base name)")


def test_an_import_with_the_main_files_base_name_is_refused(tmp):
    os.makedirs(os.path.join(tmp, "a"))
    main = P + 'import "a/x.proto";\nmessage M {}\n'
    expect_error(tmp, {"a/x.proto": P + "package a;\n", "x.proto": main}, "x.proto", 2, 8,
                 "'a/x.proto' would generate the header 'x.pb-cproc.h', which '%s' also "
                 "generates (generated headers are named by base name)" % os.path.join(tmp, "x.proto"))


def test_headers_with_one_include_guard_are_refused(tmp):
    main = P + 'import "x-y.proto";\nimport "x_y.proto";\nmessage M {}\n'
    expect_error(tmp, {"x-y.proto": P + "package a;\n", "x_y.proto": P + "package b;\n",
                       "m.proto": main}, "m.proto", 3, 8,
                 "the header 'x_y.pb-cproc.h' of 'x_y.proto' would have the include guard "
                 "'CPGEN_X_Y_PB_CPROC_H', which the header 'x-y.pb-cproc.h' of 'x-y.proto' also has")


def test_an_import_cproc_gen_cannot_generate_is_refused(tmp):
    main = P + 'import "types.txt";\nmessage M {}\n'
    expect_error(tmp, {"types.txt": P + "package a;\n", "m.proto": main}, "m.proto", 2, 8,
                 "cproc-gen generates C only for .actor and .proto files; 'types.txt' would have "
                 "no generated header to include")


def test_keyword_rpc_names_are_escaped_not_refused(tmp):
    text = KV + "actor Store {\n  rpc Int(Req) returns (Res);\n  rpc Assert(Req) returns (Res);\n}\n"
    r, out = gen(tmp, {"kv.actor": text}, "kv.actor")
    assert r.returncode == 0, r
    header = open(os.path.join(out, "kv.actor.h")).read()
    assert "(*int_)(" in header and "(*assert_)(" in header, header


def test_every_collision_is_reported_once_per_pair(tmp):
    text = KV + 'actor Store {\n  rpc Spawn(Req) returns (Res);\n  route "/a-b";\n  route "/a_b";\n}\n'
    r, _ = gen(tmp, {"kv.actor": text}, "kv.actor")
    assert r.returncode == 1, r
    assert r.stderr.count(": error: ") == 2, r.stderr
    assert r.stderr.splitlines()[-1] == "2 errors generated.", r.stderr


def main():
    global GEN
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    GEN = sys.argv[1]
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")]
    failed = 0
    for name, fn in tests:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                fn(tmp)
                print("ok   " + name)
            except AssertionError as e:
                failed += 1
                print("FAIL %s: %s" % (name, e))
    print("%d of %d passed" % (len(tests) - failed, len(tests)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

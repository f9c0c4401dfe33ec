#!/usr/bin/env python3
"""Command-line behaviour of cproc-gen, one behaviour per test.

usage: test_cli.py CPROC_GEN
"""
import os
import subprocess
import sys
import tempfile

GEN = None

GOOD = 'syntax = "proto3";\npackage demo;\nmessage Ping { uint64 seq = 1; }\n'


def run(*args, cwd=None):
    return subprocess.run([GEN] + list(args), capture_output=True, text=True, cwd=cwd)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_help_prints_usage_and_exits_0(tmp):
    r = run("--help")
    assert r.returncode == 0, r
    assert r.stdout.startswith("usage: cproc-gen"), r.stdout
    assert "--depfile" in r.stdout


def test_version_prints_name_and_version(tmp):
    r = run("--version")
    assert r.returncode == 0, r
    assert r.stdout.startswith("cproc-gen "), r.stdout


def test_unknown_option_exits_1_with_usage(tmp):
    r = run("--frobnicate", "x.proto")
    assert r.returncode == 1, r
    assert "unknown option '--frobnicate'" in r.stderr, r.stderr
    assert "usage:" in r.stderr


def test_option_without_argument_exits_1(tmp):
    r = run("x.proto", "-o")
    assert r.returncode == 1, r


def test_no_input_exits_1(tmp):
    r = run()
    assert r.returncode == 1, r
    assert "no input files" in r.stderr, r.stderr


def test_missing_file_exits_1_and_names_it(tmp):
    r = run("-o", tmp, os.path.join(tmp, "nope.proto"))
    assert r.returncode == 1, r
    assert "nope.proto" in r.stderr, r.stderr
    assert os.listdir(tmp) == [], os.listdir(tmp)


def test_wrong_extension_exits_1(tmp):
    path = os.path.join(tmp, "x.txt")
    write(path, GOOD)
    r = run("-o", tmp, path)
    assert r.returncode == 1, r
    assert "must end in .actor or .proto" in r.stderr, r.stderr


def test_proto_input_writes_pb_c_and_pb_cproc_files(tmp):
    path = os.path.join(tmp, "ping.proto")
    write(path, GOOD)
    r = run("-o", tmp, path)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(tmp)) == ["ping.pb-c.c", "ping.pb-c.h", "ping.pb-cproc.c",
                                       "ping.pb-cproc.h", "ping.proto"]
    with open(os.path.join(tmp, "ping.pb-c.h")) as f:
        text = f.read()
    assert "cproc.h" not in text and "cp_" not in text, text
    with open(os.path.join(tmp, "ping.pb-cproc.h")) as f:
        text = f.read()
    assert '#include "ping.pb-c.h"' in text and "#include <cproc/cproc.h>" in text, text


def test_protoc_c_mode_writes_pb_c_files_under_their_proto_path(tmp):
    os.makedirs(os.path.join(tmp, "src", "sub"))
    write(os.path.join(tmp, "src", "sub", "common.proto"),
          'syntax = "proto3";\npackage demo;\nmessage Seq { uint64 n = 1; }\n')
    main = os.path.join(tmp, "src", "sub", "ping.proto")
    write(main, 'syntax = "proto3";\npackage demo;\nimport "sub/common.proto";\n'
                'message Ping { Seq seq = 1; }\n')
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    r = run("--protoc-c", "-I", os.path.join(tmp, "src"), "-o", out, main)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(os.path.join(out, "sub"))) == ["ping.pb-c.c", "ping.pb-c.h"]
    with open(os.path.join(out, "sub", "ping.pb-c.h")) as f:
        text = f.read()
    assert "#ifndef PROTOBUF_C_sub_2fping_2eproto__INCLUDED" in text, text
    assert '#include "sub/common.pb-c.h"' in text, text
    with open(os.path.join(out, "sub", "ping.pb-c.c")) as f:
        assert '#include "sub/ping.pb-c.h"' in f.read()


def test_protoc_c_mode_finds_the_proto_path_through_dot_slash(tmp):
    os.makedirs(os.path.join(tmp, "src", "sub"))
    write(os.path.join(tmp, "src", "sub", "ping.proto"), GOOD)
    os.mkdir(os.path.join(tmp, "out"))
    r = run("--protoc-c", "-I", "./src/", "-o", "out", "src/sub/ping.proto", cwd=tmp)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(os.path.join(tmp, "out", "sub"))) == ["ping.pb-c.c", "ping.pb-c.h"]


def test_missing_output_dir_is_an_error_naming_it_in_both_modes(tmp):
    path = os.path.join(tmp, "ping.proto")
    write(path, GOOD)
    for mode in ([], ["--protoc-c"]):
        r = run(*mode, "-I", tmp, "-o", os.path.join(tmp, "nodir"), path)
        assert r.returncode == 1, (mode, r)
        assert r.stderr == "cproc-gen: output directory '%s': No such file or directory\n" % (
            os.path.join(tmp, "nodir")), (mode, r.stderr)
        assert sorted(os.listdir(tmp)) == ["ping.proto"], (mode, os.listdir(tmp))
    r = run("-o", path, path)
    assert r.returncode == 1, r
    assert "output directory '%s': Not a directory" % path in r.stderr, r.stderr
    # A directory that cannot be written (even by root): the error names the
    # file asked for, never the temporary file written first.
    r = run("-o", "/proc", path)
    assert r.returncode == 1, r
    assert r.stderr.startswith("cproc-gen: cannot write /proc/ping.pb-c.h: "), r.stderr
    assert ".tmp" not in r.stderr, r.stderr


def test_google_protobuf_imports_need_no_include_dir(tmp):
    # As protoc's built-in include path: the system's google/protobuf/*.proto
    # are found after the -I directories.
    os.makedirs(os.path.join(tmp, "src", "sub"))
    main = os.path.join(tmp, "src", "sub", "when.proto")
    write(main, 'syntax = "proto3";\npackage demo;\nimport "google/protobuf/timestamp.proto";\n'
                'message When { google.protobuf.Timestamp at = 1; }\n')
    os.mkdir(os.path.join(tmp, "out"))
    dep = os.path.join(tmp, "when.d")
    r = run("--protoc-c", "-I", os.path.join(tmp, "src"), "-o", os.path.join(tmp, "out"),
            "--depfile", dep, main)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(tmp, "out", "sub", "when.pb-c.h")) as f:
        assert '#include "google/protobuf/timestamp.pb-c.h"' in f.read()
    with open(dep) as f:
        assert "/google/protobuf/timestamp.proto" in f.read()
    r = run("-o", os.path.join(tmp, "out"), main)
    assert r.returncode == 0, r.stderr
    # A -I directory comes first: its own copy of the file is the one read.
    os.makedirs(os.path.join(tmp, "mine", "google", "protobuf"))
    write(os.path.join(tmp, "mine", "google", "protobuf", "timestamp.proto"),
          'syntax = "proto3";\npackage google.protobuf;\nmessage Timestamp { int64 mine = 1; }\n')
    r = run("-I", os.path.join(tmp, "mine"), "-o", os.path.join(tmp, "out"), "--depfile", dep, main)
    assert r.returncode == 0, r.stderr
    with open(dep) as f:
        assert os.path.join(tmp, "mine", "google", "protobuf", "timestamp.proto") in f.read()
    # An import found in none of them is still an error.
    write(main, 'syntax = "proto3";\nimport "no/such.proto";\nmessage M { int32 a = 1; }\n')
    r = run("-I", os.path.join(tmp, "src"), "-o", os.path.join(tmp, "out"), main)
    assert r.returncode == 1, r
    assert "cannot find import 'no/such.proto'" in r.stderr, r.stderr


def test_no_generate_option_writes_nothing(tmp):
    path = os.path.join(tmp, "quiet.proto")
    write(path, 'syntax = "proto2";\nimport "protobuf-c/protobuf-c.proto";\n'
                'option (pb_c_file).no_generate = true;\nmessage M { optional int32 a = 1; }\n')
    r = run("--werror", "-I", "/usr/include", "-o", tmp, path)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(tmp)) == ["quiet.proto"], os.listdir(tmp)


def test_extend_of_descriptor_options_is_silent_others_warn(tmp):
    path = os.path.join(tmp, "ext.proto")
    write(path, 'syntax = "proto2";\nimport "google/protobuf/descriptor.proto";\n'
                'extend google.protobuf.FieldOptions { optional int32 my_opt = 50000; }\n'
                'message M { optional int32 a = 1; extensions 100 to 200; }\n')
    r = run("--werror", "-I", "/usr/include", "-o", tmp, path)
    assert r.returncode == 0, r.stderr
    assert "warning" not in r.stderr, r.stderr
    write(path, 'syntax = "proto2";\nmessage M { optional int32 a = 1; extensions 100 to 200; }\n'
                'extend M { optional int32 b = 100; }\n')
    r = run("-o", tmp, path)
    assert r.returncode == 0, r.stderr
    assert "extensions are not supported" in r.stderr, r.stderr


def test_diagnostics_are_printed_in_source_order(tmp):
    # Found in another order (routes checked late, a duplicate rpc after the
    # syntax error below it): printed sorted by line and column, each note
    # right after its error.
    path = os.path.join(tmp, "order.actor")
    write(path, 'syntax = "proto3";\npackage demo;\nmessage A { int64 x = 1; }\n'
                'actor S {\n  rpc Get(A) returns (A);\n  rpc Get(A) returns (A);\n'
                '  route "/a b";\n  route "x";\n  on A\n  route "/y";\n}\n')
    r = run("-o", tmp, path)
    assert r.returncode == 1, r
    heads = [l.split(": ")[0] for l in r.stderr.splitlines() if l.startswith(path)]
    want = [path + ":6:7", path + ":5:7", path + ":7:9", path + ":8:9", path + ":10:3"]
    assert heads == want, r.stderr
    assert r.stderr.index("note: previous definition") < r.stderr.index(":7:9:"), r.stderr


def test_echoed_source_line_keeps_utf8_and_escapes_other_bytes(tmp):
    path = os.path.join(tmp, "bytes.actor")
    with open(path, "wb") as f:
        f.write(b'syntax = "proto3";\npackage demo;\nactor S {\n  route "/\xc3\xa9";\n'
                b'  route "/\xff\x01";\n}\n')
    r = subprocess.run([GEN, "-o", tmp, path], capture_output=True)
    assert r.returncode == 1, r
    err = r.stderr.decode("utf-8", "strict")
    assert ' route "/\u00e9";\n' in err, err
    assert ' route "/\\xff\\x01";\n' in err, err
    assert "?" not in err.replace("'?'", ""), err


def test_bad_loop_turns_options_get_errors_with_caret_and_no_output(tmp):
    path = os.path.join(tmp, "lt.actor")
    write(path, 'syntax = "proto3";\npackage demo;\nactor A {\n  option loop_turns = 3;\n'
                '  option loop_turns = true;\n}\nactor B { option loop_turns = "yes"; }\n')
    r = run("-o", tmp, path)
    assert r.returncode == 1, r
    want = (path + ":4:23: error: option 'loop_turns' must be true or false\n"
            "   option loop_turns = 3;\n"
            "                       ^\n" +
            path + ":5:10: error: option 'loop_turns' is set twice in actor 'A'\n"
            "   option loop_turns = true;\n"
            "          ^\n" +
            path + ":7:31: error: option 'loop_turns' must be true or false\n"
            ' actor B { option loop_turns = "yes"; }\n'
            "                               ^\n")
    assert r.stderr.startswith(want), r.stderr
    assert sorted(os.listdir(tmp)) == ["lt.actor"], os.listdir(tmp)


def test_actor_input_writes_actor_files(tmp):
    path = os.path.join(tmp, "ping.actor")
    write(path, GOOD)
    r = run("-o", tmp, path)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(tmp)) == ["ping.actor", "ping.actor.c", "ping.actor.h"]
    with open(os.path.join(tmp, "ping.actor.h")) as f:
        first = f.readline()
    assert "generated by cproc-gen" in first and "ping.actor" in first, first


def test_syntax_error_exits_1_with_position_and_writes_nothing(tmp):
    path = os.path.join(tmp, "bad.proto")
    write(path, 'syntax = "proto3";\nmessage Ping { uint64 seq = ; }\n')
    r = run("-o", tmp, path)
    assert r.returncode == 1, r
    assert "bad.proto:2:" in r.stderr and "error:" in r.stderr, r.stderr
    assert sorted(os.listdir(tmp)) == ["bad.proto"], os.listdir(tmp)


def test_werror_turns_warning_into_exit_1(tmp):
    path = os.path.join(tmp, "warn.proto")
    write(path, WARNING_INPUT)
    r = run("-o", tmp, path)
    assert r.returncode == 0, r.stderr
    assert "warning:" in r.stderr, r.stderr
    r = run("--werror", "-o", tmp, path)
    assert r.returncode == 1, r
    assert "warn.proto:" in r.stderr, r.stderr


def test_depfile_lists_outputs_input_and_imports(tmp):
    os.mkdir(os.path.join(tmp, "inc"))
    write(os.path.join(tmp, "inc", "common.proto"),
          'syntax = "proto3";\npackage demo;\nmessage Seq { uint64 n = 1; }\n')
    main = os.path.join(tmp, "main.proto")
    write(main, 'syntax = "proto3";\npackage demo;\nimport "common.proto";\n'
                'message Ping { Seq seq = 1; }\n')
    dep = os.path.join(tmp, "main.d")
    r = run("-I", os.path.join(tmp, "inc"), "-o", tmp, "--depfile", dep, main)
    assert r.returncode == 0, r.stderr
    with open(dep) as f:
        text = f.read()
    targets, _, prereqs = text.partition(":")
    assert targets.split() == [os.path.join(tmp, "main.pb-c.h"), os.path.join(tmp, "main.pb-c.c"),
                               os.path.join(tmp, "main.pb-cproc.h"),
                               os.path.join(tmp, "main.pb-cproc.c")], text
    names = prereqs.replace("\\\n", " ").split()
    assert names[0] == main, text
    assert os.path.join(tmp, "inc", "common.proto") in [os.path.normpath(n) for n in names], text
    with open(os.path.join(tmp, "main.pb-cproc.h")) as f:
        assert '#include "common.pb-cproc.h"' in f.read()
    with open(os.path.join(tmp, "main.pb-c.h")) as f:
        assert '#include "common.pb-c.h"' in f.read()


WARNING_INPUT = ('syntax = "proto3";\npackage demo;\noption cproc_no_such_option = true;\n'
                 'message Ping { uint64 seq = 1; }\n')


def main():
    global GEN
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    GEN = os.path.abspath(sys.argv[1])
    failures = 0
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")]
    for name, fn in tests:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                fn(tmp)
                print("ok  ", name)
            except AssertionError as e:
                print("FAIL", name, e)
                failures += 1
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

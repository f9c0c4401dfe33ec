#!/usr/bin/env python3
"""protoc-gen-cproc's behaviour on bad input, one behaviour per test.

usage: test_plugin.py PROTOC_GEN_CPROC
"""
import os
import subprocess
import sys
import tempfile

PLUGIN = None


def protoc(tmp, *args):
    return subprocess.run(["protoc", "--plugin=protoc-gen-cproc=" + PLUGIN] + list(args),
                          capture_output=True, text=True, cwd=tmp)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_arguments_print_usage_and_exit_1(tmp):
    r = subprocess.run([PLUGIN, "--help"], capture_output=True, text=True)
    assert r.returncode == 1 and "usage: protoc" in r.stderr, r


def test_garbage_on_stdin_exits_1_with_a_message(tmp):
    r = subprocess.run([PLUGIN], input=b"\xff\xff\xff\xff", capture_output=True)
    assert r.returncode == 1, r
    assert b"not a CodeGeneratorRequest" in r.stderr, r.stderr


def test_file_cproc_gen_rejects_fails_protoc_with_its_diagnostic(tmp):
    write(os.path.join(tmp, "s.proto"),
          'syntax = "proto3";\nmessage M { int32 a = 1; }\n'
          'service S { rpc Watch (M) returns (stream M); }\n')
    os.mkdir(os.path.join(tmp, "out"))
    r = protoc(tmp, "--cproc_out=out", "s.proto")
    assert r.returncode != 0, r
    assert "s.proto" in r.stderr and "cproc-gen failed" in r.stderr, r.stderr
    assert os.listdir(os.path.join(tmp, "out")) == [], os.listdir(os.path.join(tmp, "out"))


def test_groups_are_refused_by_name(tmp):
    write(os.path.join(tmp, "g.proto"),
          'syntax = "proto2";\nmessage M { optional group G = 1 { optional int32 a = 2; } }\n')
    os.mkdir(os.path.join(tmp, "out"))
    r = protoc(tmp, "--cproc_out=out", "g.proto")
    assert r.returncode != 0, r
    assert "groups are not supported" in r.stderr, r.stderr


def test_proto3_optional_is_accepted(tmp):
    write(os.path.join(tmp, "o.proto"),
          'syntax = "proto3";\nmessage M { optional int32 a = 1; }\n')
    os.mkdir(os.path.join(tmp, "out"))
    r = protoc(tmp, "--cproc_out=out", "o.proto")
    assert r.returncode == 0, r.stderr
    with open(os.path.join(tmp, "out", "o.pb-c.h")) as f:
        assert "protobuf_c_boolean has_a;" in f.read()


def request_reply(req):
    from google.protobuf.compiler import plugin_pb2
    r = subprocess.run([PLUGIN], input=req.SerializeToString(), capture_output=True)
    assert r.returncode == 0, r.stderr
    res = plugin_pb2.CodeGeneratorResponse()
    res.ParseFromString(r.stdout)
    return res


def test_malformed_request_gets_an_error_response(tmp):
    from google.protobuf.compiler import plugin_pb2
    req = plugin_pb2.CodeGeneratorRequest()
    req.file_to_generate.append("x.proto")
    f = req.proto_file.add()
    f.name = "x.proto"
    m = f.message_type.add()
    m.name = "M"
    fld = m.field.add()
    fld.name = "a"
    fld.number = 1
    fld.type = fld.TYPE_INT32
    fld.label = fld.LABEL_OPTIONAL
    fld.oneof_index = 5  # no such oneof
    res = request_reply(req)
    assert "malformed" in res.error and len(res.file) == 0, res


def test_file_names_outside_the_proto_path_are_refused(tmp):
    from google.protobuf.compiler import plugin_pb2
    req = plugin_pb2.CodeGeneratorRequest()
    req.file_to_generate.append("../evil.proto")
    req.proto_file.add().name = "../evil.proto"
    res = request_reply(req)
    assert "outside the proto path" in res.error and len(res.file) == 0, res


def main():
    global PLUGIN
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    PLUGIN = os.path.abspath(sys.argv[1])
    failures = 0
    for name, fn in sorted(globals().items()):
        if not name.startswith("test_"):
            continue
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

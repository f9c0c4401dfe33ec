#!/usr/bin/python3
"""Wire identity between cproc-gen's C and python3-protobuf.

usage: wire_check.py WIRE_PROG PROTO_DIR

Compiles wire2.proto and wire3.proto with `protoc --python_out` into a
temporary directory, builds the same messages as wire_prog.c, and checks:
  1. C bytes == python bytes for every case (and python parses them back to
     an equal message);
  2. C unpacks python's bytes (including unknown fields), checks values and
     packs them back to the very same bytes.
Exit status 0 on success.
"""
import importlib
import math
import os
import subprocess
import sys
import tempfile

UTF8 = "h\u00e9llo \u2713 \U0001F600"
ZEROS = b"\x00\x01\x00\xff\x00"


def build_cases(w3, w2):
    def scalars_positive():
        m = w3.Scalars(i32=150, i64=1234567890123, u32=3000000000,
                       u64=12345678901234567890, s32=63, s64=1 << 40,
                       f32=0xdeadbeef, f64=0x0123456789abcdef, sf32=7, sf64=8,
                       fl=3.25, db=2.718281828459045, b=True, str=UTF8,
                       by=ZEROS, color=w3.GREEN)
        return m

    def scalars_negative():
        return w3.Scalars(i32=-1, i64=-(1 << 63), u32=2**32 - 1, u64=2**64 - 1,
                          s32=-1, s64=-(1 << 63), f32=2**32 - 1, f64=2**64 - 1,
                          sf32=-(1 << 31), sf64=-6, fl=-0.5, db=-1e300,
                          color=w3.NEGATIVE)

    def repeated():
        m = w3.Repeated()
        m.packed_i32.extend([1, -1, 300, 2**31 - 1, -(2**31)])
        m.packed_s64.extend([0, -1, 1, -(2**63), 2**63 - 1])
        m.packed_db.extend([0.0, -0.0, 1.5, 1e-300])
        m.packed_b.extend([True, False, True])
        m.packed_color.extend([w3.RED, w3.NEGATIVE, w3.COLOR_UNSPECIFIED])
        m.packed_f32.extend([0, 1, 2**32 - 1])
        m.unpacked_i32.extend([5, -5, 0])
        m.strs.extend(["", "a", UTF8])
        m.bys.extend([b"", ZEROS])
        m.msgs.add()
        m.msgs.append(scalars_negative())
        m.unpacked_u64.extend([2**64 - 1, 0, 42])
        return m

    def inner_a():
        i = w3.Outer.Inner(x=-20, name="inner a", kind=w3.Outer.Inner.KIND_A)
        i.deep.flag = True
        return i

    def outer_nested():
        m = w3.Outer(kind=w3.Outer.Inner.KIND_A, after_oneof=536870911)
        m.inner.CopyFrom(inner_a())
        m.inners.add(x=7)
        m.inners.append(inner_a())
        return m

    def outer_oneof_msg():
        m = w3.Outer()
        m.choice_msg.CopyFrom(inner_a())
        return m

    def outer_maps():
        m = w3.Outer()
        for i, k in enumerate(["alpha", "beta", "\u00e9t\u00e9"]):
            m.counts[k] = (i + 1) * -100
        m.by_id[-5].CopyFrom(inner_a())
        m.by_id[1 << 50].x = 7
        m.colors[1] = w3.RED
        m.colors[2] = w3.NEGATIVE
        return m

    def defaults_explicit():
        m = w2.Defaults(
            i32=-42, i64=-9000000000, u32=4000000000, u64=18000000000000000000,
            fl=1.5, db=-2.25e10, inf=math.inf, b=True, str="explicit",
            by=b"a\x00b", level=w2.HIGH, s32=-7, req=-1, neg_inf=-math.inf,
            no_default_level=w2.LOW, no_default_str="")
        m.packed.extend([-1, 2])
        m.unpacked.extend([3, -4])
        m.child.req = 77
        return m

    def unknown_fields():
        big = w3.Big(a=1, b="more", d=2**64 - 1)
        big.c.extend([1, 2, 3])
        big.e.CopyFrom(scalars_negative())
        return big

    return {
        "scalars_zero": w3.Scalars(),
        "scalars_positive": scalars_positive(),
        "scalars_negative": scalars_negative(),
        "repeated": repeated(),
        "outer_nested": outer_nested(),
        "outer_oneof_int": w3.Outer(choice_int=0),
        "outer_oneof_str": w3.Outer(choice_str=UTF8),
        "outer_oneof_msg": outer_oneof_msg(),
        "outer_oneof_bytes": w3.Outer(choice_bytes=ZEROS),
        "outer_maps": outer_maps(),
        "outer_optional_zero": w3.Outer(opt_i32=0, opt_str=""),
        "outer_optional_set": w3.Outer(opt_i32=-9, opt_str=UTF8),
        "defaults_min": w2.Defaults(req=0),
        "defaults_explicit": defaults_explicit(),
        "small": w3.Small(a=99),
        "unknown_fields": unknown_fields(),
    }


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    prog, proto_dir = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["protoc", "-I", proto_dir, "--python_out", tmp,
                        "wire2.proto", "wire3.proto"], check=True)
        sys.path.insert(0, tmp)
        w2 = importlib.import_module("wire2_pb2")
        w3 = importlib.import_module("wire3_pb2")
        cases = build_cases(w3, w2)

        listed = subprocess.run([prog, "list"], check=True, capture_output=True,
                                text=True).stdout.split("\n")
        kinds = dict(line.split() for line in listed if line)
        if set(kinds) != set(cases):
            sys.exit("case lists differ: C %s, python %s" % (sorted(kinds), sorted(cases)))

        subprocess.run([prog, "write", tmp], check=True)
        failures = 0
        for name, msg in cases.items():
            py = msg.SerializeToString(deterministic=True)
            with open(os.path.join(tmp, name + ".py.bin"), "wb") as f:
                f.write(py)
            if kinds[name] != "both":
                continue
            with open(os.path.join(tmp, name + ".c.bin"), "rb") as f:
                c = f.read()
            if c != py:
                print("%s: bytes differ\n  C:      %s\n  python: %s" % (name, c.hex(), py.hex()))
                failures += 1
                continue
            back = type(msg)()
            back.ParseFromString(c)
            if back.SerializeToString(deterministic=True) != py:
                print("%s: python does not read C's bytes back" % name)
                failures += 1
            print("ok   %-22s %4d bytes identical" % (name, len(c)))

        r = subprocess.run([prog, "check", tmp])
        if r.returncode != 0:
            print("C could not round-trip python's bytes")
            failures += 1
        else:
            print("ok   C unpacked and re-packed every python message unchanged")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

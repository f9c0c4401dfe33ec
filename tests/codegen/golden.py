#!/usr/bin/env python3
"""Golden-file test for cproc-gen.

usage: golden.py CPROC_GEN GOLDEN_DIR [--update]

Every *.actor / *.proto in GOLDEN_DIR is generated (with -I GOLDEN_DIR and
-I /usr/include) into a temporary directory twice; the two runs must agree
byte for byte (determinism) and match the checked-in NAME.*.h/.c files next
to the input. With --update the checked-in files are rewritten instead:

    ninja -C BUILDDIR update-golden
"""
import filecmp
import glob
import os
import shutil
import subprocess
import sys
import tempfile


def outputs_of(inp):
    base = os.path.basename(inp)
    if base.endswith(".actor"):
        stem = base[:-len(".actor")] + ".actor"
        return [stem + ".h", stem + ".c"]
    stem = base[:-len(".proto")]
    return [stem + ".pb-c.h", stem + ".pb-c.c", stem + ".pb-cproc.h", stem + ".pb-cproc.c"]


def generate(gen, golden, inp, out):
    subprocess.run([gen, "-I", golden, "-I", "/usr/include", "-o", out, inp], check=True)


def main():
    args = [a for a in sys.argv[1:] if a != "--update"]
    update = "--update" in sys.argv[1:]
    if len(args) != 2:
        sys.exit(__doc__)
    gen, golden = args
    inputs = sorted(glob.glob(os.path.join(golden, "*.actor")) +
                    glob.glob(os.path.join(golden, "*.proto")))
    if not inputs:
        sys.exit("no inputs in " + golden)
    failures = 0
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        for inp in inputs:
            generate(gen, golden, inp, a)
            generate(gen, golden, inp, b)
            for name in outputs_of(inp):
                first, second = os.path.join(a, name), os.path.join(b, name)
                if not filecmp.cmp(first, second, shallow=False):
                    print("%s: two runs gave different bytes" % name)
                    failures += 1
                want = os.path.join(golden, name)
                if update:
                    shutil.copyfile(first, want)
                    print("updated", want)
                elif not os.path.exists(want):
                    print("%s: no golden file (run: ninja -C BUILDDIR update-golden)" % want)
                    failures += 1
                elif not filecmp.cmp(first, want, shallow=False):
                    subprocess.run(["diff", "-u", want, first])
                    print("%s differs from the golden file; if the change is intended run:\n"
                          "  ninja -C BUILDDIR update-golden" % name)
                    failures += 1
                else:
                    print("ok", name)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

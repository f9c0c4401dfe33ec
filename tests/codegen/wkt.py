#!/usr/bin/env python3
"""Every Debian-shipped google/protobuf/*.proto generates C that compiles.

usage: wkt.py CPROC_GEN OUTDIR CC [CFLAGS...]
"""
import glob
import os
import subprocess
import sys


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    gen, outdir, cc = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(outdir, exist_ok=True)
    protos = sorted(glob.glob("/usr/include/google/protobuf/*.proto"))
    if not protos:
        sys.exit("no /usr/include/google/protobuf/*.proto (libprotobuf-dev missing?)")
    failures = 0
    # Generate everything first: the files include each other's headers.
    for proto in protos:
        r = subprocess.run([gen, "-I", "/usr/include", "-o", outdir, proto])
        if r.returncode != 0:
            print("FAIL generate", proto)
            failures += 1
    for proto in protos:
        stem = os.path.basename(proto)[:-len(".proto")]
        c = os.path.join(outdir, stem + ".pb-cproc.c")
        if not os.path.exists(c):
            continue
        r = subprocess.run(cc + ["-I", outdir, "-c", c, "-o", c + ".o"])
        if r.returncode != 0:
            print("FAIL compile", c)
            failures += 1
        else:
            print("ok", proto)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

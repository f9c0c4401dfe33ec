#!/usr/bin/env python3
"""Compile-fail suite: misuse of the generated API is a hard error.

usage: run_compile_fail.py GENDIR CASEDIR NAME=COMPILER... -- CFLAGS...

Each CASEDIR/*.c uses the header generated from cf.actor (in GENDIR) and
holds one misuse under `#ifdef CF_MISUSE`, the correct use otherwise. Its
leading comment names, per compiler, the error it must fail with:

    * expect-gcc: <regex>
    * expect-clang: <regex>

For every case and every compiler (NAME is gcc or clang) the file is
compiled twice with the compiler's DEFAULT flags (only include paths, no
-W options, no -std, no -Werror): without CF_MISUSE it must compile (so the
failure below is not some other breakage), with -DCF_MISUSE it must fail
with an `error:` line whose text matches the case's regex. A warning is
not enough: that is the point of the suite.
"""
import os
import re
import subprocess
import sys


def expectations(path):
    want = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*\*\s*expect-(\w+):\s*(.*?)\s*$", line)
            if m:
                want[m.group(1)] = m.group(2)
            if line.strip().startswith("*/"):
                break
    return want


def compile_case(cc, flags, path, misuse):
    args = [cc, "-fsyntax-only", "-fdiagnostics-color=never"] + flags + [path]
    if misuse:
        args.insert(1, "-DCF_MISUSE")
    env = dict(os.environ, LC_ALL="C", LANG="C")
    return subprocess.run(args, capture_output=True, text=True, env=env)


def main():
    argv = sys.argv[1:]
    if "--" not in argv or len(argv) < 4:
        sys.exit(__doc__)
    split = argv.index("--")
    gendir, casedir, compilers = argv[0], argv[1], argv[2:split]
    flags = ["-I", gendir] + argv[split + 1:]
    compilers = [c.split("=", 1) for c in compilers]
    cases = sorted(f for f in os.listdir(casedir) if f.endswith(".c"))
    failures = 0
    checks = 0
    for case in cases:
        path = os.path.join(casedir, case)
        want = expectations(path)
        for name, cc in compilers:
            checks += 1
            if name not in want:
                print("FAIL %s [%s]: no 'expect-%s:' line" % (case, name, name))
                failures += 1
                continue
            good = compile_case(cc, flags, path, False)
            if good.returncode != 0:
                print("FAIL %s [%s]: the correct use does not compile:\n%s"
                      % (case, name, good.stderr))
                failures += 1
                continue
            bad = compile_case(cc, flags, path, True)
            errors = [line.split("error: ", 1)[1] for line in bad.stderr.splitlines()
                      if "error: " in line]
            if bad.returncode == 0:
                print("FAIL %s [%s]: the misuse compiles (%s)" % (
                    case, name, "warnings only" if bad.stderr else "silently"))
                print(bad.stderr)
                failures += 1
            elif not any(re.search(want[name], e) for e in errors):
                print("FAIL %s [%s]: fails, but not with /%s/:\n%s"
                      % (case, name, want[name], bad.stderr))
                failures += 1
            else:
                print("ok   %s [%s]" % (case, name))
    print("%d of %d checks passed (%d cases x %d compilers)"
          % (checks - failures, checks, len(cases), len(compilers)))
    sys.exit(1 if failures or not cases else 0)


if __name__ == "__main__":
    main()

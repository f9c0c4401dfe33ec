#!/usr/bin/env python3
"""Generation time of cproc-gen against protoc-c (protoc --c_out).

usage: codegen_bench.py CPROC_GEN [EXTRA.proto...] [--runs N]

Inputs: tests/codegen/big.py's 500-message / 50-actor file (as big.actor
for cproc-gen, and as big.proto with the 50 actors written as services, so
protoc-c can read it), plus each EXTRA.proto (e.g. Mesos' mesos.proto).
Each command runs N times (default 15) after one warm-up; one JSON line per
input and tool with the median and minimum wall time (process start to
exit, output files written), and one line per input with the ratio of
medians cproc-gen --protoc-c / protoc-c (the target is <= 0.5).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "codegen"))
import big  # noqa: E402


def timed(cmd, runs):
    subprocess.run(cmd, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(name, tool, times):
    line = {"bench": "codegen", "input": name, "tool": tool, "runs": len(times),
            "median_ms": round(statistics.median(times), 2), "min_ms": round(min(times), 2)}
    print(json.dumps(line), flush=True)
    return line["median_ms"]


def main():
    args = sys.argv[1:]
    runs = 15
    if "--runs" in args:
        i = args.index("--runs")
        runs = int(args[i + 1])
        del args[i:i + 2]
    if not args:
        sys.exit(__doc__)
    gen, extra = args[0], args[1:]
    work = tempfile.mkdtemp(prefix="codegen-bench.")
    try:
        actor = os.path.join(work, "big.actor")
        big.write_input(actor)
        proto = os.path.join(work, "big.proto")
        with open(actor) as f, open(proto, "w") as g:
            g.write(f.read().replace("actor A", "service A").replace("  on ", "  // on ")
                    .replace("  route ", "  // route "))
        inputs = [("big (500 messages, 50 actors/services)", proto, actor)]
        inputs += [(os.path.basename(p), os.path.abspath(p), None) for p in extra]
        for name, path, actor_path in inputs:
            inc = os.path.dirname(path)
            out = os.path.join(work, "out")
            os.makedirs(out, exist_ok=True)
            protoc_c = report(name, "protoc-c", timed(
                ["protoc", "-I", inc, "--c_out=" + out, path], runs))
            ours = report(name, "cproc-gen --protoc-c", timed(
                [gen, "--protoc-c", "-I", inc, "-o", out, path], runs))
            report(name, "cproc-gen (.pb-c + .pb-cproc)", timed(
                [gen, "-I", inc, "-o", out, path], runs))
            if actor_path:
                report(name + " as .actor", "cproc-gen", timed([gen, "-o", out, actor_path], runs))
            print(json.dumps({"bench": "codegen", "input": name,
                              "ratio_cproc_gen_over_protoc_c": round(ours / protoc_c, 3)}),
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

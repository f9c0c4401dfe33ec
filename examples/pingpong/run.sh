#!/usr/bin/env bash
# Runs the pingpong pair on 127.0.0.1: starts `pong` on a free port, waits
# for it to print its UPID, runs `ping` against it, then stops `pong`.
# Usage: run.sh BUILD_DIR [ping options...]
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [ping options]}
shift
bin="$build/examples/pingpong"
out=$(mktemp)
"$bin/pong" --ip 127.0.0.1 --port 0 >"$out" &
pong=$!
trap 'kill $pong 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
  upid=$(grep -o 'pong@[0-9.]*:[0-9]*' "$out" || true)
  [ -n "$upid" ] && break
  kill -0 $pong 2>/dev/null || { echo "pong exited early" >&2; exit 1; }
  sleep 0.1
done
[ -n "$upid" ] || { echo "pong did not start" >&2; exit 1; }
echo "pong is $upid"
"$bin/ping" --to "$upid" --count "${COUNT:-100000}" --size "${SIZE:-64}" "$@"

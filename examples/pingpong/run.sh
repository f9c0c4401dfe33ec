#!/usr/bin/env bash
# Runs the pingpong pair on 127.0.0.1: starts `pong` on a free port, reads
# the UPID it prints (waiting at most 10 s), runs `ping` against it, then
# stops `pong`.
# Usage: run.sh BUILD_DIR [ping options...]   (COUNT and SIZE in the environment)
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [ping options]}
shift
bin="$build/examples/pingpong"
coproc PONG { exec "$bin/pong" --ip 127.0.0.1 --port 0; }
pong=$PONG_PID
trap 'kill $pong 2>/dev/null || true' EXIT
if ! read -r -t 10 upid <&"${PONG[0]}" || [[ $upid != pong@* ]]; then
  echo "pong did not start" >&2
  exit 1
fi
echo "pong is $upid"
"$bin/ping" --to "$upid" --count "${COUNT:-100000}" --size "${SIZE:-64}" "$@"

#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds cproc and runs the pingpong example:
# a `pong` node and a `ping` node exchanging protobuf messages over TCP.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
[ -f build/build.ninja ] || meson setup build -Dbuildtype=release -Dtests=false >/dev/null
ninja -C build >/dev/null
exec ./examples/pingpong/run.sh build

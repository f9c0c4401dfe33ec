#!/usr/bin/env bash
# Sets up a fresh Debian machine and runs the whole test suite twice: under
# AddressSanitizer+UndefinedBehaviorSanitizer and under ThreadSanitizer; then
# a bounded pass of scripts/stress.sh (the concurrency suites again with every
# core busy; CI_STRESS_ROUNDS rounds, default 3) and a bounded fuzzing run.
# Exits non-zero on any failing test or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

jobs=$(nproc)
run_suite() {
  local dir=$1 sanitize=$2
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" -Db_sanitize="$sanitize" -Db_lundef=false \
      -Dwerror=true -Dbuildtype=debugoptimized >/dev/null
  fi
  ninja -C "$dir" -j "$jobs" >/dev/null
  meson test -C "$dir" --num-processes "$jobs" --print-errorlogs --timeout-multiplier 3 "${@:3}"
}

echo "== ASan+UBSan =="
run_suite build-asan address,undefined
echo "== TSan =="
run_suite build-tsan thread --no-suite fuzz
echo "== stress (bounded) =="
./scripts/stress.sh "${CI_STRESS_ROUNDS:-3}"
echo "== fuzz (bounded) =="
./scripts/fuzz.sh

#!/usr/bin/env bash
# Sets up a fresh Debian machine and runs the whole test suite twice: under
# AddressSanitizer+UndefinedBehaviorSanitizer and under ThreadSanitizer.
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
echo "== fuzz (bounded) =="
./scripts/fuzz.sh

#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded time
# (default 30 s each; FUZZ_SECONDS overrides), starting from the checked-in
# corpus. Exits non-zero if a target finds a crash, a leak or a hang.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
dir=build-fuzz
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang meson setup "$dir" -Dfuzz=true -Dtests=true -Db_lundef=false -Db_sanitize=address,undefined \
    -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C "$dir" >/dev/null
status=0
for target in "$dir"/tests/fuzz/fuzz_*; do
  [ -f "$target" ] && [ -x "$target" ] || continue
  name=$(basename "$target")
  case "$name" in *_replay | *.p) continue ;; esac
  corpus=tests/fuzz/corpus/${name#fuzz_}
  seeds=()
  # Debian's well-known .proto files seed the IDL fuzzer (read in place,
  # not copied into the repository).
  [ "$name" = fuzz_idl ] && [ -d /usr/include/google/protobuf ] && seeds+=(/usr/include/google/protobuf)
  work=$(mktemp -d)
  echo "fuzz: $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$work/" -print_final_stats=0 "$work" "$corpus" "${seeds[@]}" \
       >"$work/log" 2>&1; then
    echo "fuzz: $name FAILED; last lines of its log:"
    tail -40 "$work/log"
    ls "$work" | grep -E '^(crash|leak|timeout|oom)-' || true
    status=1
  fi
  rm -rf "$work"
done
exit $status

#!/usr/bin/env bash
# Runs the concurrency suites again and again while CPU hogs keep every core
# busy, first under ThreadSanitizer, then under AddressSanitizer+UBSan: a
# race that shows only on a loaded machine turns this red instead of hiding.
#
#   scripts/stress.sh [ROUNDS]     (default 20; STRESS_ROUNDS also sets it)
#
# Uses build-tsan and build-asan (set up as scripts/test.sh does when they
# are missing). Exits non-zero at the first failing run or sanitizer report,
# after printing its log. The hogs end with the script, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${STRESS_ROUNDS:-20}}

# The suites in which threads meet: futures across threads, processes,
# dispatch, the scheduler, the loop and clock, the async toolkit and
# metrics, remote nodes, TLS, the transport's bounds and its stop, calls,
# and generated actors called from another node.
suites=(test_future_threads test_future test_process test_dispatch test_loop test_clock test_sched test_loop_turns
        test_collect test_queue test_mutex test_sequence test_pipe test_subprocess test_mailbox test_mailbox_queue
        test_metrics test_peer_metrics test_tls test_node_safety test_limits test_backpressure test_reply_resend test_remote test_tls_nodes test_calls
        test_kv_cluster test_remote_rpc test_bounded_actor test_loop_turns_actor)

hogs=()
stop_hogs() {
  for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_hogs EXIT
for _ in $(seq "$(nproc)"); do
  # A shell that spins: no I/O, one full core each, ended by the trap.
  bash -c 'while :; do :; done' &
  hogs+=($!)
done

setup() {
  local dir=$1 sanitize=$2
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" -Db_sanitize="$sanitize" -Db_lundef=false \
      -Dwerror=true -Dbuildtype=debugoptimized >/dev/null
  fi
  ninja -C "$dir" >/dev/null
}

stress() {
  local dir=$1 sanitize=$2
  setup "$dir" "$sanitize"
  echo "stress: $rounds rounds of ${#suites[@]} suites under $sanitize, $(nproc) cores busy"
  local log
  log=$(mktemp)
  for round in $(seq "$rounds"); do
    # Suites run one at a time so each meets the hogs, not the others.
    if ! meson test -C "$dir" --no-rebuild --num-processes 1 --timeout-multiplier 5 \
         "${suites[@]}" >"$log" 2>&1; then
      echo "stress: round $round under $sanitize FAILED"
      grep -E '^ *[0-9]+/[0-9]+ ' "$log" || true
      echo "--- the failing tests' logs ---"
      # Each failing test's own section of meson's log, from its "test:"
      # line to the rule that ends it.
      grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT) ' "$log" | awk '{print $4}' | sort -u |
        while read -r name; do
          awk -v t="$name" '$1 == "test:" { on = ($NF == t) } on { print } on && /^={78}$/ { on = 0 }' \
            "$dir/meson-logs/testlog.txt" | head -150
        done || true
      rm -f "$log"
      exit 1
    fi
    echo "stress: round $round/$rounds under $sanitize ok"
  done
  rm -f "$log"
}

stress build-tsan thread
stress build-asan address,undefined
echo "stress: $rounds rounds clean under thread and address,undefined"

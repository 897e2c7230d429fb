#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 300), two at a time (the machine's two cores),
# starting from the committed seeds; prints libFuzzer's last status line for each (executions,
# cov, ft, corpus) and fails if any target found a crash. Needs the nightly toolchain and
# cargo-fuzz (installed from crates.io when absent).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-300}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
targets=(session_token token_request finra_response emulator_query)
# One build for every target (cargo fuzz build with no target builds them all).
cargo +nightly fuzz build >/dev/null
mkdir -p logs
run() {
  local target=$1
  mkdir -p "corpus/$target"
  cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 >"logs/$target.log" 2>&1
}
failed=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for target in "${targets[@]:i:2}"; do
    run "$target" & pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
done
for target in "${targets[@]}"; do
  line=$(grep -E '^#[0-9]+' "logs/$target.log" | tail -1 || true)
  runs=$(grep -E 'stat::number_of_executed_units' "logs/$target.log" | awk '{print $2}' || true)
  echo "$target: ${runs:-?} executions; last status: ${line:-none}"
done
exit "$failed"

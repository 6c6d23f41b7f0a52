#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, in build-fuzz) and runs each for SECONDS seconds, then
# prints per target: executions, coverage (cov: edges, ft: features), corpus size and crashes.
# Exits nonzero if any target crashed; the input that did it is in build-fuzz/crashes/<target>/.
#   bash tests/fuzz/run.sh 60                    # every target, 60 s each
#   bash tests/fuzz/run.sh 600 fuzz_ir_run       # one target
#   KILN_FUZZ_JOBS=2 bash tests/fuzz/run.sh 60   # two targets at a time (default 1)
# The corpus each target grows is kept in build-fuzz/corpus/<target>/, so a second run starts
# where the first stopped. Seeds and dictionaries are remade from the repository each time
# (tests/fuzz/make_seeds.py). tests/fuzz/README.md says what each target does.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

seconds=${1:?usage: tests/fuzz/run.sh SECONDS [target...]}
shift
targets=("$@")
if (( ${#targets[@]} == 0 )); then
  targets=(fuzz_graphdef fuzz_graphdef_text fuzz_saved_model fuzz_bundle fuzz_npy fuzz_ir_run)
fi
jobs=${KILN_FUZZ_JOBS:-1}
build=build-fuzz

run() {
  echo "+ $*"
  "$@"
}

run bash examples/setup.sh --fuzz  # clang and libFuzzer, with the build's packages
# oneDNN stays out, as in the sanitizer builds: its OpenMP runtime is not instrumented, and the
# targets run the reference backend.
run cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DKILN_FUZZ=ON -DKILN_BUILD_TESTS=OFF \
  -DKILN_WITH_ONEDNN=OFF -DKILN_CUDA=OFF -DKILN_BUILD_EXAMPLES=OFF -DKILN_BUILD_BENCH=OFF \
  -DKILN_INSTALL=OFF -DKILN_WARNINGS=ON
start=$(date +%s)
run cmake --build "$build" -j2 --target kiln_fuzzers
echo "fuzz: build took $(( $(date +%s) - start )) s"
run python3 tests/fuzz/make_seeds.py "$build/seeds"

# One target: runs it, leaves its log in $build/logs/<target>.log.
fuzz_one() {
  local target=$1 name=${1#fuzz_}
  local corpus=$build/corpus/$target crashes=$build/crashes/$target log=$build/logs/$target.log
  mkdir -p "$corpus" "$crashes" "$build/logs"
  # -timeout: an input that runs 30 s is a hang. -rss_limit_mb also caps any one allocation
  # (-malloc_limit_mb defaults to it): the targets' budgets are far below it, so an allocation
  # that reaches it was sized by the input without a check.
  local status=0
  nice "$build/bin/$target" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
    -dict="$build/seeds/$name.dict" -artifact_prefix="$crashes/" -print_final_stats=1 \
    "$corpus" "$build/seeds/$name" >"$log" 2>&1 || status=$?
  echo "$status" >"$build/logs/$target.status"
}

echo "fuzz: ${#targets[@]} targets, $seconds s each, $jobs at a time"
running=0
for target in "${targets[@]}"; do
  rm -f "$build/logs/$target.status"
  fuzz_one "$target" &
  running=$((running + 1))
  if (( running >= jobs )); then
    wait -n
    running=$((running - 1))
  fi
done
wait

# The summary: libFuzzer's final statistics and its last status line (cov, ft, corpus).
failed=0
printf '\n%-20s %12s %8s %7s %7s %8s %s\n' target execs exec/s cov ft corpus crashes
for target in "${targets[@]}"; do
  log=$build/logs/$target.log
  status=$(cat "$build/logs/$target.status" 2>/dev/null || echo 1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  # (libFuzzer also saves slow-unit-* inputs there: slow, not wrong, so not counted.)
  crashes=$(find "$build/crashes/$target" -type f -newer "$build/seeds" \( -name 'crash-*' \
    -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  verdict=$crashes
  if [[ $status != 0 ]]; then
    failed=1
    verdict="$crashes (exit $status; see $log)"
  fi
  printf '%-20s %12s %8s %7s %7s %8s %s\n' "$target" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "${ft:-?}" "${corpus:-?}" "$verdict"
done
if (( failed )); then
  echo "fuzz: a target crashed; reproduce with $build/bin/<target> <input>" >&2
  for target in "${targets[@]}"; do
    grep -hE '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$build/logs/$target.log" | head -3 || true
  done
fi
exit "$failed"

#!/usr/bin/env bash
# The sanitizer pass CI runs after the test suite: the readers' tests (everything that opens a
# file: SavedModels, frozen graphs, checkpoint bundles, .npy, the text IR) and the out-of-memory
# tests (every allocation of a compile and a run failing in turn) under AddressSanitizer with
# UndefinedBehaviorSanitizer and LeakSanitizer, and the concurrency stress test under
# ThreadSanitizer. Any report stops the program that caused it, so any finding fails the run.
#   bash tests/sanitizers.sh            # both (about 20 minutes on 2 cores, builds included)
#   bash tests/sanitizers.sh address    # or: thread
# oneDNN stays out of these builds: its OpenMP runtime is not instrumented, and the readers and
# the sessions are Kiln's own code on any backend. So does the CUDA backend (nvcc's device code
# takes no host sanitizer flags, and nothing here runs on a GPU). The full suite runs under ASan+UBSan with
#   cmake -S . -B build-asan -DKILN_SANITIZE="address;undefined" && cmake --build build-asan -j2
#   ctest --test-dir build-asan
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

run() {
  echo "+ $*"
  "$@"
}

which=${1:-all}
common=(-DKILN_WITH_ONEDNN=OFF -DKILN_CUDA=OFF -DKILN_BUILD_EXAMPLES=OFF -DKILN_BUILD_BENCH=OFF -DKILN_INSTALL=OFF
        -DKILN_WARNINGS=ON)

if [[ $which == all || $which == address ]]; then
  run cmake -S . -B build-asan "-DKILN_SANITIZE=address;undefined" "${common[@]}"
  run cmake --build build-asan -j2 --target kiln_importer_tests kiln_memory_tests
  export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
  run build-asan/bin/kiln_importer_tests
  run build-asan/bin/kiln_memory_tests
fi
if [[ $which == all || $which == thread ]]; then
  run cmake -S . -B build-tsan -DKILN_SANITIZE=thread "${common[@]}"
  run cmake --build build-tsan -j2 --target kiln_optimizer_tests
  TSAN_OPTIONS=halt_on_error=1 run build-tsan/bin/kiln_optimizer_tests "[stress]"
fi

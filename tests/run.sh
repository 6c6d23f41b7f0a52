#!/usr/bin/env bash
# Sets up, builds and runs all of Kiln's tests: the README's second quick-start command, and
# exactly what CI runs. Warnings are errors in Kiln's own code. Tests run two at a time (each
# test case is its own process). Arguments go to ctest, e.g.
#   bash tests/run.sh -L package        bash tests/run.sh -R npy
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

run() {
  echo "+ $*"
  "$@"
}
run bash examples/setup.sh --tests  # the build's packages, and Chromium for the browser test
run cmake -S . -B build -DKILN_WARNINGS=ON
run cmake --build build -j2
run ctest --test-dir build --output-on-failure --parallel 2 "$@"

#!/usr/bin/env bash
# Sets up, builds and runs Kiln's main job: the README's first quick-start command. It loads a
# bundled TensorFlow SavedModel (a small CNN trained on 8x8 handwritten digits) without
# TensorFlow, classifies 360 bundled test digits, and prints Kiln's accuracy beside TensorFlow's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

run() {
  echo "+ $*"
  "$@"
}
run bash examples/setup.sh
run cmake -S . -B build
run cmake --build build -j2 --target classify_digits kiln_cli
run build/bin/classify_digits tests/fixtures/models/digits_cnn

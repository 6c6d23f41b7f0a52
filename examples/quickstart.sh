#!/usr/bin/env bash
# Sets up, builds and runs Kiln's main job: the README's first quick-start command. For now that
# is examples/hello_graph.cpp (a graph built by hand, printed and run eagerly); once the importer
# lands it will be a bundled SavedModel.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

run() {
  echo "+ $*"
  "$@"
}
run bash examples/setup.sh
run cmake -S . -B build
run cmake --build build -j2 --target hello_graph
run build/bin/hello_graph

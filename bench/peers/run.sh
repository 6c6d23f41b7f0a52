#!/usr/bin/env bash
# Kiln beside TensorFlow, ONNX Runtime and OpenVINO, from a fresh clone, in one command:
#   bash bench/peers/run.sh                 # everything (about 85 minutes on a quiet 2-core machine)
#   bash bench/peers/run.sh --quick         # one configuration, 2 short processes per engine
# Arguments go to compare_peers.py (see --help). Not part of CI.
#
# Makes (or reuses) a venv with the pinned peers, builds the kiln tool if build/bin/kiln is
# missing, exports the models on first use and writes bench/RESULTS.md, bench/RESULTS.json (every
# timed process's summary) and bench/peers/latency.svg.
#   KILN_BENCH_VENV  the venv (default ~/.cache/kiln/bench-venv)
#   KILN_BENCH_WORK  exports, inputs and outputs (default ~/.cache/kiln/bench-work)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv=${KILN_BENCH_VENV:-$HOME/.cache/kiln/bench-venv}
python=${PYTHON:-python3}

as_root() {
  if (( EUID == 0 )); then "$@"; else sudo "$@"; fi
}

if [[ ! -x "$venv/bin/python" ]]; then
  if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    echo "run.sh: $python has no venv module; installing python3-venv"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3-venv
  fi
  echo "run.sh: creating the venv $venv"
  "$python" -m venv "$venv"
fi

# Install only when the pins changed since the last install into this venv. keras-hub (the
# standard BERT) goes in without its declared dependencies: see requirements-nodeps.txt.
stamp="$venv/.kiln-peers-requirements"
pins=$(cat "$here/requirements.txt" "$here/requirements-nodeps.txt")
if [[ "$pins" != "$(cat "$stamp" 2>/dev/null)" ]]; then
  echo "run.sh: installing the peers into $venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
  "$venv/bin/python" -m pip install --quiet --no-deps -r "$here/requirements-nodeps.txt"
  printf '%s\n' "$pins" > "$stamp"
fi

if [[ ! -x "$repo/build/bin/kiln" ]]; then
  echo "run.sh: building the kiln tool"
  bash "$repo/examples/setup.sh"
  cmake -S "$repo" -B "$repo/build"
  cmake --build "$repo/build" --target kiln_cli -j2
fi

cd "$repo"
exec "$venv/bin/python" "$here/compare_peers.py" "$@"

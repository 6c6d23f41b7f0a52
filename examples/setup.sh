#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing Kiln needs. Both commands of the
# README's quick start and CI run it first. Packages already present are not asked for again,
# so a second run makes no apt-get call at all. `--tests` adds what only the tests need, `--fuzz`
# what the fuzz targets need (both may be given).
set -euo pipefail

packages=(
  build-essential cmake pkg-config  # compiler, build, pkg-config for the kiln.pc check
  catch2                            # tests
  libprotobuf-dev protobuf-compiler libsnappy-dev  # SavedModel importer
  libdnnl-dev libeigen3-dev         # CPU backend
  ocl-icd-opencl-dev                # Debian's dnnl-config.cmake asks for OpenCL; a recommend only
  libcli11-dev nlohmann-json3-dev   # the kiln tool's flags and JSON
  libbenchmark-dev                  # benchmarks
  python3 graphviz                  # fixture scripts, DOT pictures of graphs
)

# `--tests`: also what only the tests need: headless Chromium for the report page's browser test
# (tests/browser/). tests/run.sh asks for it; the quick start does not.
# `--fuzz`: clang and its runtime libraries (libFuzzer, ASan, UBSan) for tests/fuzz/run.sh.
for flag in "$@"; do
  case "$flag" in
    --tests) packages+=(chromium) ;;
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    *) echo "setup: unknown flag $flag (known: --tests, --fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done

if (( ${#missing[@]} == 0 )); then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

# Root runs apt-get directly (a fresh container has no sudo); anyone else goes through sudo.
as_root=(env DEBIAN_FRONTEND=noninteractive)
if (( EUID != 0 )); then
  as_root=(sudo "${as_root[@]}")
fi
run() {
  echo "+ $*"
  "$@"
}
echo "setup: installing ${missing[*]}"
run "${as_root[@]}" apt-get update
run "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Proves the README's quick start on a machine where nothing is preinstalled: makes a minimal
# Debian 12 root with mmdebstrap, clones this repository's committed HEAD into it (no ../shared
# beside it), and runs both README commands there as root. Not part of CI: it needs root,
# network access to Debian's mirrors, and about half an hour on 2 cores.
#
#   bash tests/clean_machine.sh            # a fresh root in a temporary folder, removed after
#   bash tests/clean_machine.sh --keep DIR # build the root in DIR and keep it for a look inside
#
# The host needs mmdebstrap and git (apt-get install mmdebstrap git).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

keep=""
if [[ "${1:-}" == "--keep" ]]; then
  keep="${2:?--keep takes a folder}"
fi
root="${keep:-$(mktemp -d)}"
if [[ -e "$root/etc" ]]; then
  echo "clean_machine: $root already holds a root; give an empty or new folder" >&2
  exit 2
fi

mounted=()
cleanup() {
  for (( i = ${#mounted[@]} - 1; i >= 0; i-- )); do umount -l "${mounted[i]}" || true; done
  [[ -n "$keep" ]] || rm -rf --one-file-system "$root"
}
trap cleanup EXIT

step() { printf '\n== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

step "minimal Debian 12 root in $root"
mmdebstrap --variant=minbase --mode=root bookworm "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
for fs in proc sys dev dev/pts; do
  mkdir -p "$root/$fs"
  mount --bind "/$fs" "$root/$fs"
  mounted+=("$root/$fs")
done

step "fresh clone of $(git -C "$repo" rev-parse --short HEAD)"
git clone --quiet --no-local "$repo" "$root/root/kiln"

status=0
for command in "bash examples/quickstart.sh" "bash tests/run.sh"; do
  step "$command"
  start=$SECONDS
  if chroot "$root" env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
       bash -c "cd /root/kiln && $command"; then
    echo "clean_machine: '$command' passed in $(( SECONDS - start )) s"
  else
    echo "clean_machine: '$command' FAILED after $(( SECONDS - start )) s"
    status=1
  fi
done
exit "$status"

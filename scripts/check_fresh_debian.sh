#!/usr/bin/env bash
# Runs the README's two commands on a fresh, minimal Debian 12 as a newcomer's machine would be:
# debootstrap --variant=minbase bookworm into a scratch root (nothing else installed, no package
# lists), the committed tree (git archive HEAD) copied in, then scripts/quickstart.sh and
# scripts/test.sh in a chroot with a clean environment. Catches install steps that this machine's
# preinstalled packages hide. Run as root whenever the install steps change; not part of CI.
#
#   scripts/check_fresh_debian.sh [ROOT_DIR]     # default: a new folder under /var/tmp
#
# The quickstart run is the README's default config shortened to one trial of 50 steps, so the
# check measures setup, not learning. Env: MBRL_FRESH_MIRROR (default http://deb.debian.org/debian),
# MBRL_FRESH_TEST_LABELS (ctest labels for test.sh, default: all), MBRL_FRESH_KEEP=1 keeps the root.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "check_fresh_debian: run as root (debootstrap, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
}

root=${1:-$(mktemp -d /var/tmp/mbrl-fresh.XXXXXX)}
mirror=${MBRL_FRESH_MIRROR:-http://deb.debian.org/debian}
start=$(date +%s)
mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -R -l "${mounted[i]}" 2>/dev/null || true; done
  [ "${MBRL_FRESH_KEEP:-0}" = 1 ] && return
  # never delete through a mount that is still attached (the host's /dev, /proc, /sys)
  if grep -q " $root/" /proc/mounts; then
    echo "check_fresh_debian: $root still has mounts; left in place" >&2
    return
  fi
  rm -rf --one-file-system "$root" "$root.debootstrap.log"
}
trap cleanup EXIT

echo "check_fresh_debian: debootstrap minbase bookworm into $root"
debootstrap --variant=minbase bookworm "$root" "$mirror" > "$root.debootstrap.log" 2>&1 ||
  { tail -20 "$root.debootstrap.log"; exit 1; }
rm -rf "$root"/var/lib/apt/lists/*  # a newcomer's machine has no package lists yet
cp /etc/resolv.conf "$root/etc/resolv.conf"
echo "deb $mirror bookworm main" > "$root/etc/apt/sources.list"
for fs in proc sys dev; do
  mount --rbind "/$fs" "$root/$fs"
  mounted+=("$root/$fs")
done

echo "check_fresh_debian: copying the committed tree (HEAD $(git rev-parse --short HEAD))"
mkdir -p "$root/src/mbrl"
git archive HEAD | tar -x -C "$root/src/mbrl"

in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    MBRL_TEST_LABELS="${MBRL_FRESH_TEST_LABELS:-}" /bin/bash -c "cd /src/mbrl && $1"
}
t0=$(date +%s)
# the README's first command, its run shortened to one trial of 50 steps (flags after the config)
in_root "scripts/quickstart.sh configs/pets/cartpole_quick.yaml --set algorithm.num_trials=1 \
  --set env.max_episode_steps=50 --run-dir /tmp/quick-run > /tmp/quickstart.log 2>&1 &&
  test -f /tmp/quick-run/metrics.csv" ||
  { echo "check_fresh_debian: quickstart FAILED"; tail -30 "$root/tmp/quickstart.log"; exit 1; }
t1=$(date +%s)
echo "check_fresh_debian: quickstart (deps, library + CLI build, a shortened default run): $((t1 - t0)) s"
in_root "scripts/test.sh > /tmp/test.log 2>&1" ||
  { echo "check_fresh_debian: test.sh FAILED"; tail -40 "$root/tmp/test.log"; exit 1; }
t2=$(date +%s)
grep -E "tests passed|tests failed" "$root/tmp/test.log" || true
echo "check_fresh_debian: test.sh (full build, ctest): $((t2 - t1)) s"
echo "check_fresh_debian: OK in $(($(date +%s) - start)) s (debootstrap $((t0 - start)) s)"

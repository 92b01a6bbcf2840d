#!/usr/bin/env bash
# The README's second command: install dependencies, build, and run the whole test suite.
# Set MBRL_TEST_LABELS to a ctest label regex (e.g. "unit") to run a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh -DMBRL_BUILD_TESTS=ON
build_dir=${MBRL_BUILD_DIR:-build}
label_args=()
[ -n "${MBRL_TEST_LABELS:-}" ] && label_args=(-L "$MBRL_TEST_LABELS")
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "${label_args[@]}"

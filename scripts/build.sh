#!/usr/bin/env bash
# Configures and builds mbrl into build/ (Release). Extra arguments go to the CMake configure step,
# e.g. scripts/build.sh -DCMAKE_PREFIX_PATH=/path/to/libtorch for a CUDA LibTorch 2.x.
# MBRL_BUILD_TARGET=<target> builds that target (and what it needs) only, e.g. mbrl_cli.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${MBRL_BUILD_DIR:-build}
jobs=${MBRL_JOBS:-$(nproc)}
generator=()
command -v ninja >/dev/null && [ ! -f "$build_dir/CMakeCache.txt" ] && generator=(-G Ninja)
cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
target=()
[ -n "${MBRL_BUILD_TARGET:-}" ] && target=(--target "$MBRL_BUILD_TARGET")
cmake --build "$build_dir" -j "$jobs" "${target[@]}"

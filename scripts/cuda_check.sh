#!/usr/bin/env bash
# Builds mbrl against the CUDA LibTorch of a PyTorch install and runs the unit tests (the *_CUDA
# ones included), the GPU benchmarks and optionally PETS runs on the GPU, writing every log and
# figure to OUT_DIR. For a GPU machine without Debian's packages: put the .deb files of the other
# dependencies (scripts/fetch_debs.sh) in MBRL_DEB_DIR; they are unpacked into a private prefix.
#
#   scripts/cuda_check.sh OUT_DIR [PETS_CONFIG] [SEEDS] [KEY=VALUE]
#
# With KEY=VALUE, each seed also runs a variant of PETS_CONFIG with that --set override.
# Environment: MBRL_DEB_DIR (default .device/debs), MBRL_DEADLINE_S (seconds from start after
# which the PETS runs are stopped; default 540), MBRL_JOBS (default nproc).
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:?usage: scripts/cuda_check.sh OUT_DIR [PETS_CONFIG] [SEEDS]}")
pets_config=${2:-}
seeds=${3:-"0 1 2 3 4"}
variant=${4:-}
deadline=$((SECONDS + ${MBRL_DEADLINE_S:-540}))
jobs=${MBRL_JOBS:-$(nproc)}
mkdir -p "$out"
log() { echo "[cuda_check $(date -u +%T)] $*" | tee -a "$out/summary.txt"; }

# 1. dependencies: unpack the .deb files into .device/prefix (no root, no network needed)
prefix=$PWD/.device/prefix
deb_dir=${MBRL_DEB_DIR:-.device/debs}
prefix_paths=""
extra_flags=""
if compgen -G "$deb_dir/*.deb" >/dev/null; then
  mkdir -p "$prefix"
  for deb in "$deb_dir"/*.deb; do
    if command -v dpkg-deb >/dev/null; then
      dpkg-deb -x "$deb" "$prefix"
    else  # a .deb is an ar archive holding data.tar.*
      tmp=$(mktemp -d) && (cd "$tmp" && ar x "$(realpath "$OLDPWD/$deb")" &&
        tar -xf data.tar.* -C "$prefix") && rm -rf "$tmp"
    fi
  done
  # Debian's MuJoCo config names /usr/include/libqhull_r absolutely and asks for OpenGL (only
  # its viewer needs it; mbrl renders nothing)
  sed -i '/find_dependency(OpenGL)/d' "$prefix"/usr/lib/x86_64-linux-gnu/cmake/mujoco/mujocoConfig.cmake
  sed -i "s#/usr/include/libqhull_r#$prefix/usr/include/libqhull_r#" \
    "$prefix"/usr/lib/x86_64-linux-gnu/cmake/mujoco/mujocoTargets.cmake
  prefix_paths=";$prefix/usr"
  # spdlog 1.10 needs its fmt 9, not the fmt LibTorch bundles: a -I dir of its own (GCC ignores
  # -I for a dir that is also -isystem) is searched before LibTorch's -isystem dirs
  mkdir -p "$prefix/fmt-include" && ln -sfn ../usr/include/fmt "$prefix/fmt-include/fmt"
  extra_flags="-I$prefix/fmt-include"
  export LD_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
  log "unpacked $(ls "$deb_dir"/*.deb | wc -l) packages into $prefix"
fi

# 2. configure and build against the PyTorch install's LibTorch
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
torch_version=$(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)')
torch_include=$(dirname "$torch_prefix")/../include
std=17
echo '#include <c10/macros/Macros.h>' | ${CXX:-c++} -std=c++17 -fsyntax-only -x c++ \
  -I"$torch_include" - 2>/dev/null || std=20
log "LibTorch $torch_version at $torch_prefix; C++$std; $(nvidia-smi -L 2>/dev/null | head -1)"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
build=build-cuda
start=$SECONDS
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_STANDARD=$std -DCMAKE_CXX_FLAGS="$extra_flags" \
  -DCMAKE_PREFIX_PATH="$torch_prefix$prefix_paths" -DMBRL_BUILD_BENCHMARKS=ON \
  >"$out/configure.log" 2>&1 || { log "configure failed"; tail -30 "$out/configure.log"; exit 1; }
cmake --build "$build" -j "$jobs" >"$out/build.log" 2>&1 ||
  { log "build failed"; grep -m 20 -B2 -A6 'error' "$out/build.log"; exit 1; }
log "built in $((SECONDS - start)) s"

# 3. GPU benchmarks, then the PETS runs in the background while the unit tests run
"$build"/benchmarks/mbrl_benchmarks --benchmark_filter='CUDA' --benchmark_min_time=0.5 \
  --benchmark_out="$out/cuda_benchmarks.json" >"$out/cuda_benchmarks.txt" 2>&1
log "benchmarks done"; cat "$out/cuda_benchmarks.txt"
pids=()
if [ -n "$pets_config" ]; then
  for s in $seeds; do
    OMP_NUM_THREADS=2 timeout $((deadline - SECONDS)) "$build"/apps/mbrl train "$pets_config" \
      --device cuda --seed "$s" --run-dir "$out/pets_s$s" >"$out/pets_s$s.log" 2>&1 &
    pids+=($!)
    if [ -n "$variant" ]; then
      OMP_NUM_THREADS=2 timeout $((deadline - SECONDS)) "$build"/apps/mbrl train "$pets_config" \
        --device cuda --seed "$s" --set "$variant" --run-dir "$out/pets_variant_s$s" \
        >"$out/pets_variant_s$s.log" 2>&1 &
      pids+=($!)
    fi
  done
  log "started PETS $pets_config on seeds $seeds"
fi
start=$SECONDS
ctest --test-dir "$build" -LE slow -j 8 --output-on-failure >"$out/ctest.log" 2>&1
log "ctest exit $? in $((SECONDS - start)) s: $(grep -E 'tests passed|tests failed' "$out/ctest.log")"
grep -E '_CUDA' "$out/ctest.log" | grep -E 'Passed|Failed|Skipped' | sed 's/ \.\.\.*/ /' >>"$out/summary.txt"
for p in "${pids[@]}"; do wait "$p"; done
log "done"

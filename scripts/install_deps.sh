#!/usr/bin/env bash
# Installs every build and runtime dependency of mbrl from Debian 12's archive.
# Idempotent: packages already present are left as they are. Run as root (or with sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev            # LibTorch 1.13 (CPU)
  libgloo-dev             # the <gloo/...> headers of LibTorch's c10d Gloo backend (data parallelism)
  libopenblas0-openmp     # without it LibTorch's matrix work falls back to the ~12x slower reference BLAS
  libmujoco-dev libqhull-dev  # Debian's mujocoConfig.cmake names /usr/include/libqhull_r
  libgl-dev libglx-dev libopengl-dev  # ... and calls find_dependency(OpenGL): GL/gl.h, GLX, OpenGL
  libeigen3-dev libspdlog-dev libyaml-cpp-dev libcli11-dev
  libprotobuf-dev protobuf-compiler  # TensorBoard event files (src/log/tensorboard_event.proto)
  gnuplot-nox             # curves.png of every run and `mbrl plot`
  libhdf5-dev             # D4RL datasets (src/io/d4rl_dataset.cc), through the HDF5 C API
  python3-h5py            # tests only: D4RL files written by h5py, as D4RL's own were
  libgtest-dev libgmock-dev libbenchmark-dev
  slurmctld slurmd slurm-client munge  # `mbrl sweep --backend slurm` and its test, on a private
                                       # one-node cluster (scripts/local_slurm.sh)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install_deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

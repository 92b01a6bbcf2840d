#!/usr/bin/env bash
# Downloads the .deb files of mbrl's non-LibTorch dependencies into DIR (default .device/debs), for
# a GPU machine without Debian's archive: scripts/cuda_check.sh unpacks them into a private prefix.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.device/debs}
mkdir -p "$dir"
cd "$dir"
apt-get download libyaml-cpp-dev libyaml-cpp0.7 libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 \
  libcli11-dev libgtest-dev libbenchmark-dev libbenchmark1debian libmujoco-dev libmujoco2.2.2 \
  libgmock-dev libccd2 liblodepng0 libqhull-r8.0 libqhull-dev libtinyxml2-9

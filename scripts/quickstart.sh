#!/usr/bin/env bash
# The README's first command: install dependencies, build, and run the default config.
# Builds the library and the mbrl command only (tests and benchmarks are scripts/test.sh's).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
MBRL_BUILD_TARGET=mbrl_cli scripts/build.sh
# scripts/quickstart.sh [CONFIG [mbrl train flags...]], e.g. --set algorithm.num_trials=2
config=${1:-configs/pets/cartpole_quick.yaml}
[ -f "$config" ] || config=configs/random/cartpole.yaml
exec build/apps/mbrl train "$config" "${@:2}"

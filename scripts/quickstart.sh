#!/usr/bin/env bash
# The README's first command: install dependencies, build, and run the default config.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
config=${1:-configs/pets/cartpole_quick.yaml}
[ -f "$config" ] || config=configs/random/cartpole.yaml
exec build/apps/mbrl train "$config"

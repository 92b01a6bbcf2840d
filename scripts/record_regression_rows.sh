#!/usr/bin/env bash
# Records the reference rows of the regression test (tests/algorithms/regression_test.cc): runs
# every case of tests/testdata/regression/cases.txt with build/apps/mbrl and stores each CSV of
# the run folder, wall-time columns (*_s, *_ms) removed, as tests/testdata/regression/SET/NAME/FILE
# for each set rows/<kernels>, with the kernels its file rows/<kernels>/environment names
# (e.g. OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2): one machine whose CPU runs every
# kernel set (AVX-512) records them all.
# Usage: scripts/record_regression_rows.sh            every set
#        scripts/record_regression_rows.sh rows/NAME  one set (a new one: write its environment)
# Only for a deliberate change of results, committed on its own with the reason; never to make a
# refactor pass.
set -euo pipefail
cd "$(dirname "$0")/.."
mbrl=${MBRL_BIN:-build/apps/mbrl}
cases=tests/testdata/regression/cases.txt
root=tests/testdata/regression
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# drops the columns whose header ends in _s or _ms
strip_times() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) keep[i] = ($i !~ /_m?s$/) }
           { row = ""; for (i = 1; i <= NF; i++) if (keep[i]) row = row $i ","; print row }' "$1"
}

record_set() {
  local set=$1 data=$root/$1
  [ -f "$data/environment" ] || { echo "$data/environment: missing (the kernels' variables)"; exit 2; }
  local -a kernel_env
  read -r -a kernel_env < "$data/environment"
  grep -v '^#' "$cases" | while read -r name config overrides; do
    [ -n "$name" ] || continue
    args=()
    for o in $overrides; do args+=(--set "$o"); done
    env "${kernel_env[@]}" "$mbrl" train "$config" "${args[@]}" --run-dir "$scratch/$set/$name" \
      > "$scratch/$name.log" 2>&1 || { cat "$scratch/$name.log"; exit 1; }
    grep -q "OpenBLAS .* kernels" "$scratch/$name.log" ||
      { echo "$name: the run log names no OpenBLAS kernels"; exit 1; }
    rm -rf "${data:?}/$name"
    mkdir -p "$data/$name"
    for csv in "$scratch/$set/$name"/*.csv; do
      strip_times "$csv" > "$data/$name/$(basename "$csv")"
    done
    echo "recorded $set/$name ($(grep -o 'OpenBLAS [A-Za-z]* kernels' "$scratch/$name.log")): $(ls "$data/$name" | tr '\n' ' ')"
  done
}

if [ $# -gt 0 ]; then
  record_set "$1"
else
  for dir in "$root"/rows/*/; do record_set "rows/$(basename "$dir")"; done
fi

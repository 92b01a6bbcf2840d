#!/usr/bin/env bash
# Records the reference rows of the regression test (tests/algorithms/regression_test.cc): runs
# every case of tests/testdata/regression/cases.txt with build/apps/mbrl and stores each CSV of
# the run folder, wall-time columns (*_s, *_ms) removed, as tests/testdata/regression/SET/NAME/FILE,
# SET being this machine's set (e.g. rows/intel_xeon_avx512; tests/testdata/regression/README.md).
# Usage: scripts/record_regression_rows.sh rows/<machine>   (then write rows/<machine>/recorded_on.txt)
# Only for a deliberate change of results, committed on its own with the reason; never to make a
# refactor pass.
set -euo pipefail
cd "$(dirname "$0")/.."
mbrl=${MBRL_BIN:-build/apps/mbrl}
set=${1:?usage: scripts/record_regression_rows.sh rows/<machine>}
cases=tests/testdata/regression/cases.txt
data=tests/testdata/regression/$set
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# drops the columns whose header ends in _s or _ms
strip_times() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) keep[i] = ($i !~ /_m?s$/) }
           { row = ""; for (i = 1; i <= NF; i++) if (keep[i]) row = row $i ","; print row }' "$1"
}

grep -v '^#' "$cases" | while read -r name config overrides; do
  [ -n "$name" ] || continue
  args=()
  for o in $overrides; do args+=(--set "$o"); done
  "$mbrl" train "$config" "${args[@]}" --run-dir "$scratch/$name" > "$scratch/$name.log" 2>&1 ||
    { cat "$scratch/$name.log"; exit 1; }
  rm -rf "${data:?}/$name"
  mkdir -p "$data/$name"
  for csv in "$scratch/$name"/*.csv; do
    strip_times "$csv" > "$data/$name/$(basename "$csv")"
  done
  echo "recorded $name: $(ls "$data/$name" | tr '\n' ' ')"
done

#!/usr/bin/env bash
# Sweep overhead per job: a sweep of N jobs that do almost nothing (a random agent, one 10-step
# episode) run by the local backend and by a private one-node Slurm (scripts/local_slurm.sh).
# Prints, per backend: the time from submission to the first job's first env step (the run's
# first log line, written just before it), and the wall time until all N jobs are done, per job.
#
#   benchmarks/sweep_overhead.sh [JOBS]     # default 8; MBRL=path/to/mbrl to pick the binary
set -euo pipefail
cd "$(dirname "$0")/.."
mbrl=$(realpath "${MBRL:-build/apps/mbrl}")
jobs=${1:-8}
work=$(mktemp -d /tmp/mbrl-sweep-bench-XXXXXX)
trap 'scripts/local_slurm.sh stop "$work/slurm" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

cat > "$work/trivial.yaml" <<EOF
name: trivial
config: $PWD/configs/random/pendulum.yaml
seeds: $jobs
set: {env.max_episode_steps: 10, algorithm.episodes: 1}
EOF

now() { date +%s.%N; }
# epoch seconds of the first spdlog line "[YYYY-MM-DD HH:MM:SS.mmm]" of a run's log.txt
first_log_time() { date -u -d "$(head -n 1 "$1" | cut -c2-24)" +%s.%N; }

report() {  # backend sweep_dir t0 t_end
  local first
  first=$(for log in "$2"/runs/base/s*/log.txt; do first_log_time "$log"; done | sort -n | head -n 1)
  awk -v b="$1" -v n="$jobs" -v f="$first" -v t0="$3" -v t1="$4" 'BEGIN {
    printf "%-6s %2d jobs: submission to first env step %.2f s; all done after %.2f s (%.2f s per job)\n",
           b, n, f - t0, t1 - t0, (t1 - t0) / n }'
}

t0=$(now)
"$mbrl" sweep "$work/trivial.yaml" --dir "$work/local" > "$work/local.log" 2>&1
report local "$work/local" "$t0" "$(now)"

eval "$(scripts/local_slurm.sh start "$work/slurm")"
t0=$(now)
"$mbrl" sweep "$work/trivial.yaml" --backend slurm --dir "$work/on_slurm" > "$work/submit.log"
until "$mbrl" sweep status "$work/on_slurm" | tail -n 1 | grep -q ": $jobs done"; do sleep 0.1; done
t_end=$(now)
report slurm "$work/on_slurm" "$t0" "$t_end"

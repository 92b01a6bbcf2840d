#!/usr/bin/env bash
# Makes the five D4RL dataset flavours of one task the way D4RL made its gym-mujoco v2 files
# (scripts/generation/mujoco in D4RL; docs/offline_datasets.md):
#   random         uniform random actions (configs/random/ENV.yaml)
#   expert         rollouts of a SAC policy trained to completion (configs/sac/ENV.yaml)
#   medium         rollouts of the same SAC run stopped at its first evaluation a third of the
#                  way from the random to the expert return (the same seed replays the expert
#                  run exactly up to there; it evaluates 4x as often as the expert run, since a
#                  return can jump from random to near expert between two of its evaluations)
#   medium-replay  the replay buffer of that stopped run
#   medium-expert  medium cut after its last complete episode, then expert
# Usage: [EXPERT_RETURN=R [RANDOM_RETURN=R0]] scripts/make_d4rl_datasets.sh ENV OUT_DIR [TRANSITIONS] [SEED]
#   EXPERT_RETURN: take the third of the way from RANDOM_RETURN (default: the random set's mean
#   return) to this expert return instead of training the expert first, and make only random,
#   medium and medium-replay; e.g. D4RL's reference returns for its own scale (halfcheetah:
#   RANDOM_RETURN=-280.178953 EXPERT_RETURN=12135.0, hopper: -20.272305 and 3234.3, walker2d:
#   1.629008 and 4592.3).
#   The SAC config's algorithm.eval_every then sets the medium run's evaluation interval / 4.
#   ENV: a task with configs/random/ENV.yaml and configs/sac/ENV.yaml (pendulum,
#   inverted_pendulum, halfcheetah: its expert SAC run is 1M env steps, hours on one thread);
#   TRANSITIONS: rows per rollout dataset (default 1000000, as D4RL).
set -euo pipefail
cd "$(dirname "$0")/.."
env_name=${1:?usage: make_d4rl_datasets.sh ENV OUT_DIR [TRANSITIONS] [SEED]}
out=${2:?usage: make_d4rl_datasets.sh ENV OUT_DIR [TRANSITIONS] [SEED]}
transitions=${3:-1000000}
seed=${4:-0}
mbrl=${MBRL:-build/apps/mbrl}
random_config=configs/random/$env_name.yaml
sac_config=configs/sac/$env_name.yaml
for f in "$random_config" "$sac_config"; do
  [ -f "$f" ] || { echo "make_d4rl_datasets: $f: no such config" >&2; exit 2; }
done
mkdir -p "$out/runs"
log=$out/make_d4rl_datasets.log
: > "$log"
step() { echo "== $*" | tee -a "$log"; }
timed() {  # runs a command, appending its output and wall time to the log
  local start=$SECONDS
  "$@" 2>&1 | tee -a "$log" | grep -E "^(wrote|collected|run written)" || true
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "make_d4rl_datasets: failed: $*" >&2; exit 1; }
  echo "   $((SECONDS - start)) s" | tee -a "$log"
}
# the mean return printed by `mbrl collect` ("... return M +- S (mean +- std)")
mean_return() { sed -n 's/.*return \(-\?[0-9.]*\) +- .*/\1/p' "$log" | tail -1; }

step "random: $transitions transitions"
timed "$mbrl" collect "$random_config" -o "$out/$env_name-random.hdf5" \
  --transitions "$transitions" --seed "$seed"
random_return=${RANDOM_RETURN:-$(mean_return)}

if [ -n "${EXPERT_RETURN:-}" ]; then
  expert_return=$EXPERT_RETURN
  sac_settings=$sac_config
else
  step "expert: train SAC ($sac_config, seed $seed)"
  timed "$mbrl" train "$sac_config" --seed "$seed" --run-dir "$out/runs/expert"
  expert_return=$(tail -1 "$out/runs/expert/eval.csv" | cut -d, -f2)
  sac_settings=$out/runs/expert/config.yaml
fi
medium_return=$(awk -v r="$random_return" -v e="$expert_return" 'BEGIN { print r + (e - r) / 3 }')
step "random return $random_return, expert return $expert_return: medium stops at $medium_return"

eval_every=$(sed -n 's/^  eval_every: *\([0-9]*\).*/\1/p' "$sac_settings" | head -1)
[ -n "$eval_every" ] || { echo "make_d4rl_datasets: no algorithm.eval_every in $sac_settings" >&2; exit 1; }
medium_eval_every=$(( (eval_every + 3) / 4 ))
step "medium: the same SAC run stopped at evaluation return >= $medium_return" \
  "(evaluated every $medium_eval_every steps)"
timed "$mbrl" train "$sac_config" --seed "$seed" --run-dir "$out/runs/medium" \
  --set algorithm.stop_at_eval_return="$medium_return" \
  --set algorithm.eval_every="$medium_eval_every"

step "rollouts of the medium and expert policies (sampled actions, as D4RL)"
timed "$mbrl" collect "$out/runs/medium" -o "$out/$env_name-medium.hdf5" \
  --transitions "$transitions" --seed "$seed"
[ -n "${EXPERT_RETURN:-}" ] || timed "$mbrl" collect "$out/runs/expert" \
  -o "$out/$env_name-expert.hdf5" --transitions "$transitions" --seed "$seed"
step "medium-replay: the medium run's replay buffer"
timed "$mbrl" collect --replay "$out/runs/medium" -o "$out/$env_name-medium_replay.hdf5"
if [ -z "${EXPERT_RETURN:-}" ]; then
  step "medium-expert: medium, then expert"
  timed "$mbrl" collect --stitch "$out/$env_name-medium.hdf5" "$out/$env_name-expert.hdf5" \
    -o "$out/$env_name-medium_expert.hdf5" --transitions $((2 * transitions))
fi
ls -l "$out"/*.hdf5 | tee -a "$log"

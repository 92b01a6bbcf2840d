// DreamerLoop: DreamerV3's training loop (algorithm `dreamer`): act with the world model's
// posterior and the actor, keep every step in a sequence replay, train on replayed chunks at a
// fixed ratio of replayed to collected steps.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include "mbrl/agents/dreamer/dreamer_agent.h"
#include "mbrl/agents/random_agent.h"
#include "mbrl/algorithms/algorithm.h"
#include "mbrl/algorithms/evaluation.h"
#include "mbrl/algorithms/online_episodes.h"
#include "mbrl/data/step_replay.h"
#include "mbrl/envs/env.h"

namespace mbrl {

/// Options of DreamerLoop; each field is a YAML key of the `algorithm:` section (type: dreamer).
/// Defaults are DreamerV3's (2023 release ec526b9, configs.yaml) where it has the value.
struct DreamerLoopOptions {
  /// Environment steps to train for, >= 1.
  TORCH_ARG(int64_t, num_steps) = 100000;
  /// Steps at the start that take uniform random actions (DreamerV3 prefills its replay with a
  /// random policy), >= 0. Training starts after them, once the replay holds one chunk.
  TORCH_ARG(int64_t, initial_random_steps) = 1024;
  /// Replayed steps trained on per environment step (DreamerV3 `run.train_ratio`, 512): one
  /// update replays batch_size * sequence_length steps, so an env step earns
  /// train_ratio / (batch_size * sequence_length) updates. > 0.
  TORCH_ARG(double, train_ratio) = 512.0;
  /// Chunks per update and steps per chunk (DreamerV3 batch_size 16, batch_length 64), >= 1.
  TORCH_ARG(int64_t, batch_size) = 16;
  TORCH_ARG(int64_t, sequence_length) = 64;
  /// Evaluate every this many environment steps (and after the last step), >= 1.
  TORCH_ARG(int64_t, eval_every) = 5000;
  /// Deterministic episodes per evaluation (the actor's mean), on a separate env, >= 1.
  TORCH_ARG(int64_t, eval_episodes) = 5;
  /// Replay capacity in steps (DreamerV3 `replay_size` 1e6), >= sequence_length.
  TORCH_ARG(int64_t, replay_capacity) = 1000000;
  /// Checkpoint at the first episode end at or after every this many env steps, >= 0 (0: only
  /// at the end of the run).
  TORCH_ARG(int64_t, checkpoint_every) = 10000;
  /// Keep the world model at every evaluation as `<run>/models/step_<t>.pt` (save_world_model),
  /// for `mbrl diagnose`'s objective-mismatch table: the world model the actor last trained in,
  /// against that evaluation's return.
  TORCH_ARG(bool, keep_models) = false;
};

/// DreamerV3's training loop (Hafner et al. 2023; 2023 release, dreamerv3/train.py and
/// embodied/run/train.py) for a DreamerAgent on the real environment. Every episode's first
/// observation and every later step go into a StepReplay (the action stored in [-1, 1], as the
/// world model sees it). After the random prefill, env step t brings the updates done so far to
/// floor((t - initial_random_steps) * train_ratio / (batch_size * sequence_length)); an update
/// is DreamerAgent::train on `batch_size` uniformly sampled chunks of `sequence_length` steps.
/// Where it differs from DreamerV3's loop: one env instead of a batch of them, the prefill is
/// counted in env steps (DreamerV3 fills until the replay holds one batch's steps), and the
/// ratio is counted exactly from the step counter (embodied.when.Ratio carries fractions too,
/// but starts with one update).
///
/// Metrics: group `episode` (metrics.csv; one row and a console line per training episode:
/// episode, env_steps, episode_return, episode_length, the means of the agent's training metrics
/// over the episode's updates (DreamerAgent::metric_names), elapsed_s) and group `eval`
/// (eval.csv), as the sac loop. Evaluation inside a training episode keeps that episode's acting
/// memory (DreamerAgent::memory) and restores it after.
///
/// Checkpoints are taken at episode boundaries and at the end: counters, the replay, the agent
/// (networks, three optimizers, return normaliser, generators) and the loop's generators, so a
/// resumed run continues exactly. A non-finite loss throws NonFiniteError ("dreamer loop: env
/// step t: update u: dreamer: non-finite world-model loss") before any later checkpoint.
class DreamerLoop : public Algorithm {
 public:
  /// env: the training env; eval_env: a separate instance for evaluation. random_gen (CPU):
  /// the prefill's random actions; replay_gen (CPU): chunk sampling.
  DreamerLoop(DreamerLoopOptions options, std::shared_ptr<Env> env, std::shared_ptr<Env> eval_env,
              std::shared_ptr<DreamerAgent> agent, at::Generator random_gen,
              at::Generator replay_gen, uint64_t train_seed, uint64_t eval_seed);

  void run(RunContext& run) override;
  std::shared_ptr<Agent> agent() const override { return agent_; }
  void save_checkpoint(torch::serialize::OutputArchive& archive) const override;
  void load_checkpoint(torch::serialize::InputArchive& archive) override;
  bool supports_checkpoints() const override { return true; }

  const DreamerLoopOptions& options() const { return options_; }
  /// Every evaluation so far, in order.
  const std::vector<Evaluation>& evaluations() const { return evaluations_; }
  /// Updates (DreamerAgent::train calls) so far.
  int64_t updates() const { return updates_; }
  /// The updates due after env step t: floor((t - initial_random_steps) * train_ratio /
  /// (batch_size * sequence_length)), 0 during the prefill.
  int64_t updates_due(int64_t t) const;

 private:
  const DreamerLoopOptions options_;
  std::shared_ptr<Env> eval_env_;
  std::shared_ptr<DreamerAgent> agent_;
  at::Generator random_gen_;  // shared with random_agent_, for checkpoints
  RandomAgent random_agent_;
  at::Generator replay_gen_;
  OnlineEpisodes episodes_;
  uint64_t eval_seed_;
  std::unique_ptr<StepReplay> replay_;
  std::vector<Evaluation> evaluations_;
  int64_t updates_ = 0;
  double elapsed_s_ = 0;  // at the last checkpoint or load
};

/// The registry factory of `type: dreamer`: needs an `env` and an agent of type `dreamer`
/// (make_dreamer_agent); builds the evaluation env with EnvMaker("eval") and takes its
/// generators from `ctx`.
std::shared_ptr<Algorithm> make_dreamer_loop(const ConfigNode& node, const BuildContext& ctx,
                                             const ConfigNode& agent);

}  // namespace mbrl

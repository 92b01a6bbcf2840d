// SacLoop: the model-free SAC training loop (algorithm `sac`), the baseline of every task.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include "mbrl/agents/learner.h"
#include "mbrl/agents/random_agent.h"
#include "mbrl/algorithms/algorithm.h"
#include "mbrl/algorithms/evaluation.h"
#include "mbrl/algorithms/online_episodes.h"
#include "mbrl/algorithms/run_clock.h"
#include "mbrl/algorithms/run_schedule.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/envs/env.h"

namespace mbrl {

/// Options of SacLoop; each field is a YAML key of the `algorithm:` section (type: sac).
struct SacLoopOptions {
  /// Environment steps to train for, >= 1.
  TORCH_ARG(int64_t, num_steps) = 100000;
  /// Steps at the start that take uniform random actions instead of the policy's, >= 0.
  TORCH_ARG(int64_t, initial_random_steps) = 5000;
  /// SAC updates per environment step, >= 0 (they start once the replay holds a minibatch).
  TORCH_ARG(int64_t, updates_per_step) = 1;
  /// Evaluate every this many environment steps (and after the last step), >= 1.
  TORCH_ARG(int64_t, eval_every) = 5000;
  /// Deterministic episodes per evaluation, on a separate env, >= 1.
  TORCH_ARG(int64_t, eval_episodes) = 5;
  /// Replay buffer capacity in transitions, >= 1.
  TORCH_ARG(int64_t, replay_capacity) = 1000000;
  /// Checkpoint at the first episode end at or after every this many env steps, >= 0 (0: only
  /// at the end of the run).
  TORCH_ARG(int64_t, checkpoint_every) = 10000;
  /// When set, the run ends (with its checkpoint and agent.pt) after the first evaluation whose
  /// mean return reaches this value: a "medium" policy as D4RL made them (SAC stopped at about a
  /// third of the expert's return), whose replay buffer is the medium-replay data. Finite.
  TORCH_ARG(std::optional<double>, stop_at_eval_return) = std::nullopt;
};

/// One evaluation: mean and (population) std of the deterministic returns.
using SacEvaluation = Evaluation;

/// SAC on the real environment (Haarnoja et al. 2018, Algorithm 1), for any PolicyLearner (SacAgent
/// today): every environment step adds
/// one transition to the replay buffer and then runs `updates_per_step` updates on uniformly
/// sampled minibatches of the agent's `batch_size`.
///
/// Metrics: group `episode` (metrics.csv; one row and a console line per training episode:
/// episode, env_steps, episode_return, episode_length, the means of the learner's update metrics
/// over the episode, elapsed_s) and group `eval` (eval.csv: env_steps, eval_return,
/// eval_return_std, elapsed_s); see OnlineEpisodes. Training episode i is reset with seed
/// `train_seed + i` and evaluation episode i with `eval_seed + i`, so every evaluation sees the
/// same start states.
///
/// Checkpoints (RunContext::checkpoint) are taken at episode boundaries (RunSchedule) and at
/// the end: counters, the replay buffer, the agent (networks, optimizers, generator) and both
/// generators, so a resumed run continues exactly. A non-finite SAC loss throws NonFiniteError
/// ("sac loop: env step t: sac: non-finite ... loss at update u") before any later checkpoint, so
/// the last checkpoint stays the last good state.
class SacLoop : public Algorithm {
 public:
  /// env: the training env; eval_env: a separate instance for evaluation; agent: the learner.
  /// random_gen (CPU): initial random actions; replay_gen (CPU): minibatch sampling.
  SacLoop(SacLoopOptions options, std::shared_ptr<Env> env, std::shared_ptr<Env> eval_env,
          std::shared_ptr<PolicyLearner> agent, at::Generator random_gen, at::Generator replay_gen,
          uint64_t train_seed, uint64_t eval_seed);

  void run(RunContext& run) override;
  std::shared_ptr<Agent> agent() const override { return agent_; }
  void save_checkpoint(torch::serialize::OutputArchive& archive) const override;
  void load_checkpoint(torch::serialize::InputArchive& archive) override;
  bool supports_checkpoints() const override { return true; }

  const SacLoopOptions& options() const { return options_; }
  /// Every evaluation so far, in order.
  const std::vector<SacEvaluation>& evaluations() const { return evaluations_; }

 private:
  // the last evaluation reached stop_at_eval_return
  bool stop_return_reached() const;

  const SacLoopOptions options_;
  std::shared_ptr<Env> eval_env_;
  std::shared_ptr<PolicyLearner> agent_;
  at::Generator random_gen_;  // shared with random_agent_, for checkpoints
  RandomAgent random_agent_;
  at::Generator replay_gen_;
  OnlineEpisodes episodes_;
  uint64_t eval_seed_;
  std::unique_ptr<ReplayBuffer> replay_;
  std::vector<SacEvaluation> evaluations_;
  double elapsed_s_ = 0;  // at the last checkpoint or load
};

/// The registry factory of `type: sac`: needs an `env`; builds the policy learner of `agent`
/// (policy_learner_registry(), e.g. type sac) and the evaluation env with EnvMaker("eval"), and
/// takes its generators from `ctx`.
std::shared_ptr<Algorithm> make_sac_loop(const ConfigNode& node, const BuildContext& ctx,
                                         const ConfigNode& agent);

}  // namespace mbrl

// FitModel: fits a dynamics model to episodes an agent collected and measures how well it
// predicts held-out episodes, one step ahead and open loop (the sequence-backbone comparison).
#pragma once

#include <cstdint>
#include <memory>

#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include "mbrl/agents/agent.h"
#include "mbrl/algorithms/algorithm.h"
#include "mbrl/envs/env.h"
#include "mbrl/models/model_learner.h"

namespace mbrl {

struct FitModelOptions {
  /// Episodes collected for training, >= 1.
  TORCH_ARG(int64_t, train_episodes) = 100;
  /// A D4RL-layout file to train on instead of collecting: its episodes (d4rl_episodes) in a
  /// replay buffer whose sequences respect their bounds; `train_episodes` is then unused. The
  /// evaluation episodes are still collected with the agent. Empty: collect.
  TORCH_ARG(std::string, dataset) = "";
  /// Further episodes collected for evaluation only (never trained on), >= 1.
  TORCH_ARG(int64_t, eval_episodes) = 20;
  /// Training calls of the model's learner, each followed by an evaluation, >= 1.
  TORCH_ARG(int64_t, rounds) = 10;
  /// Real transitions the model reads before it imagines (open loop), >= 1 and below the
  /// evaluation episodes' length.
  TORCH_ARG(int64_t, context) = 1;
};

/// Collects `train_episodes` and then `eval_episodes` episodes with the agent (usually `random`),
/// then `rounds` times: trains the model with its learner (any registered model: a sequence
/// model, or an ensemble as the memoryless baseline) and evaluates it on the evaluation episodes,
/// cut to the shortest one's length T: one-step errors (the real history before each step) and
/// open-loop errors (the first `context` transitions real, the remaining T - context imagined).
///
/// Metrics: `metrics.csv`, one row per round (round, gradient_steps, env_steps (training
/// transitions), train_loss, one_step_obs_mse, one_step_reward_mse, one_step_final_reward_r2,
/// open_loop_obs_mse (mean over the horizon), open_loop_final_obs_mse, open_loop_reward_mse,
/// open_loop_final_reward_r2, round_s, elapsed_s); `open_loop.csv`, per round one row per
/// horizon k (round, horizon, obs_mse, reward_mse). The trained model is saved to `model.pt` in the
/// run folder at the end (load_model reads it).
class FitModelAlgorithm : public Algorithm {
 public:
  /// gen: a CPU generator for the learner's sampling. Throws InvalidArgument naming the option.
  FitModelAlgorithm(FitModelOptions options, std::shared_ptr<Env> env, std::shared_ptr<Agent> agent,
                    std::shared_ptr<ModelLearner> learner, at::Generator gen);

  void run(RunContext& run) override;
  std::shared_ptr<Agent> agent() const override { return agent_; }
  const FitModelOptions& options() const { return options_; }

 private:
  const FitModelOptions options_;
  std::shared_ptr<Env> env_;
  std::shared_ptr<Agent> agent_;
  std::shared_ptr<ModelLearner> learner_;
  at::Generator gen_;
};

/// The `fit_model` factory of algorithm_registry(): needs the `env` and a `model` section of any
/// registered type; the agent of the `agent` section collects (keys as in FitModelOptions;
/// model_training: a section for the model's learner).
std::shared_ptr<Algorithm> make_fit_model(const ConfigNode& node, const BuildContext& ctx,
                                          const ConfigNode& agent);

}  // namespace mbrl

// Collect: runs the agent for a number of episodes and records their returns (no learning).
#pragma once

#include <memory>

#include <torch/arg.h>

#include "mbrl/agents/agent.h"
#include "mbrl/algorithms/algorithm.h"
#include "mbrl/envs/env.h"

namespace mbrl {

struct CollectOptions {
  /// Episodes to run, >= 1.
  TORCH_ARG(int64_t, episodes) = 10;
  /// Write every transition to `replay_buffer.pt` in the run folder (a dataset for offline use).
  TORCH_ARG(bool, save_buffer) = false;
};

/// The simplest loop: run `episodes` episodes of the agent, log one metrics row per episode
/// (episode, env_steps, episode_return, episode_length, elapsed_s) and optionally save the data.
/// With a RandomAgent this gives the random baseline of a task.
class CollectAlgorithm : public Algorithm {
 public:
  CollectAlgorithm(CollectOptions options, std::shared_ptr<Env> env, std::shared_ptr<Agent> agent);

  void run(RunContext& run) override;
  std::shared_ptr<Agent> agent() const override { return agent_; }
  const CollectOptions& options() const { return options_; }

 private:
  const CollectOptions options_;
  std::shared_ptr<Env> env_;
  std::shared_ptr<Agent> agent_;
};

}  // namespace mbrl

// Running whole episodes of an agent in an env: collection and evaluation.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "mbrl/agents/agent.h"
#include "mbrl/envs/env.h"

namespace mbrl {

class ReplayBuffer;

struct EpisodeResult {
  double episode_return = 0.0;
  int64_t length = 0;
  bool terminated = false;
};

/// Runs one episode from `env.reset(seed)` until it terminates or is truncated, calling
/// `agent.reset()` first. Every transition is added to `buffer` when it is not null.
/// `max_steps` > 0 stops earlier (the last transition is then marked truncated).
EpisodeResult run_episode(Env& env, Agent& agent, ActMode mode, ReplayBuffer* buffer = nullptr,
                          std::optional<uint64_t> seed = std::nullopt, int64_t max_steps = 0);

/// Mean and standard deviation (population) of `values`.
std::pair<double, double> mean_std(const std::vector<double>& values);

}  // namespace mbrl

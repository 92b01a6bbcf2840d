// Running whole episodes of an agent in an env: collection and evaluation.
#pragma once

#include <cstdint>
#include <functional>
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

/// Called after step `steps` (1-based) of an episode that goes on, once its transition is stored
/// (PETS retrains its model here every `train_every` steps).
using EpisodeStepHook = std::function<void(int64_t steps)>;

/// Runs one episode from `env.reset(seed)` until it terminates or is truncated, calling
/// `agent.reset()` first, without gradients. Every transition is added to `buffer` when it is
/// not null. `max_steps` > 0 stops earlier (the last transition is then marked truncated).
/// `after_step`, when given, runs after every step but the last (under the caller's grad mode
/// of its own choosing: it may enable gradients to train).
EpisodeResult run_episode(Env& env, Agent& agent, ActMode mode, ReplayBuffer* buffer = nullptr,
                          std::optional<uint64_t> seed = std::nullopt, int64_t max_steps = 0,
                          const EpisodeStepHook& after_step = nullptr);

/// Mean and standard deviation (population) of `values`.
std::pair<double, double> mean_std(const std::vector<double>& values);

}  // namespace mbrl

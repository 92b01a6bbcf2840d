// RandomAgent: uniform random actions inside the action bounds.
#pragma once

#include <ATen/core/Generator.h>

#include "mbrl/agents/agent.h"
#include "mbrl/core/types.h"

namespace mbrl {

/// Draws every action uniformly from the action Box with its own generator, or, for an env with
/// discrete actions, one of the box's dimensions uniformly as a one-hot vector. Used for the
/// initial exploration of model-based methods and as the baseline of every task.
class RandomAgent : public Agent {
 public:
  /// action_space: finite bounds; gen: a CPU generator owned by this agent; discrete: the env's
  /// EnvSpec::discrete_actions.
  RandomAgent(Box action_space, at::Generator gen, bool discrete = false);

  at::Tensor act(const at::Tensor& obs, ActMode mode = ActMode::kExplore) override;

 private:
  Box action_space_;
  at::Tensor range_;
  at::Generator gen_;
  bool discrete_;
};

}  // namespace mbrl

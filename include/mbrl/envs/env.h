// Env: the single-environment interface (reset/step with Box spaces), as in Gymnasium.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include <ATen/core/Tensor.h>

#include "mbrl/core/types.h"

namespace mbrl {

class TaskFunctions;

/// The result of one environment step.
struct StepResult {
  at::Tensor obs;  // [obs_dim] float32, CPU: the observation after the step
  double reward = 0.0;
  bool terminated = false;  // the MDP ended (no bootstrapping from obs)
  bool truncated = false;   // cut by a time limit (obs is a valid state to bootstrap from)
};

/// One environment instance.
///
/// Implementations compute in double precision internally and hand out float32 CPU tensors.
/// Actions are given in `spec().action_space`; implementations clip them to the bounds, as
/// MuJoCo clips controls to their range. Threading contract: one thread at a time per instance;
/// distinct instances may be stepped concurrently (VectorEnv does).
class Env {
 public:
  virtual ~Env() = default;

  /// Dimensions, bounds and time limit. Stable for the lifetime of the env.
  virtual const EnvSpec& spec() const = 0;

  /// Starts an episode and returns the first observation, [obs_dim]. `seed` reseeds the env's
  /// own generator (Gymnasium's `reset(seed=...)`); without it the generator's stream continues.
  virtual at::Tensor reset(std::optional<uint64_t> seed = std::nullopt) = 0;

  /// Applies `act` ([act_dim], any floating dtype, CPU) for one step.
  /// Calling step after a terminated or truncated step without reset is an error.
  virtual StepResult step(const at::Tensor& act) = 0;

  /// The task's reward and termination as batched torch functions (also true dynamics for the
  /// classic-control tasks, see task_functions.h), or nullptr when the env has none.
  virtual std::shared_ptr<const TaskFunctions> task_functions() const { return nullptr; }
};

}  // namespace mbrl

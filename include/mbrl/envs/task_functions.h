// The known parts of a task as batched torch functions: reward, termination and (for the
// classic-control tasks) the true dynamics. Planners and model rollouts call these on [B, ...].
#pragma once

#include <ATen/core/Tensor.h>

namespace mbrl {

/// Reward and termination of a task over batches (mbrl-lib's reward_fns / termination_fns).
///
/// Every function is pure, batched and differentiable where the task allows; tensors may live on
/// any device and are float32. `act` is in the env's action space (the same one `Env::step`
/// takes). Thread-safe (const, no state).
class TaskFunctions {
 public:
  virtual ~TaskFunctions() = default;

  /// obs, next_obs: [B, obs_dim]; act: [B, act_dim] -> reward [B], equal to what Env::step
  /// returns for the same transition.
  virtual at::Tensor reward(const at::Tensor& obs, const at::Tensor& act,
                            const at::Tensor& next_obs) const = 0;

  /// next_obs: [B, obs_dim] -> [B] bool, true where the episode terminates.
  virtual at::Tensor terminated(const at::Tensor& next_obs) const = 0;
};

/// The true transition function of a task whose state is its observation, as a batched torch
/// function. Lets a planner run on the real dynamics ("oracle") with the same code it runs on a
/// learned model, so a failure can be pinned on the model or on the planner.
class TrueDynamics {
 public:
  virtual ~TrueDynamics() = default;

  /// obs: [B, obs_dim], act: [B, act_dim] -> next_obs [B, obs_dim], matching Env::step.
  virtual at::Tensor next_obs(const at::Tensor& obs, const at::Tensor& act) const = 0;
};

}  // namespace mbrl

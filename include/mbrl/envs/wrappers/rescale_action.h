// RescaleAction: exposes the action space as [-1, 1]^act_dim and maps it onto the env's bounds.
#pragma once

#include "mbrl/envs/wrappers/env_wrapper.h"

namespace mbrl {

/// Agents act in [-1, 1]; the wrapper maps `a` to `low + (a + 1) (high - low) / 2` after clipping
/// to [-1, 1]. The task functions are wrapped the same way, so planners and model rollouts see
/// the rescaled space too. Every action bound must be finite.
class RescaleAction : public EnvWrapper {
 public:
  explicit RescaleAction(std::shared_ptr<Env> inner);

  const EnvSpec& spec() const override { return spec_; }
  StepResult step(const at::Tensor& act) override;
  std::shared_ptr<const TaskFunctions> task_functions() const override { return task_; }

  /// act: [..., act_dim] in [-1, 1] -> the same action in the inner env's bounds.
  at::Tensor to_inner(const at::Tensor& act) const;

 private:
  EnvSpec spec_;
  at::Tensor low_, half_range_;
  std::shared_ptr<const TaskFunctions> task_;
};

}  // namespace mbrl

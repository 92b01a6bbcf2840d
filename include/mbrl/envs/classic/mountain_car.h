// Mountain car with three discrete actions, as Gymnasium's MountainCar-v0.
#pragma once

#include <array>
#include <memory>
#include <random>

#include "mbrl/envs/env.h"
#include "mbrl/envs/task_functions.h"

namespace mbrl {

/// The reward and termination of MountainCar-v0 as batched functions: -1 for every step;
/// terminated when p' >= 0.5 and v' >= 0.
class MountainCarTask : public TaskFunctions {
 public:
  /// obs, next_obs: [B, 2]; act: [B, 3] (one-hot) -> [B] float32, all -1.
  at::Tensor reward(const at::Tensor& obs, const at::Tensor& act,
                    const at::Tensor& next_obs) const override;
  /// next_obs: [B, 2] -> [B] bool.
  at::Tensor terminated(const at::Tensor& next_obs) const override;
};

/// Gymnasium MountainCar-v0 (classic_control/mountain_car.py; Moore 1990): three discrete
/// actions (EnvSpec::discrete_actions), choice c pushes with force c - 1 in {-1, 0, 1}:
///   v' = clip(v + 0.001 (c - 1) - 0.0025 cos(3 p), -0.07, 0.07),  p' = clip(p + v', -1.2, 0.6),
///   v' = 0 if p' hit -1.2 moving left.
/// obs = [p, v]. Reward -1 per step; terminates when p' >= 0.5 and v' >= 0. Reset:
/// p ~ U(-0.6, -0.4), v = 0. 200 steps. A random policy never reaches the goal in 200 steps.
class MountainCarEnv : public Env {
 public:
  explicit MountainCarEnv(uint64_t seed = 0);

  const EnvSpec& spec() const override { return spec_; }
  at::Tensor reset(std::optional<uint64_t> seed = std::nullopt) override;
  /// act: [3], the env pushes by the first largest entry's choice (a one-hot vector).
  StepResult step(const at::Tensor& act) override;
  std::shared_ptr<const TaskFunctions> task_functions() const override { return task_; }

  std::array<double, 2> state() const { return {position_, velocity_}; }
  void set_state(double position, double velocity) { position_ = position, velocity_ = velocity; }

 private:
  EnvSpec spec_;
  double position_ = 0, velocity_ = 0;
  std::mt19937_64 rng_;
  std::shared_ptr<MountainCarTask> task_;
};

}  // namespace mbrl

// Mountain car with a continuous action, as Gymnasium's MountainCarContinuous-v0.
#pragma once

#include <memory>
#include <random>

#include "mbrl/envs/env.h"
#include "mbrl/envs/task_functions.h"

namespace mbrl {

/// Gymnasium MountainCarContinuous-v0: force f = clip(a, -1, 1);
///   v' = clip(v + 0.0015 f - 0.0025 cos(3 p), -0.07, 0.07),  p' = clip(p + v', -1.2, 0.6),
///   v' = 0 if p' hit -1.2 moving left.
/// obs = [p, v]. Terminates when p' >= 0.45 and v' >= 0. Reward: 100 on termination,
/// minus 0.1 a^2 (of the action as given). Reset: p ~ U(-0.6, -0.4), v = 0. 999 steps.
class MountainCarContinuousTask : public TaskFunctions, public TrueDynamics {
 public:
  at::Tensor reward(const at::Tensor& obs, const at::Tensor& act,
                    const at::Tensor& next_obs) const override;
  at::Tensor terminated(const at::Tensor& next_obs) const override;
  at::Tensor next_obs(const at::Tensor& obs, const at::Tensor& act) const override;
};

class MountainCarContinuousEnv : public Env {
 public:
  explicit MountainCarContinuousEnv(uint64_t seed = 0);

  const EnvSpec& spec() const override { return spec_; }
  at::Tensor reset(std::optional<uint64_t> seed = std::nullopt) override;
  StepResult step(const at::Tensor& act) override;
  std::shared_ptr<const TaskFunctions> task_functions() const override { return task_; }

  std::array<double, 2> state() const { return {position_, velocity_}; }
  void set_state(double position, double velocity) { position_ = position, velocity_ = velocity; }

 private:
  EnvSpec spec_;
  double position_ = 0, velocity_ = 0;
  std::mt19937_64 rng_;
  std::shared_ptr<MountainCarContinuousTask> task_;
};

}  // namespace mbrl

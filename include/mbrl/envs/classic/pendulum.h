// Pendulum swing-up with the dynamics and reward of Gymnasium's Pendulum-v1.
#pragma once

#include <memory>
#include <random>

#include "mbrl/envs/env.h"
#include "mbrl/envs/task_functions.h"

namespace mbrl {

/// Options of the Pendulum task.
struct PendulumOptions {
  /// Gravitational acceleration, m/s^2 (Gymnasium's `g`), > 0.
  double gravity = 10.0;
};

/// Gymnasium Pendulum-v1: mass 1, length 1, dt 0.05, torque in [-2, 2], speed clipped to ±8.
///   theta_dot' = clip(theta_dot + (3 g / 2 sin theta + 3 u) dt, -8, 8),  theta' = theta +
///   theta_dot' dt
/// obs = [cos theta, sin theta, theta_dot]; theta = 0 is upright.
/// Reward (from the state *before* the step): -(wrap(theta)^2 + 0.1 theta_dot^2 + 0.001 u^2),
/// wrap to [-pi, pi). Reset: theta ~ U(-pi, pi), theta_dot ~ U(-1, 1). 200 steps, never terminates.
class PendulumTask : public TaskFunctions, public TrueDynamics {
 public:
  explicit PendulumTask(PendulumOptions options = {}) : options_(options) {}
  at::Tensor reward(const at::Tensor& obs, const at::Tensor& act,
                    const at::Tensor& next_obs) const override;
  at::Tensor terminated(const at::Tensor& next_obs) const override;
  at::Tensor next_obs(const at::Tensor& obs, const at::Tensor& act) const override;

 private:
  PendulumOptions options_;
};

class PendulumEnv : public Env {
 public:
  explicit PendulumEnv(PendulumOptions options = {}, uint64_t seed = 0);

  const EnvSpec& spec() const override { return spec_; }
  at::Tensor reset(std::optional<uint64_t> seed = std::nullopt) override;
  StepResult step(const at::Tensor& act) override;
  std::shared_ptr<const TaskFunctions> task_functions() const override { return task_; }

  const PendulumOptions& options() const { return options_; }
  /// (theta, theta_dot); theta is not wrapped.
  std::array<double, 2> state() const { return {theta_, theta_dot_}; }
  void set_state(double theta, double theta_dot) { theta_ = theta, theta_dot_ = theta_dot; }

 private:
  at::Tensor observation() const;

  PendulumOptions options_;
  EnvSpec spec_;
  double theta_ = 0, theta_dot_ = 0;
  std::mt19937_64 rng_;
  std::shared_ptr<PendulumTask> task_;
};

}  // namespace mbrl

// Cart-pole balancing with the dynamics, reward and termination of Gymnasium's CartPole-v1, the
// classic discrete-action control task.
#pragma once

#include <array>
#include <memory>
#include <random>

#include "mbrl/envs/env.h"
#include "mbrl/envs/task_functions.h"

namespace mbrl {

/// The reward and termination of CartPole-v1 as batched functions: 1 for every step, the one
/// that ends the episode included; terminated when |x| > 2.4 or |theta| > 12 degrees.
class CartpoleTask : public TaskFunctions {
 public:
  /// obs, next_obs: [B, 4]; act: [B, 2] (one-hot) -> [B] float32 ones.
  at::Tensor reward(const at::Tensor& obs, const at::Tensor& act,
                    const at::Tensor& next_obs) const override;
  /// next_obs: [B, 4] -> [B] bool.
  at::Tensor terminated(const at::Tensor& next_obs) const override;
};

/// Gymnasium CartPole-v1 (classic_control/cartpole.py; Barto, Sutton and Anderson 1983): cart
/// mass 1, pole mass 0.1 and half-length 0.5, gravity 9.8, a force of ±10 N, explicit Euler
/// steps of 0.02 s (positions with the old velocities).
///
/// Two discrete actions (EnvSpec::discrete_actions): choice 0 pushes left, 1 pushes right.
/// obs = [x, x_dot, theta, theta_dot]; theta = 0 is upright. Reset: every entry ~ U(-0.05, 0.05).
/// Reward 1 per step; the episode terminates when |x| > 2.4 or |theta| > 12 degrees and is cut
/// at 500 steps.
class CartpoleEnv : public Env {
 public:
  explicit CartpoleEnv(uint64_t seed = 0);

  const EnvSpec& spec() const override { return spec_; }
  at::Tensor reset(std::optional<uint64_t> seed = std::nullopt) override;
  /// act: [2], the env pushes toward the first largest entry (a one-hot choice).
  StepResult step(const at::Tensor& act) override;
  std::shared_ptr<const TaskFunctions> task_functions() const override { return task_; }

  /// The state [x, x_dot, theta, theta_dot]; set_state is for tests.
  const std::array<double, 4>& state() const { return state_; }
  void set_state(const std::array<double, 4>& s) { state_ = s; }

 private:
  EnvSpec spec_;
  std::array<double, 4> state_{};
  std::mt19937_64 rng_;
  std::shared_ptr<CartpoleTask> task_;
};

}  // namespace mbrl

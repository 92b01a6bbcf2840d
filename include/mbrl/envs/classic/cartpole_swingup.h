// Cart-pole swing-up of PETS (Chua et al. 2018, "MBRLCartpole-v0"), built in: no MuJoCo asset.
#pragma once

#include <array>
#include <memory>
#include <random>

#include "mbrl/envs/env.h"
#include "mbrl/envs/task_functions.h"

namespace mbrl {

/// The PETS cart-pole: a 10.47 kg capsule cart on a rail and a 0.6 m, 5.02 kg capsule pole
/// (density 1000, the inertias MuJoCo computes from those geoms), joint damping 1 on both
/// joints, a motor of gear 100 on the cart with control in [-3, 3], gravity 9.81, two RK4
/// steps of 0.02 s per env step (dt 0.04), and an inelastic stop at the rail ends x = ±2.5.
///
/// obs = [x, theta, x_dot, theta_dot]; theta = 0 hangs down, theta = pi is upright, unwrapped.
/// Reset: every obs entry ~ N(0, 0.1^2). Reward (from the state after the step):
///   exp(-|tip - (0, 0.6)|^2 / 0.6^2) - 0.01 a^2,  tip = (x - 0.6 sin theta, -0.6 cos theta),
/// so it is at most 1 per step; 200 steps per episode, never terminates.
class CartpoleSwingupTask : public TaskFunctions, public TrueDynamics {
 public:
  at::Tensor reward(const at::Tensor& obs, const at::Tensor& act,
                    const at::Tensor& next_obs) const override;
  at::Tensor terminated(const at::Tensor& next_obs) const override;
  at::Tensor next_obs(const at::Tensor& obs, const at::Tensor& act) const override;
};

class CartpoleSwingupEnv : public Env {
 public:
  explicit CartpoleSwingupEnv(uint64_t seed = 0);

  const EnvSpec& spec() const override { return spec_; }
  at::Tensor reset(std::optional<uint64_t> seed = std::nullopt) override;
  StepResult step(const at::Tensor& act) override;
  std::shared_ptr<const TaskFunctions> task_functions() const override { return task_; }

  /// The state [x, theta, x_dot, theta_dot]; set_state is for tests and oracles.
  const std::array<double, 4>& state() const { return state_; }
  void set_state(const std::array<double, 4>& s) { state_ = s; }

 private:
  EnvSpec spec_;
  std::array<double, 4> state_{};
  std::mt19937_64 rng_;
  std::shared_ptr<CartpoleSwingupTask> task_;
};

}  // namespace mbrl

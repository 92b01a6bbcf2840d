// Gymnasium InvertedPendulum-v4 on MuJoCo.
#pragma once

#include <memory>
#include <string>

#include <torch/arg.h>

#include "mbrl/envs/mujoco/mujoco_task.h"

namespace mbrl {

/// Options of InvertedPendulum (registry type `inverted_pendulum`).
struct InvertedPendulumOptions {
  /// MJCF file with the built-in model's structure (nq 2, nv 2, nu 1); "" uses the built-in one.
  TORCH_ARG(std::string, model_xml) = "";
  /// Physics steps of 0.02 s (RK4) per env step, >= 1 (dt = 0.04 s).
  TORCH_ARG(int, frame_skip) = 2;
  /// Reset noise: qpos, qvel += U(-s, s); s >= 0.
  TORCH_ARG(double, reset_noise_scale) = 0.01;
};

/// InvertedPendulum-v4: obs = [cart x, pole angle, their velocities] (4-d), act in [-3, 3],
/// dt 0.04 s, 1000 steps. Reward +1 per step; terminates when the observation is not finite or
/// |angle| > 0.2 rad. Task functions are exact. Throws MujocoError for another layout.
std::shared_ptr<const MujocoTask> make_inverted_pendulum_task(
    const InvertedPendulumOptions& options = {});

}  // namespace mbrl

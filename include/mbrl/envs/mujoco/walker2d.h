// Gymnasium Walker2d-v4 on MuJoCo.
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <torch/arg.h>

#include "mbrl/envs/mujoco/mujoco_task.h"

namespace mbrl {

/// Options of Walker2d (Gymnasium v4's keyword arguments; registry type `walker2d`).
struct Walker2dOptions {
  /// MJCF file with the built-in model's structure (nq 9, nv 9, nu 6); "" uses the built-in one.
  TORCH_ARG(std::string, model_xml) = "";
  /// Physics steps of 0.002 s (RK4) per env step, >= 1 (dt = 0.008 s).
  TORCH_ARG(int, frame_skip) = 4;
  /// Weight of the forward velocity (x' - x) / dt in the reward.
  TORCH_ARG(double, forward_reward_weight) = 1.0;
  /// Weight of the control cost sum(a^2), >= 0.
  TORCH_ARG(double, ctrl_cost_weight) = 1e-3;
  /// Reward for being healthy (v4: paid on every step when terminate_when_unhealthy).
  TORCH_ARG(double, healthy_reward) = 1.0;
  /// End the episode when the walker is not healthy.
  TORCH_ARG(bool, terminate_when_unhealthy) = true;
  /// Open interval for the torso height qpos[1], [low, high].
  TORCH_ARG(std::vector<double>, healthy_z_range) = std::vector<double>{0.8, 2.0};
  /// Open interval for the torso angle qpos[2], [low, high].
  TORCH_ARG(std::vector<double>, healthy_angle_range) = std::vector<double>{-1.0, 1.0};
  /// Reset noise: qpos, qvel += U(-s, s); s >= 0.
  TORCH_ARG(double, reset_noise_scale) = 5e-3;
  /// Leave the root x out of the observation (17-d); false gives 18-d with x first.
  TORCH_ARG(bool, exclude_current_positions_from_observation) = true;
};

/// Walker2d-v4: obs = [qpos[1:] (8), clip(qvel, -10, 10) (9)] (17-d), act in [-1, 1]^6,
/// dt 0.008 s, 1000 steps; feet friction 0.9 (right) and 1.9 (left) as in v2-v4.
/// Reward: forward_reward_weight (x' - x) / dt + healthy_reward - ctrl_cost_weight |a|^2.
/// Healthy: z and angle inside their open ranges. Task functions: exact, except that without x
/// in the observation the forward velocity is estimated as the mean of the clipped root x
/// velocity (obs[8]) before and after. Throws MujocoError for a model of another layout.
std::shared_ptr<const MujocoTask> make_walker2d_task(const Walker2dOptions& options = {});

}  // namespace mbrl

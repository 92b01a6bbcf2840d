// Gymnasium Hopper-v4 on MuJoCo.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/arg.h>

#include "mbrl/envs/mujoco/mujoco_task.h"

namespace mbrl {

/// Options of Hopper (Gymnasium v4's keyword arguments; registry type `hopper`).
struct HopperOptions {
  /// MJCF file with the built-in model's structure (nq 6, nv 6, nu 3); "" uses the built-in one.
  TORCH_ARG(std::string, model_xml) = "";
  /// Physics steps of 0.002 s (RK4) per env step, >= 1 (dt = 0.008 s).
  TORCH_ARG(int, frame_skip) = 4;
  /// Weight of the forward velocity (x' - x) / dt in the reward.
  TORCH_ARG(double, forward_reward_weight) = 1.0;
  /// Weight of the control cost sum(a^2), >= 0.
  TORCH_ARG(double, ctrl_cost_weight) = 1e-3;
  /// Reward for being healthy (v4: paid on every step when terminate_when_unhealthy).
  TORCH_ARG(double, healthy_reward) = 1.0;
  /// End the episode when the hopper is not healthy.
  TORCH_ARG(bool, terminate_when_unhealthy) = true;
  /// Open interval for every element of qpos[2:] and the raw qvel, [low, high].
  TORCH_ARG(std::vector<double>, healthy_state_range) = std::vector<double>{-100.0, 100.0};
  /// Open interval for the torso height qpos[1], [low, high]. Gymnasium's is (0.7, inf); config
  /// values are finite, so 1e10 stands in for inf.
  TORCH_ARG(std::vector<double>, healthy_z_range) = std::vector<double>{0.7, 1e10};
  /// Open interval for the torso angle qpos[2], [low, high].
  TORCH_ARG(std::vector<double>, healthy_angle_range) = std::vector<double>{-0.2, 0.2};
  /// Reset noise: qpos, qvel += U(-s, s); s >= 0.
  TORCH_ARG(double, reset_noise_scale) = 5e-3;
  /// Leave the root x out of the observation (11-d); false gives 12-d with x first.
  TORCH_ARG(bool, exclude_current_positions_from_observation) = true;
};

/// Hopper-v4: obs = [qpos[1:] (5), clip(qvel, -10, 10) (6)] (11-d), act in [-1, 1]^3,
/// dt 0.008 s, 1000 steps. Reward: forward_reward_weight (x' - x) / dt + healthy_reward
/// - ctrl_cost_weight |a|^2. Healthy: z, angle and state inside their open ranges.
/// Task functions: exact, except (1) without x in the observation the forward velocity is
/// estimated as the mean of the clipped root x velocity (obs[5]) before and after, and (2) the
/// observation holds clipped velocities, so a raw |qvel| >= 100 that ends the env's episode is
/// not seen by `terminated`. Throws MujocoError for a model of another layout.
std::shared_ptr<const MujocoTask> make_hopper_task(const HopperOptions& options = {});

}  // namespace mbrl

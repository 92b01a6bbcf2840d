// Gymnasium Ant-v4 on MuJoCo (the 27-d observation without contact forces, as MBPO uses).
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <torch/arg.h>

#include "mbrl/envs/mujoco/mujoco_task.h"

namespace mbrl {

/// Options of Ant (Gymnasium v4's keyword arguments; registry type `ant`). v4's
/// `use_contact_forces` (contact forces in the observation and a contact cost) is not offered.
struct AntOptions {
  /// MJCF file with the built-in model's structure (free root joint, nq 15, nv 14, nu 8, a body
  /// named "torso"); "" uses the built-in one.
  TORCH_ARG(std::string, model_xml) = "";
  /// Physics steps of 0.01 s (RK4) per env step, >= 1 (dt = 0.05 s).
  TORCH_ARG(int, frame_skip) = 5;
  /// Weight of the control cost sum(a^2), >= 0.
  TORCH_ARG(double, ctrl_cost_weight) = 0.5;
  /// Reward for being healthy (v4: paid on every step when terminate_when_unhealthy).
  TORCH_ARG(double, healthy_reward) = 1.0;
  /// End the episode when the ant is not healthy.
  TORCH_ARG(bool, terminate_when_unhealthy) = true;
  /// Closed interval for the torso height qpos[2], [low, high].
  TORCH_ARG(std::vector<double>, healthy_z_range) = std::vector<double>{0.2, 1.0};
  /// Reset noise: qpos += U(-s, s), qvel += s N(0, 1); s >= 0.
  TORCH_ARG(double, reset_noise_scale) = 0.1;
  /// Leave the root x and y out of the observation (27-d); false gives 29-d with x, y first.
  TORCH_ARG(bool, exclude_current_positions_from_observation) = true;
};

/// Ant-v4: obs = [qpos[2:] (13), qvel (14)] (27-d), act in [-1, 1]^8, dt 0.05 s, 1000 steps.
/// Reward: v_x + healthy_reward - ctrl_cost_weight |a|^2, where v_x is the change of the torso
/// body's x position (mjData.xpos, as Gymnasium reads it) over dt. Healthy: the state is finite
/// and low <= z <= high. Task functions: exact except v_x, estimated as the mean of the root x
/// velocity (obs[13]) before and after, or (x' - x) / dt of the root joint when x is observed.
/// Throws MujocoError for a model of another layout.
std::shared_ptr<const MujocoTask> make_ant_task(const AntOptions& options = {});

}  // namespace mbrl

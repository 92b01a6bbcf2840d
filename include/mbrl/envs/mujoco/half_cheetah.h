// Gymnasium HalfCheetah-v4 on MuJoCo.
#pragma once

#include <memory>
#include <string>

#include <torch/arg.h>

#include "mbrl/envs/mujoco/mujoco_task.h"

namespace mbrl {

/// Options of HalfCheetah (Gymnasium v4's keyword arguments; registry type `half_cheetah`).
struct HalfCheetahOptions {
  /// MJCF file with the built-in model's structure (nq 9, nv 9, nu 6); "" uses the built-in one.
  TORCH_ARG(std::string, model_xml) = "";
  /// Physics steps of 0.01 s per env step, >= 1 (dt = 0.05 s).
  TORCH_ARG(int, frame_skip) = 5;
  /// Weight of the forward velocity (x' - x) / dt in the reward.
  TORCH_ARG(double, forward_reward_weight) = 1.0;
  /// Weight of the control cost sum(a^2), >= 0.
  TORCH_ARG(double, ctrl_cost_weight) = 0.1;
  /// Reset noise: qpos += U(-s, s), qvel += s N(0, 1); s >= 0.
  TORCH_ARG(double, reset_noise_scale) = 0.1;
  /// Leave the root x out of the observation (17-d); false gives 18-d with x first.
  TORCH_ARG(bool, exclude_current_positions_from_observation) = true;
};

/// HalfCheetah-v4: obs = [qpos[1:] (8), qvel (9)] (17-d), act in [-1, 1]^6, dt 0.05 s,
/// 1000 steps. Reward: forward_reward_weight (x' - x) / dt - ctrl_cost_weight |a|^2 with x the
/// root slide; never terminates. Task functions: exact, except that without x in the observation
/// the forward velocity is estimated as the mean of the root x velocity (obs[8]) before and after.
/// Throws MujocoError when `model_xml` does not compile or has another layout.
std::shared_ptr<const MujocoTask> make_half_cheetah_task(const HalfCheetahOptions& options = {});

}  // namespace mbrl

// The HalfCheetah variant of PETS (Chua et al. 2018): the forward velocity is the first
// observation, so the reward is a function of the observation.
#pragma once

#include <memory>
#include <string>

#include <torch/arg.h>

#include "mbrl/envs/mujoco/mujoco_task.h"

namespace mbrl {

/// Options of PETS's HalfCheetah (registry type `pets_half_cheetah`).
struct PetsHalfCheetahOptions {
  /// MJCF file with the half_cheetah model's structure; "" uses the built-in half_cheetah model.
  TORCH_ARG(std::string, model_xml) = "";
  /// Physics steps of 0.01 s per env step, >= 1 (dt = 0.05 s).
  TORCH_ARG(int, frame_skip) = 5;
  /// Weight of the control cost sum(a^2), >= 0.
  TORCH_ARG(double, ctrl_cost_weight) = 0.1;
  /// Reset noise: qpos, qvel += s N(0, 1); s >= 0.
  TORCH_ARG(double, reset_noise_scale) = 0.001;
};

/// PETS HalfCheetah (handful-of-trials `HalfCheetahEnv`): obs = [(x' - x) / dt, qpos[1:] (8),
/// qvel (9)] (18-d, obs[0] = 0 after reset), act in [-1, 1]^6, dt 0.05 s, 1000 steps.
/// Reward: next_obs[0] - ctrl_cost_weight |a|^2; never terminates. Task functions are exact.
/// (PETS models predict obs[0] itself, not its change: mbrl-lib's `no_delta_list: [0]`.)
std::shared_ptr<const MujocoTask> make_pets_half_cheetah_task(
    const PetsHalfCheetahOptions& options = {});

}  // namespace mbrl

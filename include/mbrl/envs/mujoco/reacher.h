// Gymnasium Reacher-v4 on MuJoCo.
#pragma once

#include <memory>
#include <string>

#include <torch/arg.h>

#include "mbrl/envs/mujoco/mujoco_task.h"

namespace mbrl {

/// Options of Reacher (registry type `reacher`).
struct ReacherOptions {
  /// MJCF file with the built-in model's structure (nq 4, nv 4, nu 2, bodies "fingertip" and
  /// "target"); "" uses the built-in one.
  TORCH_ARG(std::string, model_xml) = "";
  /// Physics steps of 0.01 s (RK4) per env step, >= 1 (dt = 0.02 s).
  TORCH_ARG(int, frame_skip) = 2;
};

/// Reacher-v4: obs = [cos q0, cos q1, sin q0, sin q1, target x, target y, q0', q1',
/// fingertip - target (x, y, z)] (11-d), act in [-1, 1]^2, dt 0.02 s, 50 steps.
/// Reset: joints += U(-0.1, 0.1), target ~ U(-0.2, 0.2)^2 until inside the 0.2 disc, joint
/// velocities U(-0.005, 0.005), target velocity 0. Reward (v4: distance *before* the step):
/// -|fingertip - target| - |a|^2, i.e. from obs[8:11]; never terminates. Task functions are exact.
/// Throws MujocoError for another layout.
std::shared_ptr<const MujocoTask> make_reacher_task(const ReacherOptions& options = {});

}  // namespace mbrl

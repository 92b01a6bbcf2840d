// The planar locomotion tasks (HalfCheetah, Hopper, Walker2d of Gymnasium v4) as one
// parametrized task: the root is a slide x, a slide z and a hinge y, first in qpos.
#pragma once

#include <array>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "mbrl/envs/mujoco/mujoco_task.h"
#include "mbrl/envs/task_functions.h"

namespace mbrl::detail {

/// Everything that differs between the planar locomotion tasks.
struct PlanarLocomotionSpec {
  std::string name;            // registry name
  int nq = 0, nv = 0, nu = 0;  // expected model sizes
  int frame_skip = 1;
  int64_t max_episode_steps = 1000;
  double forward_reward_weight = 1.0;
  double ctrl_cost_weight = 0.0;
  bool has_health = false;  // false: never terminates, no healthy reward (HalfCheetah)
  double healthy_reward = 0.0;
  bool terminate_when_unhealthy = true;
  std::array<double, 2> healthy_z_range{};      // open interval on qpos[1]
  std::array<double, 2> healthy_angle_range{};  // open interval on qpos[2]
  bool check_state_range = false;               // Hopper: qpos[2:] and qvel in an open interval
  std::array<double, 2> healthy_state_range{};
  double velocity_clip = std::numeric_limits<double>::infinity();  // of qvel in the observation
  double reset_noise_scale = 0.0;
  bool normal_velocity_noise = false;  // qvel noise: scale N(0,1) (true) or U(-scale, scale)
  bool exclude_current_positions_from_observation = true;
};

/// Checks the options common to the planar tasks; throws InvalidArgument naming the key.
void check_planar_spec(const PlanarLocomotionSpec& spec);

class PlanarLocomotionTask : public MujocoTask {
 public:
  PlanarLocomotionTask(PlanarLocomotionSpec spec, std::shared_ptr<const MujocoModel> model);

  void reset(mjData* d, std::mt19937_64& rng) const override;
  PreStep pre_step(const mjData* d) const override;
  double reward(const mjData* d, const PreStep& pre) const override;
  bool terminated(const mjData* d) const override;
  void observe(const mjData* d, const PreStep& pre, double* obs) const override;
  std::shared_ptr<const TaskFunctions> task_functions() const override { return functions_; }

  /// Gymnasium's is_healthy (true for tasks without a health condition).
  bool healthy(const mjData* d) const;

 private:
  PlanarLocomotionSpec spec_;
  std::shared_ptr<const TaskFunctions> functions_;
};

/// The same task over observations. The forward velocity Gymnasium rewards is (x' - x) / dt of
/// the root; when x is excluded from the observation (the default) it is estimated as the mean of
/// the root x velocity in obs and next_obs (trapezoidal rule), the only term that is not exact.
class PlanarLocomotionTaskFunctions : public TaskFunctions {
 public:
  /// low, high: [act_dim] control bounds (the reward's control cost uses the clipped action).
  PlanarLocomotionTaskFunctions(PlanarLocomotionSpec spec, double dt, at::Tensor low,
                                at::Tensor high);

  at::Tensor reward(const at::Tensor& obs, const at::Tensor& act,
                    const at::Tensor& next_obs) const override;
  at::Tensor terminated(const at::Tensor& next_obs) const override;

 private:
  at::Tensor healthy(const at::Tensor& next_obs) const;

  PlanarLocomotionSpec spec_;
  double dt_;
  int64_t offset_;  // 1 when qpos[0] is excluded from the observation
  int64_t obs_dim_;
  at::Tensor low_, high_;
};

}  // namespace mbrl::detail

namespace mbrl::detail {

/// A [low, high] option as an array; throws InvalidArgument naming `key` unless it has 2 values.
std::array<double, 2> range_option(const std::vector<double>& values, const char* key);

}  // namespace mbrl::detail

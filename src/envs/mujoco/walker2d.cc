// Walker2d-v4 as a planar locomotion task.
#include "mbrl/envs/mujoco/walker2d.h"

#include "planar_locomotion.h"

namespace mbrl {

std::shared_ptr<const MujocoTask> make_walker2d_task(const Walker2dOptions& o) {
  detail::PlanarLocomotionSpec s;
  s.name = "walker2d";
  s.nq = 9, s.nv = 9, s.nu = 6;
  s.frame_skip = o.frame_skip();
  s.max_episode_steps = 1000;
  s.forward_reward_weight = o.forward_reward_weight();
  s.ctrl_cost_weight = o.ctrl_cost_weight();
  s.has_health = true;
  s.healthy_reward = o.healthy_reward();
  s.terminate_when_unhealthy = o.terminate_when_unhealthy();
  s.healthy_z_range = detail::range_option(o.healthy_z_range(), "healthy_z_range");
  s.healthy_angle_range = detail::range_option(o.healthy_angle_range(), "healthy_angle_range");
  s.velocity_clip = 10.0;
  s.reset_noise_scale = o.reset_noise_scale();
  s.exclude_current_positions_from_observation = o.exclude_current_positions_from_observation();
  detail::check_planar_spec(s);
  return std::make_shared<detail::PlanarLocomotionTask>(
      s, load_mujoco_model("walker2d", o.model_xml()));
}

}  // namespace mbrl

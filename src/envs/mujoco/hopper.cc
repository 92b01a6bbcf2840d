// Hopper-v4 as a planar locomotion task.
#include "mbrl/envs/mujoco/hopper.h"

#include "planar_locomotion.h"

namespace mbrl {

std::shared_ptr<const MujocoTask> make_hopper_task(const HopperOptions& o) {
  detail::PlanarLocomotionSpec s;
  s.name = "hopper";
  s.nq = 6, s.nv = 6, s.nu = 3;
  s.frame_skip = o.frame_skip();
  s.max_episode_steps = 1000;
  s.forward_reward_weight = o.forward_reward_weight();
  s.ctrl_cost_weight = o.ctrl_cost_weight();
  s.has_health = true;
  s.healthy_reward = o.healthy_reward();
  s.terminate_when_unhealthy = o.terminate_when_unhealthy();
  s.healthy_z_range = detail::range_option(o.healthy_z_range(), "healthy_z_range");
  s.healthy_angle_range = detail::range_option(o.healthy_angle_range(), "healthy_angle_range");
  s.check_state_range = true;
  s.healthy_state_range = detail::range_option(o.healthy_state_range(), "healthy_state_range");
  s.velocity_clip = 10.0;
  s.reset_noise_scale = o.reset_noise_scale();
  s.exclude_current_positions_from_observation = o.exclude_current_positions_from_observation();
  detail::check_planar_spec(s);
  return std::make_shared<detail::PlanarLocomotionTask>(s,
                                                        load_mujoco_model("hopper", o.model_xml()));
}

}  // namespace mbrl

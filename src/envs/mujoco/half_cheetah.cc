// HalfCheetah-v4 as a planar locomotion task.
#include "mbrl/envs/mujoco/half_cheetah.h"

#include "planar_locomotion.h"

namespace mbrl {

std::shared_ptr<const MujocoTask> make_half_cheetah_task(const HalfCheetahOptions& o) {
  detail::PlanarLocomotionSpec s;
  s.name = "half_cheetah";
  s.nq = 9, s.nv = 9, s.nu = 6;
  s.frame_skip = o.frame_skip();
  s.max_episode_steps = 1000;
  s.forward_reward_weight = o.forward_reward_weight();
  s.ctrl_cost_weight = o.ctrl_cost_weight();
  s.has_health = false;
  s.reset_noise_scale = o.reset_noise_scale();
  s.normal_velocity_noise = true;
  s.exclude_current_positions_from_observation = o.exclude_current_positions_from_observation();
  detail::check_planar_spec(s);
  return std::make_shared<detail::PlanarLocomotionTask>(
      s, load_mujoco_model("half_cheetah", o.model_xml()));
}

}  // namespace mbrl

// Registry factories of the MuJoCo envs: options from config, one get_or per field.
#include "mbrl/envs/mujoco/mujoco_envs.h"

#include "mbrl/core/rng.h"
#include "mbrl/envs/mujoco/ant.h"
#include "mbrl/envs/mujoco/half_cheetah.h"
#include "mbrl/envs/mujoco/hopper.h"
#include "mbrl/envs/mujoco/inverted_pendulum.h"
#include "mbrl/envs/mujoco/mujoco_env.h"
#include "mbrl/envs/mujoco/pets_half_cheetah.h"
#include "mbrl/envs/mujoco/reacher.h"
#include "mbrl/envs/mujoco/walker2d.h"

namespace mbrl {
namespace {

// the same derivation as the classic envs', so an env's stream depends only on the run seed
uint64_t env_seed(const BuildContext& ctx) { return derive_seed(ctx.seed, "env"); }

std::shared_ptr<Env> make(std::shared_ptr<const MujocoTask> task, const BuildContext& ctx) {
  return std::make_shared<MujocoEnv>(std::move(task), env_seed(ctx));
}

}  // namespace

std::shared_ptr<Env> make_half_cheetah_env(const ConfigNode& node, const BuildContext& ctx) {
  HalfCheetahOptions o;
  MBRL_READ_OPTION(node, o, model_xml);
  MBRL_READ_OPTION(node, o, frame_skip);
  MBRL_READ_OPTION(node, o, forward_reward_weight);
  MBRL_READ_OPTION(node, o, ctrl_cost_weight);
  MBRL_READ_OPTION(node, o, reset_noise_scale);
  MBRL_READ_OPTION(node, o, exclude_current_positions_from_observation);
  return make(make_half_cheetah_task(o), ctx);
}

std::shared_ptr<Env> make_hopper_env(const ConfigNode& node, const BuildContext& ctx) {
  HopperOptions o;
  MBRL_READ_OPTION(node, o, model_xml);
  MBRL_READ_OPTION(node, o, frame_skip);
  MBRL_READ_OPTION(node, o, forward_reward_weight);
  MBRL_READ_OPTION(node, o, ctrl_cost_weight);
  MBRL_READ_OPTION(node, o, healthy_reward);
  MBRL_READ_OPTION(node, o, terminate_when_unhealthy);
  MBRL_READ_OPTION(node, o, healthy_state_range);
  MBRL_READ_OPTION(node, o, healthy_z_range);
  MBRL_READ_OPTION(node, o, healthy_angle_range);
  MBRL_READ_OPTION(node, o, reset_noise_scale);
  MBRL_READ_OPTION(node, o, exclude_current_positions_from_observation);
  return make(make_hopper_task(o), ctx);
}

std::shared_ptr<Env> make_walker2d_env(const ConfigNode& node, const BuildContext& ctx) {
  Walker2dOptions o;
  MBRL_READ_OPTION(node, o, model_xml);
  MBRL_READ_OPTION(node, o, frame_skip);
  MBRL_READ_OPTION(node, o, forward_reward_weight);
  MBRL_READ_OPTION(node, o, ctrl_cost_weight);
  MBRL_READ_OPTION(node, o, healthy_reward);
  MBRL_READ_OPTION(node, o, terminate_when_unhealthy);
  MBRL_READ_OPTION(node, o, healthy_z_range);
  MBRL_READ_OPTION(node, o, healthy_angle_range);
  MBRL_READ_OPTION(node, o, reset_noise_scale);
  MBRL_READ_OPTION(node, o, exclude_current_positions_from_observation);
  return make(make_walker2d_task(o), ctx);
}

std::shared_ptr<Env> make_ant_env(const ConfigNode& node, const BuildContext& ctx) {
  AntOptions o;
  MBRL_READ_OPTION(node, o, model_xml);
  MBRL_READ_OPTION(node, o, frame_skip);
  MBRL_READ_OPTION(node, o, ctrl_cost_weight);
  MBRL_READ_OPTION(node, o, healthy_reward);
  MBRL_READ_OPTION(node, o, terminate_when_unhealthy);
  MBRL_READ_OPTION(node, o, healthy_z_range);
  MBRL_READ_OPTION(node, o, reset_noise_scale);
  MBRL_READ_OPTION(node, o, exclude_current_positions_from_observation);
  return make(make_ant_task(o), ctx);
}

std::shared_ptr<Env> make_inverted_pendulum_env(const ConfigNode& node, const BuildContext& ctx) {
  InvertedPendulumOptions o;
  MBRL_READ_OPTION(node, o, model_xml);
  MBRL_READ_OPTION(node, o, frame_skip);
  MBRL_READ_OPTION(node, o, reset_noise_scale);
  return make(make_inverted_pendulum_task(o), ctx);
}

std::shared_ptr<Env> make_reacher_env(const ConfigNode& node, const BuildContext& ctx) {
  ReacherOptions o;
  MBRL_READ_OPTION(node, o, model_xml);
  MBRL_READ_OPTION(node, o, frame_skip);
  return make(make_reacher_task(o), ctx);
}

std::shared_ptr<Env> make_pets_half_cheetah_env(const ConfigNode& node, const BuildContext& ctx) {
  PetsHalfCheetahOptions o;
  MBRL_READ_OPTION(node, o, model_xml);
  MBRL_READ_OPTION(node, o, frame_skip);
  MBRL_READ_OPTION(node, o, ctrl_cost_weight);
  MBRL_READ_OPTION(node, o, reset_noise_scale);
  return make(make_pets_half_cheetah_task(o), ctx);
}

}  // namespace mbrl

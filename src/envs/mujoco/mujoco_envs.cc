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
  o.model_xml(node.get_or("model_xml", o.model_xml()));
  o.frame_skip(node.get_or("frame_skip", o.frame_skip()));
  o.forward_reward_weight(node.get_or("forward_reward_weight", o.forward_reward_weight()));
  o.ctrl_cost_weight(node.get_or("ctrl_cost_weight", o.ctrl_cost_weight()));
  o.reset_noise_scale(node.get_or("reset_noise_scale", o.reset_noise_scale()));
  o.exclude_current_positions_from_observation(
      node.get_or("exclude_current_positions_from_observation",
                  o.exclude_current_positions_from_observation()));
  return make(make_half_cheetah_task(o), ctx);
}

std::shared_ptr<Env> make_hopper_env(const ConfigNode& node, const BuildContext& ctx) {
  HopperOptions o;
  o.model_xml(node.get_or("model_xml", o.model_xml()));
  o.frame_skip(node.get_or("frame_skip", o.frame_skip()));
  o.forward_reward_weight(node.get_or("forward_reward_weight", o.forward_reward_weight()));
  o.ctrl_cost_weight(node.get_or("ctrl_cost_weight", o.ctrl_cost_weight()));
  o.healthy_reward(node.get_or("healthy_reward", o.healthy_reward()));
  o.terminate_when_unhealthy(node.get_or("terminate_when_unhealthy", o.terminate_when_unhealthy()));
  o.healthy_state_range(node.get_or("healthy_state_range", o.healthy_state_range()));
  o.healthy_z_range(node.get_or("healthy_z_range", o.healthy_z_range()));
  o.healthy_angle_range(node.get_or("healthy_angle_range", o.healthy_angle_range()));
  o.reset_noise_scale(node.get_or("reset_noise_scale", o.reset_noise_scale()));
  o.exclude_current_positions_from_observation(
      node.get_or("exclude_current_positions_from_observation",
                  o.exclude_current_positions_from_observation()));
  return make(make_hopper_task(o), ctx);
}

std::shared_ptr<Env> make_walker2d_env(const ConfigNode& node, const BuildContext& ctx) {
  Walker2dOptions o;
  o.model_xml(node.get_or("model_xml", o.model_xml()));
  o.frame_skip(node.get_or("frame_skip", o.frame_skip()));
  o.forward_reward_weight(node.get_or("forward_reward_weight", o.forward_reward_weight()));
  o.ctrl_cost_weight(node.get_or("ctrl_cost_weight", o.ctrl_cost_weight()));
  o.healthy_reward(node.get_or("healthy_reward", o.healthy_reward()));
  o.terminate_when_unhealthy(node.get_or("terminate_when_unhealthy", o.terminate_when_unhealthy()));
  o.healthy_z_range(node.get_or("healthy_z_range", o.healthy_z_range()));
  o.healthy_angle_range(node.get_or("healthy_angle_range", o.healthy_angle_range()));
  o.reset_noise_scale(node.get_or("reset_noise_scale", o.reset_noise_scale()));
  o.exclude_current_positions_from_observation(
      node.get_or("exclude_current_positions_from_observation",
                  o.exclude_current_positions_from_observation()));
  return make(make_walker2d_task(o), ctx);
}

std::shared_ptr<Env> make_ant_env(const ConfigNode& node, const BuildContext& ctx) {
  AntOptions o;
  o.model_xml(node.get_or("model_xml", o.model_xml()));
  o.frame_skip(node.get_or("frame_skip", o.frame_skip()));
  o.ctrl_cost_weight(node.get_or("ctrl_cost_weight", o.ctrl_cost_weight()));
  o.healthy_reward(node.get_or("healthy_reward", o.healthy_reward()));
  o.terminate_when_unhealthy(node.get_or("terminate_when_unhealthy", o.terminate_when_unhealthy()));
  o.healthy_z_range(node.get_or("healthy_z_range", o.healthy_z_range()));
  o.reset_noise_scale(node.get_or("reset_noise_scale", o.reset_noise_scale()));
  o.exclude_current_positions_from_observation(
      node.get_or("exclude_current_positions_from_observation",
                  o.exclude_current_positions_from_observation()));
  return make(make_ant_task(o), ctx);
}

std::shared_ptr<Env> make_inverted_pendulum_env(const ConfigNode& node, const BuildContext& ctx) {
  InvertedPendulumOptions o;
  o.model_xml(node.get_or("model_xml", o.model_xml()));
  o.frame_skip(node.get_or("frame_skip", o.frame_skip()));
  o.reset_noise_scale(node.get_or("reset_noise_scale", o.reset_noise_scale()));
  return make(make_inverted_pendulum_task(o), ctx);
}

std::shared_ptr<Env> make_reacher_env(const ConfigNode& node, const BuildContext& ctx) {
  ReacherOptions o;
  o.model_xml(node.get_or("model_xml", o.model_xml()));
  o.frame_skip(node.get_or("frame_skip", o.frame_skip()));
  return make(make_reacher_task(o), ctx);
}

std::shared_ptr<Env> make_pets_half_cheetah_env(const ConfigNode& node, const BuildContext& ctx) {
  PetsHalfCheetahOptions o;
  o.model_xml(node.get_or("model_xml", o.model_xml()));
  o.frame_skip(node.get_or("frame_skip", o.frame_skip()));
  o.ctrl_cost_weight(node.get_or("ctrl_cost_weight", o.ctrl_cost_weight()));
  o.reset_noise_scale(node.get_or("reset_noise_scale", o.reset_noise_scale()));
  return make(make_pets_half_cheetah_task(o), ctx);
}

}  // namespace mbrl

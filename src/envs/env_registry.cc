// The env registry: built-in envs, one line each, and the wrappers every env accepts.
#include "mbrl/envs/env_registry.h"

#include "mbrl/core/rng.h"
#include "mbrl/envs/classic/cartpole.h"
#include "mbrl/envs/classic/cartpole_swingup.h"
#include "mbrl/envs/classic/mountain_car.h"
#include "mbrl/envs/classic/mountain_car_continuous.h"
#include "mbrl/envs/classic/pendulum.h"
#include "mbrl/envs/memory/delayed_recall.h"
#include "mbrl/envs/mujoco/mujoco_envs.h"
#include "mbrl/envs/wrappers/distractor_observation.h"
#include "mbrl/envs/wrappers/observe_subset.h"
#include "mbrl/envs/wrappers/rescale_action.h"
#include "mbrl/envs/wrappers/time_limit.h"

namespace mbrl {
namespace {

uint64_t env_seed(const BuildContext& ctx) { return derive_seed(ctx.seed, "env"); }

std::shared_ptr<Env> make_cartpole(const ConfigNode&, const BuildContext& ctx) {
  return std::make_shared<CartpoleEnv>(env_seed(ctx));
}

std::shared_ptr<Env> make_cartpole_swingup(const ConfigNode&, const BuildContext& ctx) {
  return std::make_shared<CartpoleSwingupEnv>(env_seed(ctx));
}

std::shared_ptr<Env> make_pendulum(const ConfigNode& node, const BuildContext& ctx) {
  PendulumOptions o;
  o.gravity = node.get_or("gravity", o.gravity);
  return std::make_shared<PendulumEnv>(o, env_seed(ctx));
}

std::shared_ptr<Env> make_mountain_car(const ConfigNode&, const BuildContext& ctx) {
  return std::make_shared<MountainCarEnv>(env_seed(ctx));
}

std::shared_ptr<Env> make_mountain_car_continuous(const ConfigNode&, const BuildContext& ctx) {
  return std::make_shared<MountainCarContinuousEnv>(env_seed(ctx));
}

std::shared_ptr<Env> make_delayed_recall(const ConfigNode& node, const BuildContext& ctx) {
  return std::make_shared<DelayedRecallEnv>(delayed_recall_options_from_config(node),
                                            env_seed(ctx));
}

// `base` with the distractor dimensions of the node's `distractor:` section.
std::shared_ptr<Env> with_distractors(std::shared_ptr<Env> base, const ConfigNode& node,
                                      const BuildContext& ctx) {
  const ConfigNode section = node.section("distractor");
  return with_config_context(section, [&]() -> std::shared_ptr<Env> {
    return std::make_shared<DistractorObservation>(
        std::move(base), distractor_options_from_config(section), env_seed(ctx));
  });
}

std::shared_ptr<Env> make_hopper_distractor(const ConfigNode& node, const BuildContext& ctx) {
  return with_distractors(make_hopper_env(node, ctx), node, ctx);
}

std::shared_ptr<Env> make_cartpole_swingup_distractor(const ConfigNode& node,
                                                      const BuildContext& ctx) {
  return with_distractors(make_cartpole_swingup(node, ctx), node, ctx);
}

}  // namespace

Registry<Env>& env_registry() {
  static Registry<Env> registry("envs");
  return registry;
}

void register_envs() {
  auto& r = env_registry();
  if (r.contains("cartpole_swingup")) return;
  r.add("cartpole_swingup", make_cartpole_swingup, "PETS cart-pole swing-up (built in, no assets)");
  r.add("cartpole_v1", make_cartpole, "Gymnasium CartPole-v1, two discrete actions (built in)");
  r.add("pendulum", make_pendulum, "Gymnasium Pendulum-v1 (built in)");
  r.add("delayed_recall", make_delayed_recall,
        "memory task: a cue at the start, a reward that needs it `delay` steps later");
  r.add("mountain_car", make_mountain_car,
        "Gymnasium MountainCar-v0, three discrete actions (built in)");
  r.add("mountain_car_continuous", make_mountain_car_continuous,
        "Gymnasium MountainCarContinuous-v0 (built in)");
  r.add("half_cheetah", make_half_cheetah_env, "Gymnasium HalfCheetah-v4 (MuJoCo)");
  r.add("hopper", make_hopper_env, "Gymnasium Hopper-v4 (MuJoCo)");
  r.add("walker2d", make_walker2d_env, "Gymnasium Walker2d-v4 (MuJoCo)");
  r.add("ant", make_ant_env, "Gymnasium Ant-v4, 27-d obs without contact forces (MuJoCo)");
  r.add("inverted_pendulum", make_inverted_pendulum_env, "Gymnasium InvertedPendulum-v4 (MuJoCo)");
  r.add("reacher", make_reacher_env, "Gymnasium Reacher-v4 (MuJoCo)");
  r.add("hopper_distractor", make_hopper_distractor,
        "Hopper-v4 with `distractor.dimensions` irrelevant chaotic obs entries (VaGraM)");
  r.add("cartpole_swingup_distractor", make_cartpole_swingup_distractor,
        "PETS cart-pole swing-up with `distractor.dimensions` irrelevant chaotic obs entries");
  r.add("pets_half_cheetah", make_pets_half_cheetah_env,
        "PETS HalfCheetah: forward velocity as obs[0] (MuJoCo)");
}

std::shared_ptr<Env> make_env(const ConfigNode& node, const BuildContext& ctx) {
  std::shared_ptr<Env> env = env_registry().create(node, ctx);
  return with_config_context(node, [&]() -> std::shared_ptr<Env> {
    const auto steps = node.get_or<int64_t>("max_episode_steps", env->spec().max_episode_steps);
    if (node.get_or("normalize_actions", false)) {
      if (env->spec().discrete_actions) {
        throw node.error("normalize_actions", "env '" + env->spec().name +
                                                  "' has discrete actions: there is no action "
                                                  "range to rescale");
      }
      env = std::make_shared<RescaleAction>(env);
    }
    if (node.has("observe")) {
      env = std::make_shared<ObserveSubset>(env, node.get<std::vector<int64_t>>("observe"));
    }
    return std::make_shared<TimeLimit>(env, steps);
  });
}

}  // namespace mbrl

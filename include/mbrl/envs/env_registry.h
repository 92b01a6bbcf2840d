// The env registry and make_env, which builds an env with its wrappers from config.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "mbrl/core/registry.h"
#include "mbrl/envs/env.h"

namespace mbrl {

/// Registered env types (`mbrl list envs`).
Registry<Env>& env_registry();

/// Adds the built-in envs to env_registry(); called by register_builtins().
void register_envs();

/// Builds `node.type` with its options, then the wrappers that every env accepts:
///   max_episode_steps: time limit (default: the task's own, e.g. 200 for cartpole_swingup;
///                      0 disables it);
///   normalize_actions: act in [-1, 1] instead of the env's bounds (default false);
///   observe: a list of observation indices to keep, hiding the others (ObserveSubset; default:
///            all), e.g. [0, 1] for pendulum without its angular velocity.
/// The env's generator is seeded from `ctx.seed`.
std::shared_ptr<Env> make_env(const ConfigNode& node, const BuildContext& ctx);

}  // namespace mbrl

namespace mbrl {

/// Builds fresh instances of the run's env (same config), e.g. a separate evaluation env.
/// Provided in BuildContext by the experiment. `role` names the instance and derives its seed
/// ("train", "eval", ...), so instances never share a random stream.
struct EnvMaker {
  std::function<std::shared_ptr<Env>(const std::string& role)> make;
};

}  // namespace mbrl

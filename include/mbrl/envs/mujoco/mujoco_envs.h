// Registry factories of the MuJoCo envs: each reads its options from a config node (one key per
// option field, see the task headers) and builds a MujocoEnv seeded from the run seed.
#pragma once

#include <memory>

#include "mbrl/config/config_node.h"
#include "mbrl/core/build_context.h"
#include "mbrl/envs/env.h"

namespace mbrl {

std::shared_ptr<Env> make_half_cheetah_env(const ConfigNode& node, const BuildContext& ctx);
std::shared_ptr<Env> make_hopper_env(const ConfigNode& node, const BuildContext& ctx);
std::shared_ptr<Env> make_walker2d_env(const ConfigNode& node, const BuildContext& ctx);
std::shared_ptr<Env> make_ant_env(const ConfigNode& node, const BuildContext& ctx);
std::shared_ptr<Env> make_inverted_pendulum_env(const ConfigNode& node, const BuildContext& ctx);
std::shared_ptr<Env> make_reacher_env(const ConfigNode& node, const BuildContext& ctx);
std::shared_ptr<Env> make_pets_half_cheetah_env(const ConfigNode& node, const BuildContext& ctx);

}  // namespace mbrl

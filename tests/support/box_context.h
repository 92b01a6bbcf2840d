// A BuildContext for a made-up env with box spaces, for tests that build components by name.
#pragma once

#include <cstdint>

#include "mbrl/core/build_context.h"
#include "mbrl/register_builtins.h"

namespace mbrl::test {

/// The built-in components registered, and an env spec named "test" with observations in
/// [-10, 10]^obs_dim and actions in [-1, 1]^act_dim.
inline BuildContext box_context(int64_t obs_dim, int64_t act_dim) {
  register_builtins();
  BuildContext ctx;
  EnvSpec spec;
  spec.name = "test";
  spec.observation_space = Box::uniform(obs_dim, -10, 10);
  spec.action_space = Box::uniform(act_dim, -1, 1);
  ctx.env_spec = spec;
  return ctx;
}

}  // namespace mbrl::test

// Registers every built-in component (envs, models, planners, agents, algorithms).
#pragma once

namespace mbrl {

/// Calls each layer's register function; idempotent. Call once before building from config.
void register_builtins();

}  // namespace mbrl

// The agent registry.
#pragma once

#include "mbrl/agents/agent.h"
#include "mbrl/core/registry.h"

namespace mbrl {

/// Registered agent types (`mbrl list agents`). Factories read the env's spec from
/// BuildContext::env() and earlier components (a model) from BuildContext::get.
Registry<Agent>& agent_registry();

/// Adds the built-in agents; called by register_builtins().
void register_agents();

}  // namespace mbrl

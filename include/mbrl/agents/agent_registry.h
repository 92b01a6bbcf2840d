// The agent registry, and the registry of the agents that learn a policy from transition batches.
#pragma once

#include <memory>
#include <string>

#include "mbrl/agents/agent.h"
#include "mbrl/agents/learner.h"
#include "mbrl/core/registry.h"

namespace mbrl {

/// Registered agent types (`mbrl list agents`). Factories read the env's spec from
/// BuildContext::env() and earlier components (the model) from BuildContext::built. Every
/// policy learner is also an agent here.
Registry<Agent>& agent_registry();

/// Registered agents that learn a policy from transition batches (SAC): the ones the model-free
/// and Dyna loops (`sac`, `mbpo`) train.
Registry<PolicyLearner>& policy_learner_registry();

/// The policy learner of an `agent:` section, for algorithm `algorithm` (named in messages): a
/// ConfigError at `type` listing the policy learners when the section names another agent.
std::shared_ptr<PolicyLearner> make_policy_learner(const ConfigNode& agent, const BuildContext& ctx,
                                                   const std::string& algorithm);

/// Throws a ConfigError at the section's `type` when the env has discrete actions
/// (EnvSpec::discrete_actions): called by the factories of the agents that act in a continuous
/// box (sac, bc, mpc).
void require_continuous_actions(const ConfigNode& agent, const BuildContext& ctx);

/// Adds the built-in agents; called by register_builtins().
void register_agents();

}  // namespace mbrl

// The agent registry: built-in agents, one line each.
#include "mbrl/agents/agent_registry.h"

#include "mbrl/agents/bc_agent.h"
#include "mbrl/agents/dreamer/dreamer_agent.h"
#include "mbrl/agents/mpc_agent.h"
#include "mbrl/agents/random_agent.h"
#include "mbrl/agents/sac_agent.h"
#include "mbrl/agents/scorer_registry.h"

namespace mbrl {
namespace {

std::shared_ptr<Agent> make_random_agent(const ConfigNode&, const BuildContext& ctx) {
  return std::make_shared<RandomAgent>(ctx.env().action_space, ctx.cpu_generator("agent"),
                                       ctx.env().discrete_actions);
}

}  // namespace

void require_continuous_actions(const ConfigNode& agent, const BuildContext& ctx) {
  if (!ctx.env().discrete_actions) return;
  throw agent.error("type", "agent '" + agent.get<std::string>("type") +
                                "' acts in a continuous action box, but env '" + ctx.env().name +
                                "' has discrete actions (agents for them: dreamer, random)");
}

Registry<Agent>& agent_registry() {
  static Registry<Agent> registry("agents");
  return registry;
}

Registry<PolicyLearner>& policy_learner_registry() {
  static Registry<PolicyLearner> registry("policy learners");
  return registry;
}

std::shared_ptr<PolicyLearner> make_policy_learner(const ConfigNode& agent, const BuildContext& ctx,
                                                   const std::string& algorithm) {
  const auto& learners = policy_learner_registry();
  const std::string type = agent.get<std::string>("type");
  if (!learners.contains(type)) {
    std::string known;
    for (const auto& t : learners.types()) known += (known.empty() ? "" : ", ") + t;
    throw agent.error("type", "algorithm '" + algorithm +
                                  "' needs an agent that learns from transition batches (" + known +
                                  "), got '" + type + "'");
  }
  return learners.create(agent, ctx);
}

void register_agents() {
  register_scorers();
  auto& r = agent_registry();
  if (r.contains("random")) return;
  auto& learners = policy_learner_registry();
  learners.add("sac", make_sac_agent,
               "soft actor-critic (tanh-Gaussian actor, twin Q, auto entropy)");
  learners.add("bc", make_bc_agent,
               "behaviour cloning: a tanh MLP policy regressed onto a dataset's actions");

  r.add("dreamer", make_dreamer_agent,
        "DreamerV3: a latent world model on a sequence backbone, actor-critic in imagination");
  r.add("mpc", make_mpc_agent, "MPC: an action optimizer on a scorer (`mbrl list scorers`)");
  r.add("random", make_random_agent, "uniform random actions within the action bounds");
  for (const auto& type : learners.types()) {
    r.add(
        type,
        [type](const ConfigNode& node, const BuildContext& ctx) -> std::shared_ptr<Agent> {
          return policy_learner_registry().create_named(type, node, ctx, "type");
        },
        learners.entry(type).summary);
  }
}

}  // namespace mbrl

// The agent registry: built-in agents, one line each.
#include "mbrl/agents/agent_registry.h"

#include "mbrl/agents/mpc_agent.h"
#include "mbrl/agents/random_agent.h"
#include "mbrl/agents/sac_agent.h"
#include "mbrl/agents/scorer_registry.h"

namespace mbrl {
namespace {

std::shared_ptr<Agent> make_random_agent(const ConfigNode&, const BuildContext& ctx) {
  return std::make_shared<RandomAgent>(ctx.env().action_space, ctx.cpu_generator("agent"));
}

}  // namespace

Registry<Agent>& agent_registry() {
  static Registry<Agent> registry("agents");
  return registry;
}

void register_agents() {
  register_scorers();
  auto& r = agent_registry();
  if (r.contains("random")) return;
  r.add("mpc", make_mpc_agent, "MPC: an action optimizer on a scorer (`mbrl list scorers`)");
  r.add("random", make_random_agent, "uniform random actions within the action bounds");
  r.add("sac", make_sac_agent, "soft actor-critic (tanh-Gaussian actor, twin Q, auto entropy)");
}

}  // namespace mbrl

// The algorithm registry: built-in training loops, one line each.
#include "mbrl/algorithms/algorithm.h"

#include "mbrl/agents/agent_registry.h"
#include "mbrl/algorithms/collect.h"
#include "mbrl/algorithms/dreamer_loop.h"
#include "mbrl/algorithms/fit_model.h"
#include "mbrl/algorithms/mbpo.h"
#include "mbrl/algorithms/offline_mbpo.h"
#include "mbrl/algorithms/pets.h"
#include "mbrl/algorithms/sac_loop.h"

namespace mbrl {

void Algorithm::save_checkpoint(torch::serialize::OutputArchive&) const {
  throw Error("this algorithm does not support checkpoints");
}

void Algorithm::load_checkpoint(torch::serialize::InputArchive&) {
  throw Error("this algorithm does not support checkpoints");
}

namespace {

std::shared_ptr<Algorithm> make_collect(const ConfigNode& node, const BuildContext& ctx,
                                        const ConfigNode& agent) {
  CollectOptions o;
  MBRL_READ_OPTION(node, o, episodes);
  MBRL_READ_OPTION(node, o, save_buffer);
  MBRL_ASSERT(ctx.built.env, "algorithm 'collect' built before the env");
  return std::make_shared<CollectAlgorithm>(o, ctx.built.env, agent_registry().create(agent, ctx));
}

}  // namespace

AlgorithmRegistry& algorithm_registry() {
  static AlgorithmRegistry registry("algorithms");
  return registry;
}

void register_algorithms() {
  auto& r = algorithm_registry();
  if (r.contains("collect")) return;
  r.add("collect", make_collect, "run the agent for N episodes and log returns (no learning)");
  r.add(
      "dreamer", make_dreamer_loop,
      "DreamerV3: world model on replayed sequences, actor-critic in imagination (agent dreamer)");
  r.add("fit_model", make_fit_model,
        "fit a model on collected episodes; one-step and open-loop errors on held-out episodes");
  r.add("mobile", make_mobile,
        "MOBILE: offline, SAC with a Bellman-inconsistency penalty on model data (agent sac)");
  r.add("mopo", make_mopo,
        "MOPO: offline, SAC on uncertainty-penalised ensemble rollouts from a D4RL dataset "
        "(MOREC-MOPO with a dynamics_reward section)");
  r.add("offline", make_offline_model_free,
        "offline, model-free: the agent learns from the dataset's minibatches alone (e.g. bc)");
  r.add("ravl", make_ravl,
        "RAVL: offline, no penalty; an EDAC critic ensemble on ensemble rollouts (agent sac)");
  r.add("pets", make_pets, "PETS: ensemble + MPC, retrained on all data each trial");
  r.add("mbpo", make_mbpo, "MBPO: SAC on short ensemble rollouts branched from real states");
  r.add("sac", make_sac_loop, "model-free soft actor-critic on the real env (needs agent sac)");
}

}  // namespace mbrl

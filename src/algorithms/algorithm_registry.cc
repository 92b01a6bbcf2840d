// The algorithm registry: built-in training loops, one line each.
#include "mbrl/algorithms/algorithm.h"
#include "mbrl/algorithms/collect.h"
#include "mbrl/algorithms/mbpo.h"
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

// a component built before the algorithm, or a ConfigError naming the missing section
template <class T>
std::shared_ptr<T> required(const BuildContext& ctx, const ConfigNode& node, const char* section,
                            const char* algorithm) {
  auto c = ctx.get<T>();
  if (!c)
    throw node.error(std::string("algorithm '") + algorithm + "' needs a '" + section +
                     "' section");
  return c;
}

std::shared_ptr<Algorithm> make_collect(const ConfigNode& node, const BuildContext& ctx) {
  CollectOptions o;
  o.episodes(node.get_or("episodes", o.episodes()));
  o.save_buffer(node.get_or("save_buffer", o.save_buffer()));
  return std::make_shared<CollectAlgorithm>(o, required<Env>(ctx, node, "env", "collect"),
                                            required<Agent>(ctx, node, "agent", "collect"));
}

}  // namespace

Registry<Algorithm>& algorithm_registry() {
  static Registry<Algorithm> registry("algorithms");
  return registry;
}

void register_algorithms() {
  auto& r = algorithm_registry();
  if (r.contains("collect")) return;
  r.add("collect", make_collect, "run the agent for N episodes and log returns (no learning)");
  r.add("pets", make_pets, "PETS: ensemble + MPC, retrained on all data each trial");
  r.add("mbpo", make_mbpo, "MBPO: SAC on short ensemble rollouts branched from real states");
  r.add("sac", make_sac_loop, "model-free soft actor-critic on the real env (needs agent sac)");
}

}  // namespace mbrl

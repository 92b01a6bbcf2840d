// The action optimizer registry: built-in optimizers, one line each.
#include "mbrl/planners/optimizer_registry.h"

#include "mbrl/planners/cem.h"
#include "mbrl/planners/icem.h"
#include "mbrl/planners/mppi.h"
#include "mbrl/planners/random_shooting.h"

namespace mbrl {
namespace {

// every optimizer samples from its own generator on the run's device, sized by the env's actions
std::shared_ptr<ActionOptimizer> make_cem(const ConfigNode& node, const BuildContext& ctx) {
  CemOptions o;
  o.num_iterations(node.get_or("num_iterations", o.num_iterations()));
  o.population_size(node.get_or("population_size", o.population_size()));
  o.elite_ratio(node.get_or("elite_ratio", o.elite_ratio()));
  o.alpha(node.get_or("alpha", o.alpha()));
  o.return_mean_elites(node.get_or("return_mean_elites", o.return_mean_elites()));
  o.clipped_normal(node.get_or("clipped_normal", o.clipped_normal()));
  o.min_variance(node.get_or("min_variance", o.min_variance()));
  return std::make_shared<CemOptimizer>(o, ctx.env().action_space, ctx.device,
                                        ctx.generator("optimizer"));
}

std::shared_ptr<ActionOptimizer> make_icem(const ConfigNode& node, const BuildContext& ctx) {
  IcemOptions o;
  o.num_iterations(node.get_or("num_iterations", o.num_iterations()));
  o.population_size(node.get_or("population_size", o.population_size()));
  o.elite_ratio(node.get_or("elite_ratio", o.elite_ratio()));
  o.alpha(node.get_or("alpha", o.alpha()));
  o.return_mean_elites(node.get_or("return_mean_elites", o.return_mean_elites()));
  o.colored_noise_exponent(node.get_or("colored_noise_exponent", o.colored_noise_exponent()));
  o.keep_elite_frac(node.get_or("keep_elite_frac", o.keep_elite_frac()));
  o.population_decay_factor(node.get_or("population_decay_factor", o.population_decay_factor()));
  return std::make_shared<IcemOptimizer>(o, ctx.env().action_space, ctx.device,
                                         ctx.generator("optimizer"));
}

std::shared_ptr<ActionOptimizer> make_mppi(const ConfigNode& node, const BuildContext& ctx) {
  MppiOptions o;
  o.num_iterations(node.get_or("num_iterations", o.num_iterations()));
  o.population_size(node.get_or("population_size", o.population_size()));
  o.gamma(node.get_or("gamma", o.gamma()));
  o.sigma(node.get_or("sigma", o.sigma()));
  o.beta(node.get_or("beta", o.beta()));
  return std::make_shared<MppiOptimizer>(o, ctx.env().action_space, ctx.device,
                                         ctx.generator("optimizer"));
}

std::shared_ptr<ActionOptimizer> make_random_shooting(const ConfigNode& node,
                                                      const BuildContext& ctx) {
  RandomShootingOptions o;
  o.population_size(node.get_or("population_size", o.population_size()));
  return std::make_shared<RandomShootingOptimizer>(o, ctx.env().action_space, ctx.device,
                                                   ctx.generator("optimizer"));
}

}  // namespace

Registry<ActionOptimizer>& optimizer_registry() {
  static Registry<ActionOptimizer> registry("optimizers");
  return registry;
}

void register_optimizers() {
  auto& r = optimizer_registry();
  if (r.contains("cem")) return;
  r.add("cem", make_cem, "cross-entropy method of PETS (truncated normal, momentum, early stop)");
  r.add("icem", make_icem, "improved CEM: coloured noise, population decay, kept elites");
  r.add("mppi", make_mppi, "model predictive path integral with smoothed noise (PDDM)");
  r.add("random_shooting", make_random_shooting, "best of uniformly random action sequences");
}

}  // namespace mbrl

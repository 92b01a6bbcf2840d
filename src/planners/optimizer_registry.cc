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
  MBRL_READ_OPTION(node, o, num_iterations);
  MBRL_READ_OPTION(node, o, population_size);
  MBRL_READ_OPTION(node, o, elite_ratio);
  MBRL_READ_OPTION(node, o, alpha);
  MBRL_READ_OPTION(node, o, return_mean_elites);
  MBRL_READ_OPTION(node, o, clipped_normal);
  MBRL_READ_OPTION(node, o, min_variance);
  return std::make_shared<CemOptimizer>(o, ctx.env().action_space, ctx.device,
                                        ctx.generator("optimizer"));
}

std::shared_ptr<ActionOptimizer> make_icem(const ConfigNode& node, const BuildContext& ctx) {
  IcemOptions o;
  MBRL_READ_OPTION(node, o, num_iterations);
  MBRL_READ_OPTION(node, o, population_size);
  MBRL_READ_OPTION(node, o, elite_ratio);
  MBRL_READ_OPTION(node, o, alpha);
  MBRL_READ_OPTION(node, o, return_mean_elites);
  MBRL_READ_OPTION(node, o, colored_noise_exponent);
  MBRL_READ_OPTION(node, o, keep_elite_frac);
  MBRL_READ_OPTION(node, o, population_decay_factor);
  return std::make_shared<IcemOptimizer>(o, ctx.env().action_space, ctx.device,
                                         ctx.generator("optimizer"));
}

std::shared_ptr<ActionOptimizer> make_mppi(const ConfigNode& node, const BuildContext& ctx) {
  MppiOptions o;
  MBRL_READ_OPTION(node, o, num_iterations);
  MBRL_READ_OPTION(node, o, population_size);
  MBRL_READ_OPTION(node, o, gamma);
  MBRL_READ_OPTION(node, o, sigma);
  MBRL_READ_OPTION(node, o, beta);
  return std::make_shared<MppiOptimizer>(o, ctx.env().action_space, ctx.device,
                                         ctx.generator("optimizer"));
}

std::shared_ptr<ActionOptimizer> make_random_shooting(const ConfigNode& node,
                                                      const BuildContext& ctx) {
  RandomShootingOptions o;
  MBRL_READ_OPTION(node, o, population_size);
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

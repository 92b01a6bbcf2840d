// The model registry: built-in dynamics models, one line each.
#include "mbrl/models/model_registry.h"

#include "mbrl/models/gaussian_mlp_ensemble.h"

namespace mbrl {
namespace {

// parameters on ctx.device, initialised from the run's "model" generator
std::shared_ptr<DynamicsModel> make_gaussian_mlp_ensemble(const ConfigNode& node,
                                                          const BuildContext& ctx) {
  const EnvSpec& env = ctx.env();
  auto model = std::make_shared<GaussianMlpEnsemble>(
      gaussian_mlp_ensemble_options_from_config(node, env.obs_dim(), env.act_dim()),
      ctx.cpu_generator("model"));
  model->to(ctx.device);
  return model;
}

}  // namespace

Registry<DynamicsModel>& model_registry() {
  static Registry<DynamicsModel> registry("models");
  return registry;
}

void register_models() {
  auto& r = model_registry();
  if (r.contains("gaussian_mlp_ensemble")) return;
  r.add("gaussian_mlp_ensemble", make_gaussian_mlp_ensemble,
        "probabilistic MLP ensemble over state deltas (PETS, MBPO, MOPO)");
}

}  // namespace mbrl

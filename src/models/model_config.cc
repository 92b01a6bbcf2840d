// Reading the model layer's options from config sections: one get_or per key.
#include "mbrl/config/config_node.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/model_env.h"
#include "mbrl/models/model_trainer.h"

namespace mbrl {

GaussianMlpEnsembleOptions gaussian_mlp_ensemble_options_from_config(const ConfigNode& node,
                                                                     int64_t obs_dim,
                                                                     int64_t act_dim) {
  GaussianMlpEnsembleOptions o(obs_dim, act_dim);
  MBRL_READ_OPTION(node, o, ensemble_size);
  MBRL_READ_OPTION(node, o, num_layers);
  MBRL_READ_OPTION(node, o, hidden_size);
  o.activation(parse_activation(node.get_or<std::string>("activation", "silu")));
  o.loss(parse_ensemble_loss(node.get_or<std::string>("loss", ensemble_loss_name(o.loss()))));
  MBRL_READ_OPTION(node, o, vagram_clip_quantile);
  o.sample_weighting(sample_weighting_options_from_config(node.section("sample_weighting")));
  MBRL_READ_OPTION(node, o, learn_logvar_bounds);
  MBRL_READ_OPTION(node, o, min_logvar);
  MBRL_READ_OPTION(node, o, max_logvar);

  // one number for every layer, or a list with one per layer
  if (node.has("weight_decay") && node.yaml()["weight_decay"].IsSequence()) {
    o.weight_decay(node.get<std::vector<double>>("weight_decay"));
  } else {
    const double wd = node.get_or("weight_decay", 0.0);
    o.weight_decay(wd > 0 ? std::vector<double>{wd} : std::vector<double>{});
  }
  MBRL_READ_OPTION(node, o, no_delta_list);
  MBRL_READ_OPTION(node, o, angle_dims);
  MBRL_READ_OPTION(node, o, learn_reward);
  MBRL_READ_OPTION(node, o, learn_termination);
  o.num_elites(node.get_or<int64_t>("num_elites", std::min<int64_t>(5, o.ensemble_size())));
  return o;
}

ModelTrainerOptions model_trainer_options_from_config(const ConfigNode& node,
                                                      ModelTrainerOptions defaults) {
  ModelTrainerOptions o = defaults;
  MBRL_READ_OPTION(node, o, lr);
  MBRL_READ_OPTION(node, o, adam_eps);
  MBRL_READ_OPTION(node, o, batch_size);
  MBRL_READ_OPTION(node, o, num_epochs);
  MBRL_READ_OPTION(node, o, max_gradient_steps);
  MBRL_READ_OPTION(node, o, patience);
  MBRL_READ_OPTION(node, o, improvement_threshold);
  MBRL_READ_OPTION(node, o, validation_ratio);
  MBRL_READ_OPTION(node, o, max_validation_size);
  MBRL_READ_OPTION(node, o, bootstrap);
  MBRL_READ_OPTION(node, o, fused);
  return o;
}

ModelEnvOptions model_env_options_from_config(const ConfigNode& node) {
  ModelEnvOptions o;
  MBRL_READ_OPTION(node, o, particles);
  o.propagation(parse_propagation(
      node.get_or<std::string>("propagation", propagation_name(o.propagation()))));
  MBRL_READ_OPTION(node, o, sample);
  return o;
}

}  // namespace mbrl

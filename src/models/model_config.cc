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
  o.ensemble_size(node.get_or("ensemble_size", o.ensemble_size()));
  o.num_layers(node.get_or("num_layers", o.num_layers()));
  o.hidden_size(node.get_or("hidden_size", o.hidden_size()));
  o.activation(parse_activation(node.get_or<std::string>("activation", "silu")));
  o.deterministic(node.get_or("deterministic", o.deterministic()));
  o.learn_logvar_bounds(node.get_or("learn_logvar_bounds", o.learn_logvar_bounds()));
  o.min_logvar(node.get_or("min_logvar", o.min_logvar()));
  o.max_logvar(node.get_or("max_logvar", o.max_logvar()));

  // one number for every layer, or a list with one per layer
  if (node.has("weight_decay") && node.yaml()["weight_decay"].IsSequence()) {
    o.weight_decay(node.get<std::vector<double>>("weight_decay"));
  } else {
    const double wd = node.get_or("weight_decay", 0.0);
    o.weight_decay(wd > 0 ? std::vector<double>{wd} : std::vector<double>{});
  }
  o.no_delta_list(node.get_or("no_delta_list", o.no_delta_list()));
  o.angle_dims(node.get_or("angle_dims", o.angle_dims()));
  o.learn_reward(node.get_or("learn_reward", o.learn_reward()));
  o.learn_termination(node.get_or("learn_termination", o.learn_termination()));
  o.num_elites(node.get_or<int64_t>("num_elites", std::min<int64_t>(5, o.ensemble_size())));
  return o;
}

ModelTrainerOptions model_trainer_options_from_config(const ConfigNode& node,
                                                      ModelTrainerOptions defaults) {
  ModelTrainerOptions o = defaults;
  o.lr(node.get_or("lr", o.lr()));
  o.adam_eps(node.get_or("adam_eps", o.adam_eps()));
  o.batch_size(node.get_or("batch_size", o.batch_size()));
  o.num_epochs(node.get_or("num_epochs", o.num_epochs()));
  o.max_gradient_steps(node.get_or("max_gradient_steps", o.max_gradient_steps()));
  o.patience(node.get_or("patience", o.patience()));
  o.improvement_threshold(node.get_or("improvement_threshold", o.improvement_threshold()));
  o.validation_ratio(node.get_or("validation_ratio", o.validation_ratio()));
  o.max_validation_size(node.get_or("max_validation_size", o.max_validation_size()));
  o.bootstrap(node.get_or("bootstrap", o.bootstrap()));
  o.fused(node.get_or("fused", o.fused()));
  return o;
}

ModelEnvOptions model_env_options_from_config(const ConfigNode& node) {
  ModelEnvOptions o;
  o.particles(node.get_or("particles", o.particles()));
  o.propagation(parse_propagation(
      node.get_or<std::string>("propagation", propagation_name(o.propagation()))));
  o.sample(node.get_or("sample", o.sample()));
  return o;
}

}  // namespace mbrl

// The model registry and the learner registry: built-in dynamics models and their learners, one
// line each.
#include "mbrl/models/model_registry.h"

#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/lsse_learner.h"
#include "mbrl/models/lsse_model.h"
#include "mbrl/models/model_learner.h"
#include "mbrl/models/model_trainer.h"
#include "mbrl/models/sequence/sequence_backbone.h"
#include "mbrl/models/sequence/sequence_model.h"
#include "mbrl/models/sequence/sequence_model_learner.h"

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

std::shared_ptr<ModelLearner> make_ensemble_trainer(const ConfigNode& section,
                                                    std::shared_ptr<GaussianMlpEnsemble> model,
                                                    const ModelTrainerOptions& defaults) {
  return std::make_shared<ModelTrainer>(model_trainer_options_from_config(section, defaults),
                                        std::move(model));
}

std::shared_ptr<DynamicsModel> make_lsse(const ConfigNode& node, const BuildContext& ctx) {
  const EnvSpec& env = ctx.env();
  auto model = std::make_shared<LsseModel>(
      lsse_options_from_config(node, env.obs_dim(), env.act_dim()), ctx.cpu_generator("model"));
  model->to(ctx.device);
  return model;
}

std::shared_ptr<ModelLearner> make_lsse_learner(const ConfigNode& section,
                                                std::shared_ptr<LsseModel> model,
                                                const ModelTrainerOptions&) {
  return std::make_shared<LsseLearner>(lsse_learner_options_from_config(section), std::move(model));
}

// the backbone from the `backbone:` section, reading [obs, act]
std::shared_ptr<DynamicsModel> make_sequence_model(const ConfigNode& node,
                                                   const BuildContext& ctx) {
  const EnvSpec& env = ctx.env();
  if (!node.has("backbone")) {
    throw node.error(
        "model 'sequence_model' needs a 'backbone' section (type: gru, transformer, "
        "s4d or mamba)");
  }
  const SequenceModelOptions options =
      sequence_model_options_from_config(node, env.obs_dim(), env.act_dim());
  auto backbone =
      backbone_registry().create(node.child("backbone"), ctx, env.obs_dim() + env.act_dim());
  auto model = std::make_shared<SequenceModel>(options, std::move(backbone));
  model->to(ctx.device);
  return model;
}

std::shared_ptr<ModelLearner> make_sequence_model_learner(const ConfigNode& section,
                                                          std::shared_ptr<SequenceModel> model,
                                                          const ModelTrainerOptions&) {
  return std::make_shared<SequenceModelLearner>(sequence_model_learner_options_from_config(section),
                                                std::move(model));
}

}  // namespace

Registry<DynamicsModel>& model_registry() {
  static Registry<DynamicsModel> registry("models");
  return registry;
}

ModelLearnerRegistry& model_learner_registry() {
  static ModelLearnerRegistry registry;
  return registry;
}

void ModelLearnerRegistry::add(const std::string& model_type, ModelLearnerFactory factory) {
  MBRL_ASSERT(!factories_.count(model_type), "duplicate learner of model type '", model_type, "'");
  factories_[model_type] = std::move(factory);
}

std::shared_ptr<ModelLearner> ModelLearnerRegistry::create(
    const ConfigNode& section, std::shared_ptr<DynamicsModel> model,
    const ModelTrainerOptions& defaults, std::shared_ptr<DataParallel> data_parallel) const {
  MBRL_ASSERT(model != nullptr, "ModelLearnerRegistry::create without a model");
  auto it = factories_.find(model->type());
  if (it == factories_.end())
    throw section.error("model type '" + model->type() + "' has no registered learner");
  auto learner = with_config_context(section, [&] { return it->second(section, model, defaults); });
  if (data_parallel && !learner->set_data_parallel(data_parallel)) {
    throw section.error("the learner of model type '" + model->type() +
                        "' trains in one process; data-parallel training (mbrl train --nproc, "
                        "WORLD_SIZE > 1) supports gaussian_mlp_ensemble and sequence_model");
  }
  return learner;
}

void refuse_value_gradient_loss(const ModelLearner& learner, const ConfigNode& node,
                                const std::string& algorithm) {
  if (!learner.needs_value_gradients()) return;
  throw node.error("algorithm '" + algorithm +
                   "' has no value functions for the model's loss 'vagram' (it weights the "
                   "model's errors by a critic's value gradients: use it with mbpo)");
}

void register_models() {
  register_backbones();
  auto& r = model_registry();
  if (r.contains("gaussian_mlp_ensemble")) return;
  r.add("gaussian_mlp_ensemble", make_gaussian_mlp_ensemble,
        "probabilistic MLP ensemble over state deltas (PETS, MBPO, MOPO)");
  r.add("lsse", make_lsse,
        "linear model on sparse locality-sensitive features, exact online least squares (LSSE)");
  r.add("sequence_model", make_sequence_model,
        "world model with memory: a sequence backbone (gru, transformer, s4d, mamba) + MLP head");
  auto& learners = model_learner_registry();
  learners.add<GaussianMlpEnsemble>("gaussian_mlp_ensemble", make_ensemble_trainer);
  learners.add<LsseModel>("lsse", make_lsse_learner);
  learners.add<SequenceModel>("sequence_model", make_sequence_model_learner);
}

}  // namespace mbrl

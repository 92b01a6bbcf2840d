// ModelLearner: how a DynamicsModel is fitted to an agent's experience (the ensemble's retraining
// with early stopping and elites, LSSE's incremental least squares, ...), one call per
// model-training phase of an algorithm; and the registry that makes the learner of each model.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>

#include "mbrl/core/check.h"
#include "mbrl/io/archive_fwd.h"

namespace mbrl {

class ConfigNode;
class DataParallel;
class DynamicsModel;
class MetricsWriter;
class ReplayBuffer;
class ValueGradientSource;
struct ModelTrainerOptions;

/// What one training call did. Learners without epochs report one epoch per call.
struct ModelTrainResult {
  std::vector<double> train_loss;     // per epoch: mean training loss over its gradient steps
  std::vector<double> holdout_score;  // per epoch: mean over members of the holdout MSE
  int64_t epochs = 0;
  int64_t gradient_steps = 0;
  bool stopped_early = false;              // ended by patience
  std::vector<double> best_holdout_score;  // per member: the score of the weights kept
  std::vector<int64_t> elites;             // the members with the lowest best_holdout_score
  // members whose kept weights score no better (by the improvement threshold) on this call's
  // holdout than their weights before the call; 0 for learners without a holdout
  int64_t members_not_better_than_before = 0;
};

/// Fits one DynamicsModel to the transitions an algorithm has collected. Algorithms (PETS, MBPO)
/// call `train` whenever their schedule says so and know nothing else of how the model learns:
/// a learner may retrain on everything (the ensemble) or consume only what was added since its
/// previous call (LSSE). Its state (optimizer moments, sufficient statistics) is saved with
/// `save` beside the model's, so a resumed run continues exactly.
///
/// Threading contract: one thread at a time; the model must not be used concurrently.
class ModelLearner {
 public:
  virtual ~ModelLearner() = default;

  /// The model this learner trains.
  virtual std::shared_ptr<DynamicsModel> model() const = 0;
  /// Fits the model to `replay` (at least 2 transitions). gen: a CPU generator for any random
  /// split or minibatch. With `metrics`, the learner may log its own rows (group `model_train`).
  /// Throws NonFiniteError naming the step when a loss or estimate becomes non-finite.
  virtual ModelTrainResult train(const ReplayBuffer& replay, at::Generator& gen,
                                 MetricsWriter* metrics = nullptr) = 0;
  /// Writes the learner's own state (not the model's).
  virtual void save(torch::serialize::OutputArchive& archive) const = 0;
  /// Restores what `save` wrote; throws DataError when the archive does not match.
  virtual void load(torch::serialize::InputArchive& archive) = 0;

  /// True when the learner's loss weights the model's errors by value gradients (an ensemble
  /// with `loss: vagram`): the algorithm must then hand it the policy learner's value functions
  /// with `set_value_gradient_source` before the first `train`, or refuse the config.
  virtual bool needs_value_gradients() const { return false; }
  /// The value functions `train` takes the gradients from; kept for the learner's lifetime.
  /// Learners that do not need them ignore it.
  virtual void set_value_gradient_source(std::shared_ptr<ValueGradientSource> /*source*/) {}

  /// True when `train` gives the same results however many threads share_cpus() leaves
  /// running (its work split into configured_threads() parts): a loop may then call
  /// share_cpus() while it trains the model. False for learners whose losses or gradient norms
  /// are full reductions that LibTorch splits by the running threads.
  virtual bool shares_cpus() const { return false; }

  /// Trains data-parallel from now on: each gradient step computes this rank's shard of the
  /// minibatch and all ranks sum their gradients, so every rank takes the step one process would
  /// take on the whole minibatch. Returns false when this learner cannot (it then trains alone).
  virtual bool set_data_parallel(std::shared_ptr<DataParallel> /*group*/) { return false; }
};

/// Throws ConfigError at `node` when `learner` needs value gradients (a `loss: vagram` model)
/// and `algorithm` has no value functions to give it.
void refuse_value_gradient_loss(const ModelLearner& learner, const ConfigNode& node,
                                const std::string& algorithm);

/// Makes the learner of a model from the algorithm's `model_training` section. `defaults` are
/// the algorithm's defaults for gradient-trained learners (PETS trains 25 epochs per call,
/// MBPO until early stopping); learners with other options ignore them.
using ModelLearnerFactory = std::function<std::shared_ptr<ModelLearner>(
    const ConfigNode& section, std::shared_ptr<DynamicsModel> model,
    const ModelTrainerOptions& defaults)>;

/// The learner factory of each model type (the `type` of the `model:` section).
class ModelLearnerRegistry {
 public:
  /// Registers the learner of models of `model_type`; throws InternalError on a duplicate.
  void add(const std::string& model_type, ModelLearnerFactory factory);
  /// Same, for a factory that takes the model as its class `Model` (section,
  /// std::shared_ptr<Model>, defaults): the one place the model's class is checked, as an
  /// InternalError when a model registered as `model_type` is not a Model.
  template <class Model, class Factory>
  void add(const std::string& model_type, Factory factory) {
    add(model_type,
        [model_type, factory](const ConfigNode& section, std::shared_ptr<DynamicsModel> model,
                              const ModelTrainerOptions& defaults) {
          auto typed = std::dynamic_pointer_cast<Model>(std::move(model));
          MBRL_ASSERT(typed != nullptr, "a model of type '", model_type,
                      "' is not of the class its learner trains");
          return factory(section, std::move(typed), defaults);
        });
  }
  bool contains(const std::string& model_type) const { return factories_.count(model_type) > 0; }
  /// The learner of `model` (by its type()); a model type without a learner is a ConfigError at
  /// `section`, and an InvalidArgument while building becomes a ConfigError at the key. With
  /// `data_parallel` (BuildContext::data_parallel) the learner trains data-parallel; a learner
  /// that cannot is a ConfigError at `section`.
  std::shared_ptr<ModelLearner> create(const ConfigNode& section,
                                       std::shared_ptr<DynamicsModel> model,
                                       const ModelTrainerOptions& defaults,
                                       std::shared_ptr<DataParallel> data_parallel = nullptr) const;

 private:
  std::map<std::string, ModelLearnerFactory> factories_;
};

/// The process-wide learner registry; register_models() fills it for the built-in models.
ModelLearnerRegistry& model_learner_registry();

}  // namespace mbrl

// LsseLearner: LSSE's follow-the-leader update, the exact ridge least-squares solution on every
// transition seen so far, accumulated incrementally from the new transitions only.
#pragma once

#include <cstdint>
#include <memory>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include "mbrl/core/types.h"
#include "mbrl/models/model_learner.h"

namespace mbrl {

class ConfigNode;
class LsseModel;

/// Options of LsseLearner; each field is a YAML key of the algorithm's `model_training` section.
struct LsseLearnerOptions {
  /// Ridge lambda of A = sum phi phi^T + lambda I, > 0.
  TORCH_ARG(double, ridge) = 1e-3;
};

/// Follow-the-leader (Liu et al. 2024, section 3): after the transitions (x_t, y_t), t <= T,
/// W_T = argmin_W sum_t |W^T phi(x_t) - y_t|^2 + lambda |W|^2 = A^{-1} B with
/// A = lambda I + sum phi phi^T [D, D] and B = sum phi y^T [D, d], kept in double precision.
///
/// A `train` call reads only the transitions the replay gained since the previous call (by its
/// num_added counter; rows already overwritten in a full ring are gone and are skipped), adds
/// their outer products, which touch only the s^2 entries of each row's s = 2m + 1 active
/// features, and solves for W by a Cholesky factorisation of A (O(D^3), once per call,
/// independent of how much data came before). No replay retraining, no epochs, no randomness:
/// `gen` is unused. The input normalizer is fitted on the first call's rows and then frozen.
///
/// Result: one "epoch" per call; holdout_score is the mean squared error of the previous W on
/// the new rows (a prequential, out-of-sample score), train_loss that of the new W.
class LsseLearner : public ModelLearner {
 public:
  /// Throws InvalidArgument naming the option on a bad value.
  LsseLearner(const LsseLearnerOptions& options, std::shared_ptr<LsseModel> model);

  std::shared_ptr<DynamicsModel> model() const override;
  ModelTrainResult train(const ReplayBuffer& replay, at::Generator& gen,
                         MetricsWriter* metrics = nullptr) override;
  /// The same on an explicit batch of new transitions (any device).
  ModelTrainResult update(const TransitionBatch& batch);

  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  const LsseLearnerOptions& options() const { return options_; }
  /// Transitions accumulated so far.
  int64_t transitions_seen() const { return seen_; }
  /// The sufficient statistics: A [D, D] and B [D, d], float64 on the model's device.
  const at::Tensor& gram() const { return gram_; }
  const at::Tensor& moments() const { return moments_; }

 private:
  const LsseLearnerOptions options_;
  std::shared_ptr<LsseModel> model_;
  at::Tensor gram_, moments_;
  int64_t seen_ = 0;      // transitions accumulated
  int64_t consumed_ = 0;  // the replay's num_added at the previous train call
};

/// Reads LsseLearnerOptions from the `model_training` section (every key optional).
LsseLearnerOptions lsse_learner_options_from_config(const ConfigNode& node);

}  // namespace mbrl

// LsseLearner: LSSE's follow-the-leader update, the ridge least-squares fit to every transition
// seen so far, updated incrementally from the new transitions only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include "mbrl/core/types.h"
#include "mbrl/models/lsse_ftl.h"
#include "mbrl/models/model_learner.h"

namespace mbrl {

class ConfigNode;
class LsseModel;

/// Options of LsseLearner; each field is a YAML key of the algorithm's `model_training` section.
struct LsseLearnerOptions {
  /// Ridge lambda of A = sum phi phi^T + lambda I, > 0.
  TORCH_ARG(double, ridge) = 1e-3;
  /// "sparse" (SparseFtl: per new transition, a block solve on its active features; cost
  /// independent of D) or "exact" (ExactFtl: the full D x D solve per call, for checking).
  TORCH_ARG(std::string, solver) = "sparse";
};

/// Follow-the-leader (Liu et al. 2024): after the transitions (x_t, y_t), t <= T,
/// W_T = argmin_W sum_t |W^T phi(x_t) - y_t|^2 + lambda |W|^2 = A^{-1} B with
/// A = lambda I + sum phi phi^T [D, D] and B = sum phi y^T [D, d], kept in double precision by
/// the chosen FtlSolver (lsse_ftl.h): "exact" solves it in full, "sparse" updates only the
/// weights of each new transition's active features.
///
/// A `train` call reads only the transitions the replay gained since the previous call (by its
/// num_added counter; rows already overwritten in a full ring are gone and are skipped) and hands
/// them to the solver. No replay retraining, no epochs, no randomness: `gen` is unused. The input
/// normalizer is fitted on the first call's rows and then frozen.
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
  /// The sufficient statistics: A as a dense [D, D] (tests, small D) and B [D, d], float64.
  at::Tensor gram() const { return solver_->dense_gram(); }
  at::Tensor moments() const { return solver_->moments(); }
  const FtlSolver& solver() const { return *solver_; }

 private:
  const LsseLearnerOptions options_;
  std::shared_ptr<LsseModel> model_;
  std::unique_ptr<FtlSolver> solver_;
  int64_t seen_ = 0;      // transitions accumulated
  int64_t consumed_ = 0;  // the replay's num_added at the previous train call
};

/// Reads LsseLearnerOptions from the `model_training` section (every key optional).
LsseLearnerOptions lsse_learner_options_from_config(const ConfigNode& node);

}  // namespace mbrl

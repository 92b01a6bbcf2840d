// ModelTrainer: fits a GaussianMlpEnsemble to transitions with bootstrapped minibatches, a
// holdout split, early stopping and elite selection (mbrl-lib's ModelTrainer, MBPO's schedule).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include "mbrl/core/types.h"
#include "mbrl/io/archive_fwd.h"
#include "mbrl/models/model_learner.h"

namespace torch::optim {
class Adam;
}  // namespace torch::optim
namespace mbrl {

class ConfigNode;
class EnsembleBackprop;
class EnsembleInference;
class FusedAdam;
class GaussianMlpEnsemble;
class MetricsWriter;
class ValueGradientSource;

/// Options of ModelTrainer; each field is a YAML key of the section an algorithm gives it (e.g.
/// `algorithm.model_training`). Weight decay is a model option (per layer).
struct ModelTrainerOptions {
  /// Adam learning rate, > 0.
  TORCH_ARG(double, lr) = 1e-3;
  /// Adam epsilon, > 0.
  TORCH_ARG(double, adam_eps) = 1e-8;
  /// Rows per member in each gradient step, >= 1.
  TORCH_ARG(int64_t, batch_size) = 256;
  /// Epochs per `train` call, >= 0; 0 trains until early stopping (then patience or
  /// max_gradient_steps must be > 0).
  TORCH_ARG(int64_t, num_epochs) = 0;
  /// Stop after this many gradient steps in one call, >= 0; 0: no limit.
  TORCH_ARG(int64_t, max_gradient_steps) = 0;
  /// Stop after this many epochs in which no member's holdout score improved by more than
  /// improvement_threshold, >= 0; 0: never stop early.
  TORCH_ARG(int64_t, patience) = 5;
  /// Relative holdout improvement (best - score) / |best| that counts as progress, >= 0.
  TORCH_ARG(double, improvement_threshold) = 0.01;
  /// Fraction of the data held out for scoring, in [0, 1); 0 scores on (up to
  /// max_validation_size) training rows.
  TORCH_ARG(double, validation_ratio) = 0.2;
  /// Upper bound on the holdout rows, >= 1 (MBPO: 5000).
  TORCH_ARG(int64_t, max_validation_size) = 5000;
  /// Train each member on its own resample (with replacement) of the training rows.
  TORCH_ARG(bool, bootstrap) = true;
  /// On the CPU, use the hand-written backward pass and FusedAdam (same result as autograd +
  /// torch::optim::Adam, faster); ignored on other devices, which always use autograd.
  TORCH_ARG(bool, fused) = true;
};

/// Trains a GaussianMlpEnsemble on a batch of transitions, one `train` call per model-training
/// phase of an algorithm; the Adam state persists across calls (as in mbrl-lib).
///
/// A call: fits the input normalizer on all the data; holds out a random validation_ratio of
/// the rows (at most max_validation_size); draws each member's bootstrap resample of the rest;
/// then runs epochs of shuffled minibatches ([E, batch_size] rows, one gradient step each).
/// After each epoch every member is scored on the holdout (MSE of its mean prediction, as
/// mbrl-lib's `eval_score`); a member whose score improved by more than improvement_threshold
/// relative to its best in this call has its weights snapshotted (per member, as MBPO does).
/// As in MBPO (jannerm/mbpo, mbpo/models/bnn.py: `_start_train` resets every member's best to
/// 1e10, `_save_best`), every call starts from a fresh best, so the first epoch is always kept:
/// a call never hands back the weights from before it, and the elites are ranked on this call's
/// holdout only. (mbrl-lib's ModelTrainer starts from the scores before the call and, when no
/// member improves on them, keeps the last epoch's weights instead.) Training stops after
/// num_epochs, max_gradient_steps, or `patience` epochs without any improvement. Each member
/// then gets its best snapshot back and the num_elites members with the best scores become the
/// model's elites. `ModelTrainResult::members_not_better_than_before` counts the members whose
/// kept weights do not beat their weights before the call on this call's holdout (by
/// improvement_threshold): a trainer that started from the old scores would have thrown their
/// training away.
///
/// With the model's `loss: vagram` (VaGraM, Voelcker et al. ICLR 2022, as pairlab/vagram
/// `mbrl/models/vaml_mlp.py` computes it), each call first takes the value gradients of the
/// source's value functions at the real next state of every row (once per call: the critics do
/// not change while the model trains, which is what the reference's per-sample gradient cache
/// achieves); each gradient step then clips them over its minibatch ([E, batch_size] rows, per
/// value function, `clip_value_gradients`) and weights the squared errors with
/// `vagram_target_weights`; the holdout score is the same weighted squared error, clipped over
/// the whole holdout (the reference clips over each evaluation batch). Differences from the
/// reference: the loss is summed over members, as every loss of this trainer (the reference
/// averages, a constant factor 1/E), and the reference's division of the clipped gradients by an
/// EMA of their mean norm (`norm_avg`, a slowly varying global scale of the loss) is left out.
///
/// Threading contract: one thread at a time; the model must not be used concurrently.
class ModelTrainer : public ModelLearner {
 public:
  /// Throws InvalidArgument naming the option on a bad value.
  ModelTrainer(const ModelTrainerOptions& options, std::shared_ptr<GaussianMlpEnsemble> model);
  ~ModelTrainer() override;

  /// ModelLearner: trains on every transition of `replay` (as `train(replay.all(), ...)`), with
  /// the model's `sample_weighting` computed from the replay's episodes
  /// (`replay_sample_weights`).
  ModelTrainResult train(const ReplayBuffer& replay, at::Generator& gen,
                         MetricsWriter* metrics = nullptr) override;

  /// data: at least 2 transitions (any device; moved to the model's). gen: a CPU generator for
  /// the split, bootstrap and shuffles. With `metrics`, one row per epoch goes to group
  /// `model_train` (file model_train.csv). Throws NonFiniteError naming the epoch and step when
  /// the loss becomes non-finite. sample_weights: [N] float or undefined: each transition's loss
  /// terms (and its holdout error) are multiplied by its weight, on top of VaGraM's weights;
  /// weights of 1 train exactly as none.
  ModelTrainResult train(const TransitionBatch& data, at::Generator& gen,
                         MetricsWriter* metrics = nullptr, const at::Tensor& sample_weights = {});

  /// Holdout score of every member on `data`: MSE of its mean prediction over rows and target
  /// dims (unweighted, whatever the loss), [E] float32 on the model's device.
  at::Tensor evaluate(const TransitionBatch& data);

  /// True for `loss: vagram`.
  bool needs_value_gradients() const override;
  /// The fused CPU path (EnsembleBackprop, FusedAdam) only.
  bool shares_cpus() const override { return use_fused(); }
  void set_value_gradient_source(std::shared_ptr<ValueGradientSource> source) override;
  /// Data-parallel: each gradient step computes this rank's rows of the minibatch
  /// (DataParallel::shard) and sums gradients and loss over the ranks before the optimizer step.
  /// Every rank draws the same splits and minibatches (the same generator), so all ranks hold
  /// the same weights, those one process would reach on the whole minibatches up to float
  /// rounding. The holdout is scored whole on every rank.
  bool set_data_parallel(std::shared_ptr<DataParallel> group) override;

  const ModelTrainerOptions& options() const { return options_; }
  std::shared_ptr<DynamicsModel> model() const override;
  const std::shared_ptr<GaussianMlpEnsemble>& ensemble() const { return model_; }
  /// `train` calls so far.
  int64_t rounds() const { return rounds_; }

  /// Writes the trainer's own state: the optimizer's (Adam moments and step count, of the fused
  /// or the autograd path, whichever has run) and the round count. With the model saved beside
  /// it, a trainer restored by `load` continues training exactly as this one would (checkpoints).
  void save(torch::serialize::OutputArchive& archive) const override;
  /// Restores what `save` wrote (creating the optimizer it names); throws DataError when the
  /// archive does not match this trainer's model or path.
  void load(torch::serialize::InputArchive& archive) override;

 private:
  struct Split;
  // value_grads: [N, G, obs_dim], sample_weights: [N]; either may be undefined
  Split split(const TransitionBatch& data, const at::Tensor& value_grads,
              const at::Tensor& sample_weights, at::Generator& gen) const;
  // next_obs: [N, obs_dim] -> the source's value gradients [N, G, obs_dim], in row chunks
  at::Tensor value_gradients(const at::Tensor& next_obs) const;
  // VaGraM's weights [E, B, d] from value gradients [E, B, G, obs_dim]
  at::Tensor vagram_weights(const at::Tensor& value_grads) const;
  // x: [N, in] normalized, y: [N, d], w: [N, d] or undefined -> [E] (weighted) MSE of each member
  at::Tensor score(const at::Tensor& x, const at::Tensor& y, const at::Tensor& w = {});
  // [E, n] training-row indices of each member: its bootstrap resample (drawn once per call) or
  // every row
  at::Tensor member_rows(int64_t n, at::Generator& gen) const;
  // the num_elites members with the lowest best_holdout_score become the model's elites
  void choose_elites(ModelTrainResult& result);
  // [E] holdout scores as host values
  std::vector<double> holdout_scores(const Split& s);
  // debug log line and, with metrics, one model_train row
  void log_epoch(MetricsWriter* metrics, const ModelTrainResult& result, double seconds) const;
  // one epoch of minibatches over `rows` ([E, N_train] indices), counting into `steps`;
  // returns the mean training loss
  double run_epoch(const Split& s, const at::Tensor& rows, at::Generator& gen, int64_t& steps);
  // one gradient step on [E, B, ...] tensors (weights undefined: unweighted); returns the loss
  double gradient_step(const at::Tensor& x, const at::Tensor& y, const at::Tensor& terminated,
                       const at::Tensor& weights);
  // gradient_step on this rank's shard, gradients and loss summed over the ranks
  double data_parallel_step(const at::Tensor& x, const at::Tensor& y, const at::Tensor& terminated,
                            const at::Tensor& weights);
  bool use_fused() const;
  // creates the optimizer of the path in use on first need
  void ensure_optimizer();

  const ModelTrainerOptions options_;
  std::shared_ptr<GaussianMlpEnsemble> model_;
  std::unique_ptr<EnsembleInference> inference_;
  std::unique_ptr<EnsembleBackprop> backprop_;
  std::unique_ptr<FusedAdam> fused_adam_;
  std::unique_ptr<torch::optim::Adam> adam_;
  std::shared_ptr<ValueGradientSource> value_source_;
  std::shared_ptr<DataParallel> data_parallel_;
  at::Tensor dp_flat_;                // data parallel, fused path: every gradient, then the loss
  std::vector<at::Tensor> dp_grads_;  // views of dp_flat_, one per backprop_->parameters()
  int64_t rounds_ = 0;
};

/// Reads ModelTrainerOptions from a config section (every key optional; unknown keys are
/// rejected by the config's check).
ModelTrainerOptions model_trainer_options_from_config(const ConfigNode& node,
                                                      ModelTrainerOptions defaults = {});

}  // namespace mbrl

// SequenceModelLearner: fits a SequenceModel by Adam on chunks of consecutive transitions drawn
// from the replay buffer.
#pragma once

#include <cstdint>
#include <memory>

#include <torch/arg.h>
#include <torch/optim/adam.h>

#include "mbrl/models/model_learner.h"
#include "mbrl/models/sequence/sequence_model.h"

namespace mbrl {

/// What each predictor's bootstrap resamples (SequenceModelLearnerOptions::bootstrap).
enum class SequenceBootstrap {
  kNone,         // every predictor weighs every transition 1
  kTransitions,  // a Poisson(1) count per predictor and stored transition
  kEpisodes,     // a Poisson(1) count per predictor and episode, shared by its transitions
};

struct SequenceModelLearnerOptions {
  /// Adam updates per `train` call, >= 1.
  TORCH_ARG(int64_t, gradient_steps) = 200;
  /// Sequences per update, >= 1.
  TORCH_ARG(int64_t, batch_size) = 16;
  /// Time steps T per sequence, >= 1 (shortened to the stored transitions while fewer are stored).
  TORCH_ARG(int64_t, sequence_length) = 64;
  /// Adam's learning rate, > 0.
  TORCH_ARG(double, lr) = 1e-3;
  /// Adam's (L2) weight decay, >= 0.
  TORCH_ARG(double, weight_decay) = 0.0;
  /// Gradients are clipped to this global norm, > 0.
  TORCH_ARG(double, grad_clip) = 100.0;
  /// YAML `bootstrap: none | transitions | episodes`: with two predictors or more (heads, or
  /// members of the backbone), each trains on its own bootstrap of the data: predictor e's
  /// squared error on a transition counts c times, c ~ Poisson(1) drawn once for (e, transition)
  /// or (e, episode) (poisson_bootstrap_counts) and kept for the whole run. Every predictor
  /// still reads every step of a sequence as input, so its memory sees the data it does not fit.
  TORCH_ARG(SequenceBootstrap, bootstrap) = SequenceBootstrap::kNone;
  /// The first burn_in >= 0 steps of every training sequence only feed the memory: their errors
  /// are left out of the loss (the burn-in of R2D2, Kapturowski et al., ICLR 2019, sec. 3), so
  /// the model is not fitted to predict from the fresh memory each sequence starts with. Less
  /// than sequence_length; cut to T - 1 while fewer transitions are stored.
  TORCH_ARG(int64_t, burn_in) = 0;
};

/// At each `train` call: refits the model's normalizers on every stored transition, then runs
/// `gradient_steps` updates of the model's sequence_loss, each on `batch_size` sequences of
/// `sequence_length` consecutive transitions (ReplayBuffer::sample_sequences: sequences may run
/// across episode ends, where is_first resets the memory), with the global gradient norm clipped.
/// Reports one "epoch" per call (its mean loss); no holdout split (holdout_score stays empty).
/// With a bootstrap, each predictor's squared errors are weighted by its counts as they are
/// (their mean is 1, so a batch's loss is an unbiased estimate of the loss on the predictor's
/// resample); the counts' seed is drawn from `gen` at the first call and saved with the
/// learner's state.
/// Throws NonFiniteError naming the update when a loss becomes non-finite.
class SequenceModelLearner : public ModelLearner {
 public:
  /// Throws InvalidArgument naming the option on a bad value.
  SequenceModelLearner(SequenceModelLearnerOptions options, std::shared_ptr<SequenceModel> model);

  std::shared_ptr<DynamicsModel> model() const override { return model_; }
  const SequenceModelLearnerOptions& options() const { return options_; }
  /// Updates done over all calls.
  int64_t total_gradient_steps() const { return total_steps_; }
  /// The seed of the bootstrap counts (poisson_bootstrap_counts), -1 until the first call with a
  /// bootstrap draws it.
  int64_t bootstrap_seed() const { return bootstrap_seed_; }

  ModelTrainResult train(const ReplayBuffer& replay, at::Generator& gen,
                         MetricsWriter* metrics = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
  /// Data-parallel: every rank samples the same sequences and computes the loss of its columns
  /// (DataParallel::shard of the batch), weighted by their share; gradients are summed over the
  /// ranks before clipping, so every rank takes the step one process takes on the whole batch.
  bool set_data_parallel(std::shared_ptr<DataParallel> group) override;

 private:
  SequenceModelLearnerOptions options_;
  std::shared_ptr<SequenceModel> model_;
  std::unique_ptr<torch::optim::Adam> adam_;
  // [predictors, T, B] loss weights of the sequences starting at `first` ([B]): the bootstrap
  // counts, zero on the burn-in steps and scaled by T / (T - burn-in); undefined when all are 1
  at::Tensor loss_weights(const ReplayBuffer& replay, const at::Tensor& first,
                          int64_t length) const;
  // [predictors, T, B] Poisson(1) counts of the transitions (or episodes) of those sequences
  at::Tensor bootstrap_counts(const ReplayBuffer& replay, const at::Tensor& first,
                              int64_t length) const;

  std::shared_ptr<DataParallel> data_parallel_;
  int64_t total_steps_ = 0;
  int64_t bootstrap_seed_ = -1;  // drawn at the first train call with a bootstrap
};

/// Reads SequenceModelLearnerOptions from an algorithm's `model_training` section.
SequenceModelLearnerOptions sequence_model_learner_options_from_config(const ConfigNode& node);

}  // namespace mbrl

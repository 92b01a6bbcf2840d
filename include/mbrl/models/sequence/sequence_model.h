// SequenceModel: a world model with memory: a sequence backbone (GRU, Transformer, S4D, Mamba)
// reads (obs_t, act_t) and a head predicts the next observation and the reward.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include "mbrl/data/sequence_batch.h"
#include "mbrl/models/dynamics_model.h"
#include "mbrl/models/input_normalizer.h"
#include "mbrl/models/model_archive.h"
#include "mbrl/models/sequence/sequence_backbone.h"
#include "mbrl/nn/ensemble_mlp.h"

namespace mbrl {

class ConfigNode;

/// Options of SequenceModel; each field is a YAML key of `model: {type: sequence_model}` except
/// obs_dim and act_dim, which come from the env. The backbone is its own section (`backbone:`).
struct SequenceModelOptions {
  SequenceModelOptions(int64_t obs_dim, int64_t act_dim) : obs_dim_(obs_dim), act_dim_(act_dim) {}
  /// Observation and action widths, >= 1 (from the env, not YAML keys).
  TORCH_ARG(int64_t, obs_dim);
  TORCH_ARG(int64_t, act_dim);
  /// Hidden layers of the prediction head (an MLP on the backbone's output), >= 0.
  TORCH_ARG(int64_t, head_layers) = 1;
  /// Width of the head's hidden layers, >= 1.
  TORCH_ARG(int64_t, head_hidden_size) = 256;
  /// Prediction heads E >= 1 on the one backbone, computed together (EnsembleMlp); with E >= 2
  /// the heads' disagreement is the model's uncertainty (UncertaintyAware). Must be 1 with a
  /// backbone of several members, which has one head per member.
  TORCH_ARG(int64_t, heads) = 1;
  /// Also predict the reward (so planners and rollouts need no task reward function).
  TORCH_ARG(bool, learn_reward) = true;
  /// Each predictor is a diagonal Gaussian over the standardised targets (mean and log-variance,
  /// trained by Gaussian NLL) instead of a point prediction (trained by squared error): the
  /// aleatoric term an ensemble of sequence models needs for calibrated intervals, as PETS's
  /// probabilistic ensemble members have.
  TORCH_ARG(bool, probabilistic) = false;
  /// beta of the beta-NLL (Seitzer et al., ICLR 2022, "On the Pitfalls of Heteroscedastic
  /// Uncertainty Estimation with Probabilistic Neural Networks", eq. 6), in [0, 1]: each
  /// element's NLL is weighted by its variance^beta, held constant in the gradient. 0 is the
  /// plain NLL; 1 gives the mean the squared error's gradient. With probabilistic only.
  TORCH_ARG(double, nll_beta) = 0.0;
  /// Soft bounds of the log-variance (in standardised target units), min < max, fixed.
  TORCH_ARG(double, min_logvar) = -10.0;
  TORCH_ARG(double, max_logvar) = 0.5;
};

/// What the parallel form predicts for a chunk of transitions.
struct SequencePrediction {
  at::Tensor next_obs;  // [T, B, obs_dim]
  at::Tensor reward;    // [T, B]; undefined unless learn_reward
  BackboneState state;  // the backbone's memory after the chunk
};

/// x_t = standardise([obs_t, act_t]); y_t = backbone(x_1..x_t) (memory reset where is_first);
/// [standardised (next_obs_t - obs_t), standardised reward_t] = head_e(y_t) for each of the E
/// heads. Trained by mean squared error in the standardised target space (every target dimension
/// and every head weighs the same), on sequences (SequenceModelLearner); the normalizers are
/// refitted on all data at every training call, as the ensemble's are.
///
/// With `probabilistic`, head e outputs a diagonal Gaussian N(mu_e, exp(logvar_e)) over the
/// standardised targets, its log-variance soft-bounded as PETS bounds its members' (Chua et al.
/// 2018, appendix A.1; GaussianMlpEnsemble): logvar = max - softplus(max - raw), then
/// logvar = min + softplus(logvar - min), with fixed bounds. The objective is the Gaussian NLL
/// without its constants, mean((mu - y)^2 exp(-logvar) + logvar), as mbrl-lib's and the
/// ensemble's, each element weighted by sg(exp(logvar))^nll_beta (beta-NLL; sg: no gradient). A
/// step draws mu + exp(logvar / 2) eps where the rollout spec samples (the mean otherwise);
/// propagation picks the row's head first (expectation: the heads' mean of mu and of logvar, as the
/// ensemble averages its members').
///
/// As a DynamicsModel, a rollout starts from a fresh memory (`initial_state`) or from the memory
/// after a real history (`initial_state_after`), and `step` runs the backbone's recurrent form:
/// one step per call, the memory kept in ModelState::latent (the backbone's state tensors).
/// Each head is deterministic (sampling is ignored); with several heads the rollout spec's
/// propagation picks the head of each row as for an ensemble's members (ts_inf: ModelState::member
/// for the whole rollout; ts1, random_model: drawn every step; expectation: their mean), and the
/// parallel form (`predict`) returns their mean. Termination comes from the task.
///
/// With heads >= 2 it is UncertaintyAware: the heads' disagreement on a step. They share the
/// backbone and its memory, so the spread measures the heads' epistemic uncertainty given the
/// memory, not the backbone's (the E heads cost E small MLPs, not E backbones): as COPlanner's
/// Dreamer version measures the disagreement of an ensemble of heads on one world model
/// (Plan2Explore-style; algorithm specs section 4).
///
/// An ensemble of whole sequence models: a backbone of M >= 2 members (`backbone: {members: M}`,
/// SequenceBackbone::members) with one head per member, head m reading member m's output only.
/// The M predictors are then M independent models, each with its own memory, trained together on
/// the same sequences in one batched pass (each on its own bootstrap of them with
/// SequenceModelLearnerOptions::bootstrap), and their disagreement includes the backbones'
/// uncertainty. Propagation and uncertainty treat the members as they treat heads.
/// Threading contract: one thread at a time.
class SequenceModel : public DynamicsModel, public UncertaintyAware {
 public:
  /// Throws InvalidArgument naming the option on a bad value, or when the backbone's input width
  /// is not obs_dim + act_dim.
  SequenceModel(const SequenceModelOptions& options, std::shared_ptr<SequenceBackbone> backbone);

  std::string type() const override { return "sequence_model"; }
  int64_t obs_dim() const override { return options_.obs_dim(); }
  int64_t act_dim() const override { return options_.act_dim(); }
  bool learns_reward() const override { return options_.learn_reward(); }
  bool has_memory() const override { return true; }
  /// With two predictors or more (heads, or members of the backbone), or Gaussian predictors
  /// (`probabilistic`; one has its aleatoric term but no disagreement): one deterministic
  /// predictor has nothing to report.
  bool reports_uncertainty() const override { return predictors_ >= 2 || options_.probabilistic(); }
  /// The predictions a step makes for every row: heads, or the backbone's members.
  int64_t predictors() const { return predictors_; }
  c10::Device device() const override;
  const SequenceModelOptions& options() const { return options_; }
  SequenceBackbone& backbone() const { return *backbone_; }

  /// Fits the input and target normalizers to `data` (rows of transitions).
  void fit_normalizers(const TransitionBatch& data);

  /// Parallel form over a chunk: obs [T, B, obs_dim], act [T, B, act_dim], is_first [T, B] bool
  /// (or undefined), state from `backbone().initial_state` or an earlier chunk.
  SequencePrediction predict(const at::Tensor& obs, const at::Tensor& act,
                             const at::Tensor& is_first, const BackboneState& state);
  /// Losses of the parallel form on `batch` (any device), from a fresh memory: "loss" (the
  /// objective over every standardised target dimension: the squared error, or the Gaussian NLL
  /// when probabilistic), "obs_mse" and "reward_mse" (squared errors of the means, standardised,
  /// each over its own dimensions). With `weights` ([predictors, T, B], any
  /// device), predictor e's squared error at (t, b) counts weights[e, t, b] times in each mean
  /// (a bootstrap's counts, see SequenceModelLearnerOptions::bootstrap).
  ModelLosses sequence_loss(const SequenceBatch& batch, const at::Tensor& weights = at::Tensor());

  ModelState initial_state(const at::Tensor& obs, const RolloutSpec& spec,
                           at::Generator& gen) override;
  /// The state of N rollouts that continue after a real history of T transitions (history
  /// [T, N], is_first marking episode starts): the memory after reading it, obs its last
  /// next_obs.
  ModelState initial_state_after(const SequenceBatch& history, const RolloutSpec& spec);
  /// DynamicsModel: the memory after start.history (fresh without one, and where start.is_first),
  /// obs start.obs.
  ModelState initial_state_after(const RolloutStart& start, const RolloutSpec& spec,
                                 at::Generator& gen) override;
  ModelStep step(const ModelState& state, const at::Tensor& act, at::Generator& gen) override;
  /// UncertaintyAware, with reports_uncertainty() (throws InvalidArgument naming `heads`
  /// otherwise): the step with every predictor's prediction of every row (member_mean [E, N,
  /// target]; member_std [E, N, target] and the log-likelihood variance of the drawn step when
  /// probabilistic; else no member_std, and every sample is a mean).
  UncertainModelStep step_with_uncertainty(const ModelState& state, const at::Tensor& act,
                                           at::Generator& gen) override;
  /// UncertaintyAware, with reports_uncertainty(): `samples` draws of every predictor's prediction
  /// from a fresh memory (as `loss`: obs and act carry no history); a deterministic predictor's
  /// draws all equal its prediction.
  MemberSamples sample_members(const at::Tensor& obs, const at::Tensor& act, int64_t samples,
                               at::Generator& gen) override;
  /// sequence_loss on the transitions as N sequences of one step each (no memory): the model's
  /// error without history; sequence learners train with sequence_loss.
  ModelLosses loss(const TransitionBatch& batch) override;

  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive, const std::string& source) override;
  using DynamicsModel::load;

 private:
  // backbone outputs [..., M D] -> every predictor's standardised prediction [E, ..., W]
  // (M = 1: every head reads the same D columns; M members: head m reads member m's)
  at::Tensor heads(const at::Tensor& y);
  // a head's raw outputs [..., W] -> its prediction [..., W]: the mean [..., target_dim], then
  // (probabilistic) the soft-bounded log-variance [..., target_dim]; W = prediction_width()
  at::Tensor bound(const at::Tensor& raw) const;
  int64_t prediction_width() const { return target_dim_ * (options_.probabilistic() ? 2 : 1); }
  // predictions [..., W] -> standardised targets [..., target_dim]: a draw of each Gaussian where
  // `sample` (and probabilistic), else the mean
  at::Tensor draw(const at::Tensor& prediction, bool sample, at::Generator& gen) const;
  // standardised targets [..., target_dim] -> targets (deltas, reward)
  at::Tensor unstandardise(const at::Tensor& t) const;
  // backbone outputs [N, M D], each row's predictor [N] and the rows grouped by it -> each row's
  // standardised prediction [N, W] from its own predictor only (one batched pass)
  at::Tensor heads_of_rows(const at::Tensor& y, const at::Tensor& head,
                           const MemberAssignment& groups);
  // each row's head [N] by the state's propagation (ts_inf: the state's member; ts1,
  // random_model: drawn from gen); heads >= 2, not expectation
  at::Tensor row_heads(const ModelState& state, at::Generator& gen) const;
  // every head's predictions [E, N, W] -> each row's [N, W] by the state's propagation (drawing
  // rows' heads from gen where it draws)
  at::Tensor rows_targets(const at::Tensor& all, const ModelState& state, at::Generator& gen);
  // the state's member (the head of each row) and its grouping, for ts_inf with heads >= 2
  void assign_heads(ModelState& state, at::Generator& gen) const;
  // next_obs [.., obs_dim] and reward of targets [.., target_dim] after obs
  ModelStep outcome(const at::Tensor& obs, const at::Tensor& target) const;
  void require_heads(const char* what) const;
  // one recurrent step of the backbone: outputs [N, D] and the memory after it
  std::pair<at::Tensor, BackboneState> advance(const ModelState& state, const at::Tensor& act);
  // the rollout state after `state`'s step to next_obs with `memory`
  static ModelState next_state(const ModelState& state, const at::Tensor& next_obs,
                               BackboneState memory);
  // one recurrent step of every row: each row's outcome by the propagation, and every head's
  // targets (member_mean, and member_std when probabilistic); uncertainty left empty
  UncertainModelStep step_with_all_heads(const ModelState& state, const at::Tensor& act,
                                         at::Generator& gen);
  ModelArchitecture architecture() const;

  SequenceModelOptions options_;
  int64_t target_dim_;
  int64_t predictors_;  // heads, or the backbone's members
  std::shared_ptr<SequenceBackbone> backbone_;
  EnsembleMlp heads_{nullptr};
  InputNormalizer input_normalizer_{nullptr}, target_normalizer_{nullptr};
};

/// Reads the options of `model: {type: sequence_model, ...}` (every key but `type` and
/// `backbone`) for an env with the given dims.
SequenceModelOptions sequence_model_options_from_config(const ConfigNode& node, int64_t obs_dim,
                                                        int64_t act_dim);

}  // namespace mbrl

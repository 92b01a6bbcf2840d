// GaussianMlpEnsemble: E probabilistic MLPs predicting a diagonal Gaussian over the next-state
// delta (and optionally the reward and a termination logit), the model of PETS, MBPO and MOPO.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include "mbrl/core/types.h"
#include "mbrl/models/dynamics_model.h"
#include "mbrl/models/input_normalizer.h"
#include "mbrl/models/sample_weighting.h"
#include "mbrl/nn/activation.h"
#include "mbrl/nn/ensemble_linear.h"

namespace mbrl {

class ConfigNode;
class EnsembleInference;

/// The objective a trainer fits the ensemble with (YAML `loss`).
enum class EnsembleLoss {
  kNll,     // Gaussian negative log-likelihood of the target (needs the variance head)
  kMse,     // squared error of the mean (a deterministic, mean-only network)
  kVagram,  // squared error weighted by squared value gradients (VaGraM; mean-only network)
};
/// Maps "nll", "mse", "vagram" to an EnsembleLoss; throws InvalidArgument("loss", ...) listing
/// the names otherwise.
EnsembleLoss parse_ensemble_loss(const std::string& name);
const char* ensemble_loss_name(EnsembleLoss loss);

/// Options of GaussianMlpEnsemble; each field is a YAML key of `model: {type:
/// gaussian_mlp_ensemble}` except obs_dim and act_dim, which come from the env. Defaults are
/// mbrl-lib's `gaussian_mlp_ensemble.yaml`.
struct GaussianMlpEnsembleOptions {
  GaussianMlpEnsembleOptions(int64_t obs_dim, int64_t act_dim)
      : obs_dim_(obs_dim), act_dim_(act_dim) {}
  /// Observation and action widths, >= 1 (from the env, not YAML keys).
  TORCH_ARG(int64_t, obs_dim);
  TORCH_ARG(int64_t, act_dim);
  /// Members E, >= 1.
  TORCH_ARG(int64_t, ensemble_size) = 7;
  /// Hidden layers, >= 1, each `hidden_size` wide (>= 1).
  TORCH_ARG(int64_t, num_layers) = 4;
  TORCH_ARG(int64_t, hidden_size) = 200;
  /// Hidden activation (YAML: silu, relu, leaky_relu, tanh, elu).
  TORCH_ARG(Activation, activation) = Activation::kSilu;
  /// Training objective. kNll: a Gaussian head (mean and log-variance); kMse and kVagram: a
  /// mean-only network (`deterministic()`), as the VaGraM reference's model.
  TORCH_ARG(EnsembleLoss, loss) = EnsembleLoss::kNll;

 public:
  /// The network predicts the mean only (no variance head): loss mse or vagram.
  bool deterministic() const { return loss() != EnsembleLoss::kNll; }
  /// kVagram: value-gradient vectors above this quantile of their batch's norms are rescaled to
  /// it (`clip_value_gradients`), in (0, 1]; 1 disables the clipping. VaGraM's 0.95.
  TORCH_ARG(double, vagram_clip_quantile) = 0.95;
  /// Per-transition weights of the training loss (objective-mismatch re-weighting, YAML section
  /// `sample_weighting:`), applied by the trainer on top of the loss.
  TORCH_ARG(SampleWeightingOptions, sample_weighting) = {};
  /// Learn the per-dimension log-variance soft bounds (PETS); else fixed at their initial values.
  TORCH_ARG(bool, learn_logvar_bounds) = false;
  /// Initial (or fixed) log-variance bounds, min < max.
  TORCH_ARG(double, min_logvar) = -10.0;
  TORCH_ARG(double, max_logvar) = 0.5;
  /// L2 weight decay of each layer's weights (gradient += decay * W, biases not decayed): empty
  /// (none), one value for every layer, or num_layers + 1 values (hidden layers, then output).
  TORCH_ARG(std::vector<double>, weight_decay) = {};
  /// Observation dims whose target is the next value itself instead of the change (PETS).
  TORCH_ARG(std::vector<int64_t>, no_delta_list) = {};
  /// Observation dims that are angles: the network sees (sin, cos) instead of the raw value; the
  /// target stays the plain difference of angles.
  TORCH_ARG(std::vector<int64_t>, angle_dims) = {};
  /// Also predict the reward (a Gaussian output dimension after the observation deltas).
  TORCH_ARG(bool, learn_reward) = false;
  /// Also predict termination (a logit trained with binary cross-entropy).
  TORCH_ARG(bool, learn_termination) = false;
  /// Members a trainer keeps as elites, in [1, ensemble_size].
  TORCH_ARG(int64_t, num_elites) = 5;
};

/// What the network predicts for a batch of inputs.
struct EnsembleOutput {
  at::Tensor mean;               // [..., d] target-space mean: obs deltas, then reward if learned
  at::Tensor logvar;             // [..., d] soft-bounded log-variance; undefined if deterministic
  at::Tensor termination_logit;  // [...]; undefined unless learn_termination
};

/// An ensemble of E MLPs sharing one set of batched layers (EnsembleLinear), so all members run
/// in one batched matmul per layer. Each member maps normalized inputs x = [obs features, act]
/// (obs features: the non-angle dims, then sin and cos of the angle dims) through num_layers
/// hidden layers to a diagonal Gaussian over the target y = [next_obs - obs (or next_obs for
/// no_delta_list dims), reward (if learned)], of width d = obs_dim + learn_reward.
///
/// Log-variances are soft-bounded as in PETS (Chua et al. 2018, appendix A.1):
///   logvar = max - softplus(max - raw);  logvar = min + softplus(logvar - min).
/// The network output per row is [mean (d) | raw logvar (d, absent if deterministic) |
/// termination logit (1, if learned)]: `output_columns()` wide.
///
/// Elites: the members rollouts use; all members until a trainer sets them.
///
/// Rollouts (DynamicsModel::step): each row of a ModelState goes through one elite, assigned by
/// the state's propagation (see propagation.h: TS-inf keeps the member in the state, TS1 and
/// random_model draw one every step), or through all elites averaged (expectation). The next
/// observation is `next_obs(obs, mu + sigma eps)` (or of mu when the state does not sample).
/// The forward pass is EnsembleInference's (tiled, multithreaded on the CPU, buffers reused
/// across calls). Threading contract: one thread at a time.
class GaussianMlpEnsemble : public DynamicsModel, public UncertaintyAware {
 public:
  /// Throws InvalidArgument naming the option on a bad value. Weights are drawn from `init_gen`
  /// (CPU) or the global generator, on the CPU; call `to(device)` afterwards.
  explicit GaussianMlpEnsemble(const GaussianMlpEnsembleOptions& options,
                               std::optional<at::Generator> init_gen = std::nullopt);
  ~GaussianMlpEnsemble() override;

  std::string type() const override { return "gaussian_mlp_ensemble"; }
  int64_t obs_dim() const override { return options_.obs_dim(); }
  int64_t act_dim() const override { return options_.act_dim(); }
  bool learns_reward() const override { return options_.learn_reward(); }
  bool learns_termination() const override { return options_.learn_termination(); }
  const GaussianMlpEnsembleOptions& options() const { return options_; }

  int64_t ensemble_size() const { return options_.ensemble_size(); }
  /// Network input width: obs_dim + (number of angle dims) + act_dim.
  int64_t input_dim() const { return input_dim_; }
  /// Target width d = obs_dim + learn_reward.
  int64_t target_dim() const { return target_dim_; }
  /// Network output width (see the class comment).
  int64_t output_columns() const { return output_columns_; }
  c10::Device device() const override { return max_logvar.device(); }

  /// DynamicsModel: obs [N, obs_dim] -> the state of N rollouts; under TS-inf row r keeps elite
  /// (r % particles) % M for the whole rollout (no random draw).
  ModelState initial_state(const at::Tensor& obs, const RolloutSpec& spec,
                           at::Generator& gen) override;
  /// DynamicsModel: act [N, act_dim] -> each row's transition from its member (see the class
  /// comment); reward and termination defined when learned.
  ModelStep step(const ModelState& state, const at::Tensor& act, at::Generator& gen) override;
  /// UncertaintyAware: every member predicts every row; each row's transition is its own
  /// member's sample (or the elites' average under expectation).
  UncertainModelStep step_with_uncertainty(const ModelState& state, const at::Tensor& act,
                                           at::Generator& gen) override;
  /// UncertaintyAware: every member (elites and the rest) predicts every row, sampled `samples`
  /// times with its own mean and std; rollout_members are the elites.
  MemberSamples sample_members(const at::Tensor& obs, const at::Tensor& act, int64_t samples,
                               at::Generator& gen) override;
  /// DynamicsModel: "loss", the training objective of every member on every row of `batch`
  /// (`loss` below plus the weight-decay penalty), "mse", the mean squared error of the
  /// members' means over rows and target dims, and (with the variance head) "nll", the Gaussian
  /// NLL without its constant, mean over members, rows and target dims.
  ModelLosses loss(const TransitionBatch& batch) override;

  /// obs: [..., obs_dim], act: [..., act_dim] -> raw (unnormalized) inputs [..., input_dim].
  at::Tensor input_features(const at::Tensor& obs, const at::Tensor& act) const;
  /// Same, standardised by the fitted normalizer: what the network takes.
  at::Tensor normalized_inputs(const at::Tensor& obs, const at::Tensor& act) const;
  /// Fits the input normalizer on every transition of `data`.
  void fit_normalizer(const TransitionBatch& data);
  /// data -> training targets [B, d].
  at::Tensor targets(const TransitionBatch& data) const;
  /// obs: [..., obs_dim], target: [..., >= obs_dim] (a mean or a sample of y) -> the predicted
  /// next observation [..., obs_dim].
  at::Tensor next_obs(const at::Tensor& obs, const at::Tensor& target) const;

  /// x: [E, B, input_dim] normalized inputs, row b of member e going through member e ->
  /// outputs [E, B, d] (termination logit [E, B]). Differentiable (autograd).
  EnsembleOutput forward(const at::Tensor& x);
  /// obs: [B, obs_dim], act: [B, act_dim] -> every member's prediction on every row, [E, B, d].
  EnsembleOutput predict(const at::Tensor& obs, const at::Tensor& act);
  /// raw network outputs [..., output_columns] -> mean, bounded logvar, termination logit.
  EnsembleOutput split_output(const at::Tensor& raw) const;

  /// Training loss of member e on its own rows, summed over members (mbrl-lib's `loss`): the
  /// Gaussian NLL without constant, mean over rows and dims, (or the squared error when
  /// deterministic) plus binary cross-entropy of termination, plus 0.01 (sum max_logvar - sum
  /// min_logvar) when the bounds are learned. Weight decay is not included (see
  /// `weight_decay_penalty`). x: [E, B, input_dim], y: [E, B, d], terminated: [E, B] float or
  /// undefined -> scalar. Differentiable.
  /// weights: [E, B, d] float or undefined: each element's NLL (or squared error) term is
  /// multiplied by its weight before the mean (VaGraM's value-gradient weights, per-sample
  /// re-weighting); weights of 1 give the unweighted loss bit for bit, a weight of 0 removes
  /// the element's gradient.
  at::Tensor loss(const at::Tensor& x, const at::Tensor& y, const at::Tensor& terminated,
                  const at::Tensor& weights = {});
  using DynamicsModel::loss;
  /// 0.5 sum_l decay_l |W_l|^2, whose gradient is the per-layer decay (scalar, differentiable).
  at::Tensor weight_decay_penalty() const;
  /// Weight decay of each layer (num_layers + 1 values: hidden layers, then output).
  const std::vector<double>& layer_weight_decay() const { return layer_decay_; }

  /// The members rollouts use (sorted, distinct, within [0, E)).
  const std::vector<int64_t>& elites() const { return elites_; }
  /// Throws InvalidArgument("elites", ...) for an empty list or an index outside [0, E).
  void set_elites(std::vector<int64_t> elites);

  /// The batched layers: num_layers hidden, then the output layer.
  const std::vector<EnsembleLinear>& layers() const { return layers_; }
  /// Parameters with a leading member axis (layer weights and biases), in layer order.
  std::vector<at::Tensor> member_parameters() const;

  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive, const std::string& source) override;
  using DynamicsModel::load;

  at::Tensor min_logvar;  // [d] parameter (trainable iff learn_logvar_bounds)
  at::Tensor max_logvar;  // [d]
  InputNormalizer normalizer{nullptr};

 private:
  void check_options() const;
  // (field, value) pairs that must match between a saved file and this model
  std::vector<std::pair<std::string, std::string>> architecture() const;
  // the forward pass of rollouts, created on first use
  EnsembleInference& inference();
  // mu + sigma eps (a copy of mu when not sampling or deterministic)
  at::Tensor sample_target(const at::Tensor& mean, const at::Tensor& logvar, bool sample,
                           at::Generator& gen) const;
  // the next obs of rows obs given a target sample [N, d], and the learned reward and
  // termination (undefined when not learned)
  ModelStep outcome(const at::Tensor& obs, const at::Tensor& target,
                    const at::Tensor& termination_logit) const;
  // the elites as a tensor on the model's device
  at::Tensor elite_index() const;

  GaussianMlpEnsembleOptions options_;
  int64_t input_dim_, target_dim_, output_columns_;
  std::vector<EnsembleLinear> layers_;
  std::vector<double> layer_decay_;
  std::vector<int64_t> elites_;
  at::Tensor keep_dims_, angle_dims_;  // [o - n_angles], [n_angles] int64 (CPU)
  at::Tensor delta_mask_;              // [obs_dim] float: 1 where the target is a difference
  std::unique_ptr<EnsembleInference> inference_;
};

/// Reads the options of `model: {type: gaussian_mlp_ensemble, ...}` (every key but `type`) for
/// an env with the given dims. num_elites defaults to min(5, ensemble_size).
GaussianMlpEnsembleOptions gaussian_mlp_ensemble_options_from_config(const ConfigNode& node,
                                                                     int64_t obs_dim,
                                                                     int64_t act_dim);

}  // namespace mbrl

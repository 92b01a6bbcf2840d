// DynamicsReward: MOREC's dynamics reward r_D(s, a, s'), an ensemble of historical discriminators
// learned adversarially from a dataset's transitions, which scores how consistent a transition is
// with the data (Luo, Xu, Cao, Yu, ICLR 2024, "Reward-Consistent Dynamics Models are Strongly
// Generalizable for Offline RL"; algorithm specs section 6).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/module.h>

#include "mbrl/core/types.h"
#include "mbrl/models/input_normalizer.h"

namespace mbrl {

class ConfigNode;
class MetricsWriter;

/// Options of DynamicsReward; each field is a YAML key of the `dynamics_reward:` section of an
/// offline algorithm. MOREC's own defaults where its code gives them (d_clip, the threshold the
/// filter applies); the training sizes are ours, since the reward-learning code was not released.
struct DynamicsRewardOptions {
  /// Width of the discriminators' and the generator's hidden layers, >= 1.
  TORCH_ARG(int64_t, hidden_size) = 256;
  /// Hidden layers of each network, >= 1.
  TORCH_ARG(int64_t, num_layers) = 2;
  /// Gradient steps fitting the generator to the data by maximum likelihood first, >= 0.
  TORCH_ARG(int64_t, pretrain_steps) = 2000;
  /// Adversarial iterations (one discriminator and one generator step each), >= 1.
  TORCH_ARG(int64_t, iterations) = 5000;
  /// Dataset rows (and generated transitions) per step, >= 2.
  TORCH_ARG(int64_t, batch_size) = 256;
  /// Adam learning rates, > 0.
  TORCH_ARG(double, discriminator_lr) = 3e-4;
  TORCH_ARG(double, generator_lr) = 3e-4;
  /// Weight of the generator's entropy bonus, >= 0 (MOREC's code: ent_coeff 0.001).
  TORCH_ARG(double, entropy_coef) = 1e-3;
  /// Keep the discriminator every this many iterations, >= 1 (the historical ensemble).
  TORCH_ARG(int64_t, snapshot_every) = 100;
  /// The latest this many kept discriminators form r_D, >= 1.
  TORCH_ARG(int64_t, max_snapshots) = 40;
  /// Each discriminator's probability is clipped to [0, clip] before the mean, in (0, 1]
  /// (MOREC: d_clip 1.0).
  TORCH_ARG(double, clip) = 1.0;
};

/// Reads DynamicsRewardOptions from a section (every key optional); throws InvalidArgument naming
/// the key on a bad value.
DynamicsRewardOptions dynamics_reward_options_from_config(const ConfigNode& node);

/// r_D from the K discriminators' logits (MOREC's historical_transition_reward with ensemble
/// strategy prob_mean_clip): logits [K, ...]; expert_value, learner_value [K], each
/// discriminator's mean logit on data and on generated transitions when it was kept
/// (expert > learner). Each logit is clamped to [learner_k, expert_k] and mapped linearly onto
/// [-R/2, R/2], R = 2 max_k max(|expert_k|, |learner_k|); p_k = sigmoid of that;
/// r_D = -log(1 - mean_k clamp(p_k, 0, clip) + 1e-9) -> [...].
at::Tensor dynamics_reward_from_logits(const at::Tensor& logits, const at::Tensor& expert_value,
                                       const at::Tensor& learner_value, double clip);

/// What one `fit` did.
struct DynamicsRewardFit {
  int64_t snapshots = 0;        // discriminators in the ensemble
  double data_reward = 0;       // mean r_D of the dataset's transitions
  double generated_reward = 0;  // mean r_D of the final generator's transitions
  double seconds = 0;
};

/// MOREC's dynamics reward (see the file comment): the environment's transition is treated as an
/// agent that maximises a hidden reward of (s, a, s'), recovered from the data by adversarial
/// inverse RL, GAIL-style, with DARL's ensemble of historical discriminators (Luo et al. 2022) so
/// that the reward does not depend on the last generator.
///
/// `fit` (ours where MOREC's code is silent: its reward learning was not released):
///   1. inputs [s, a, s' - s] are standardised by the data (InputNormalizer);
///   2. a generator, a Gaussian MLP T(delta | s, a), is fitted to the data by maximum likelihood
///      (pretrain_steps);
///   3. each iteration, one Adam step of a discriminator MLP D(s, a, delta) -> logit on binary
///      cross-entropy (dataset transitions 1, generated 0), then one generator step maximising
///      E[-log(1 - D)] (the reward of the transition "policy", reparameterised: gradients go
///      through the sampled delta into the generator) plus entropy_coef times its entropy. This
///      treats each transition as a one-step episode (gamma = 0), where the paper's transition
///      agent is trained with RL over trajectories;
///   4. every snapshot_every iterations the discriminator is kept with its mean logits on the
///      batch's data and generated transitions (its expert and learner values, as MOREC's
///      saved discriminators carry them); a discriminator that does not rate data above the
///      generator (expert <= learner) is not kept (MOREC masks such ones out).
/// `score` evaluates the latest max_snapshots kept discriminators in one batched matmul per layer
/// and combines them with dynamics_reward_from_logits.
///
/// Fitted state (statistics and kept discriminators) is saved with the module (buffers).
class DynamicsRewardImpl : public torch::nn::Module {
 public:
  DynamicsRewardImpl(DynamicsRewardOptions options, int64_t obs_dim, int64_t act_dim);

  /// Learns r_D from `data` (rows obs, act, next_obs; at least 2) with random numbers from `gen`
  /// (CPU). With `metrics`, logs group `dynamics_reward` (dynamics_reward.csv) every
  /// snapshot_every iterations: iteration, discriminator_loss, generator_loss, data_logit,
  /// generated_logit, snapshots. Replaces any earlier fit. Throws NonFiniteError on a non-finite
  /// loss.
  DynamicsRewardFit fit(const TransitionBatch& data, at::Generator& gen,
                        MetricsWriter* metrics = nullptr);

  /// obs [..., obs_dim], act [..., act_dim], next_obs [..., obs_dim] (same leading dims) ->
  /// r_D [...] >= 0 on the module's device, without gradients. Throws before a fit.
  at::Tensor score(const at::Tensor& obs, const at::Tensor& act, const at::Tensor& next_obs) const;

  bool fitted() const { return expert_value.defined() && expert_value.numel() > 0; }
  int64_t snapshots() const { return fitted() ? expert_value.size(0) : 0; }
  const DynamicsRewardOptions& options() const { return options_; }
  int64_t obs_dim() const { return obs_dim_; }
  int64_t act_dim() const { return act_dim_; }

  /// Restores a saved module; throws DataError naming `source` when it holds other sizes.
  void load(torch::serialize::InputArchive& archive, const std::string& source);
  using torch::nn::Module::load;

  // standardises the discriminators' inputs [s, a, s' - s] by the data's statistics
  InputNormalizer normalizer{nullptr};
  // the kept discriminators, layer l: weights [K, in, out], biases [K, 1, out]
  std::vector<at::Tensor> weights, biases;
  at::Tensor expert_value, learner_value;  // [K]

 private:
  // obs, act, next_obs [N, ...] -> the raw discriminator inputs [s, a, s' - s], [N, 2 obs + act]
  at::Tensor features(const at::Tensor& obs, const at::Tensor& act,
                      const at::Tensor& next_obs) const;

  DynamicsRewardOptions options_;
  int64_t obs_dim_, act_dim_;
};
TORCH_MODULE(DynamicsReward);

}  // namespace mbrl

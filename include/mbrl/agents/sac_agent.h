// SacAgent: soft actor-critic (tanh-Gaussian actor, clipped double Q with Polyak targets,
// automatic entropy temperature) as an Agent that learns from any TransitionBatch.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/arg.h>

#include "mbrl/agents/agent.h"
#include "mbrl/agents/learner.h"
#include "mbrl/agents/q_ensemble.h"
#include "mbrl/agents/squashed_gaussian_policy.h"
#include "mbrl/core/types.h"
#include "mbrl/models/value_gradients.h"

namespace torch::optim {
class Adam;
}  // namespace torch::optim

namespace mbrl {

struct BuildContext;
class ConfigNode;

/// Options of SacAgent; each field is the YAML key of the `agent:` section (type: sac).
/// Defaults are the SAC settings MBPO uses (jannerm/mbpo base.py; pranz24 via mbrl-lib).
struct SacOptions {
  /// Width of the actor's and critics' hidden layers, >= 1.
  TORCH_ARG(int64_t, hidden_size) = 256;
  /// Hidden layers of the actor and of each critic, >= 1.
  TORCH_ARG(int64_t, num_layers) = 2;
  /// Number of Q networks, >= 1; targets and the actor use their minimum (2: twin Q).
  TORCH_ARG(int64_t, num_critics) = 2;
  /// Adam learning rates of the actor, the critics and log(alpha), > 0.
  TORCH_ARG(double, actor_lr) = 3e-4;
  TORCH_ARG(double, critic_lr) = 3e-4;
  TORCH_ARG(double, alpha_lr) = 3e-4;
  /// Cosine annealing of the actor's learning rate, as OfflineRL-Kit's run_mopo.py and
  /// run_mobile.py (torch's CosineAnnealingLR(actor_optim, T_max = epochs), stepped once per
  /// epoch): during epoch e = floor(updates / actor_lr_epoch_updates) the actor steps with
  /// actor_lr * (1 + cos(pi e / actor_lr_cosine_epochs)) / 2, which reaches 0 after
  /// actor_lr_cosine_epochs epochs (and, as torch's closed form, rises again after that).
  /// 0: a constant actor_lr. >= 0.
  TORCH_ARG(int64_t, actor_lr_cosine_epochs) = 0;
  /// Updates per epoch of the cosine schedule (OfflineRL-Kit: step_per_epoch 1000), >= 1.
  TORCH_ARG(int64_t, actor_lr_epoch_updates) = 1000;
  /// Discount, in [0, 1].
  TORCH_ARG(double, gamma) = 0.99;
  /// Polyak rate of the target critics, in (0, 1] (1: hard copy).
  TORCH_ARG(double, tau) = 0.005;
  /// Updates between target-critic updates, >= 1.
  TORCH_ARG(int64_t, target_update_interval) = 1;
  /// Entropy temperature: the initial value when tuned, else fixed; > 0.
  TORCH_ARG(double, alpha) = 0.2;
  /// Learn alpha so the policy's entropy tracks `target_entropy` (arXiv 1812.05905 sec. 5).
  TORCH_ARG(bool, automatic_entropy_tuning) = true;
  /// Entropy target in nats of the [-1, 1]-squashed policy; nullopt (YAML `auto`): -act_dim.
  TORCH_ARG(std::optional<double>, target_entropy) = std::nullopt;
  /// Minibatch size the training loops sample for each update, >= 1 (not used by update()).
  TORCH_ARG(int64_t, batch_size) = 256;
  /// EDAC's ensemble-similarity weight eta (An et al., NeurIPS 2021, eq. 5; RAVL uses it with 1.0
  /// and 10 critics, specs section 5), >= 0; > 0 needs num_critics >= 2. The critic loss adds
  /// eta * ES, ES = 1/(N-1) sum over i != j of <g_i, g_j>, g_j the unit gradient of Q_j(s, a) with
  /// respect to the batch's action a (in [-1, 1]), averaged over the batch: it pushes the critics'
  /// action gradients apart so that their minimum is pessimistic away from the data.
  TORCH_ARG(double, critic_diversity) = 0.0;
  /// TD targets without the entropy term: y = r + gamma (1 - d) min_n Qbar_n(s', a'), as MOBILE
  /// trains its critics (OfflineRL-Kit's deterministic_backup, on in its run_mobile.py).
  TORCH_ARG(bool, deterministic_backup) = false;
};

/// Losses and statistics of one SAC update (host values).
struct SacUpdateMetrics {
  double critic_loss = 0;        // sum over critics of the mean squared TD error
  double actor_loss = 0;         // mean of alpha log pi(a|s) - min_n Q_n(s, a)
  double alpha_loss = 0;         // 0 when alpha is fixed
  double alpha = 0;              // the temperature used in this update
  double entropy = 0;            // -mean log pi(a|s) of the fresh actions (squashed space, nats)
  double q_mean = 0;             // mean Q over critics and batch, before the critic step
  double critic_similarity = 0;  // EDAC's ES before the critic step (0 unless critic_diversity)
};

/// Soft actor-critic (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications",
/// arXiv 1812.05905, Algorithm 1): the soft Q loss J_Q (sec. 4.2; clipped double Q, i.e. the
/// minimum over `num_critics` target critics; bootstrapping unless `terminated`, so a time-limit
/// truncation still bootstraps), the reparameterised policy loss J_pi (sec. 4.2) and the
/// temperature loss J(alpha) (sec. 5, optimised on log alpha), with Polyak-averaged targets.
///
/// The actor acts in [-1, 1]; `act`/`act_batch` map its actions affinely to the env's bounds and
/// `update` maps stored env actions back, so the critics always see [-1, 1] actions.
///
/// Random numbers come from one generator (given at construction, on `device`), which is part of
/// the saved state: after `load`, acting and updating continue exactly as in the saved agent.
/// Threading contract: one thread at a time.
class SacAgent : public PolicyLearner, public ValueGradientSource {
 public:
  /// spec: the env's (finite action bounds); gen: a generator on `device` owned by the agent.
  /// Throws InvalidArgument naming the option for an out-of-range option.
  SacAgent(SacOptions options, const EnvSpec& spec, at::Generator gen,
           c10::Device device = c10::kCPU);
  ~SacAgent() override;

  /// obs: [obs_dim] (CPU) -> action [act_dim] float32 on the CPU, within the env's bounds.
  /// kExplore samples from the policy; kEval returns the deterministic tanh(mean).
  at::Tensor act(const at::Tensor& obs, ActMode mode = ActMode::kExplore) override;

  /// obs: [B, obs_dim] on any device -> actions [B, act_dim] in the env's bounds, on obs's
  /// device. No gradients. Used for model rollouts (MBPO calls it on ~100k states at once).
  at::Tensor act_batch(const at::Tensor& obs, bool deterministic = false) override;

  /// One gradient step of the critics, the actor and (if tuned) alpha on `batch` (any size and
  /// device: real replay, model rollouts or a mix), then a target update every
  /// `target_update_interval` updates. batch.act is in the env's action space.
  /// Throws ShapeError for a malformed batch and NonFiniteError ("sac: non-finite critic loss at
  /// update N") before stepping the optimizer of a component whose loss is not finite.
  SacUpdateMetrics update_sac(const TransitionBatch& batch);
  /// Learner: update_sac's critic_loss, actor_loss, alpha, entropy, q_mean, and
  /// critic_similarity when critic_diversity > 0 (metric_names()).
  UpdateMetrics update(const TransitionBatch& batch) override;
  const std::vector<std::string>& metric_names() const override;
  int64_t batch_size() const override { return options_.batch_size(); }

  /// ValueGradientSource, for VaGraM's model loss (pairlab/vagram `vaml_mlp.py`, `values` with
  /// `use_all_vf`): V(s) = Q_n(s, tanh(mean(s))) for every critic and every target critic, the
  /// actor's deterministic action held fixed (no gradient through the actor), differentiated
  /// with respect to s. obs: [B, obs_dim] on any device -> [2 num_critics, B, obs_dim] (critics,
  /// then target critics) on obs's device. The networks' own gradients are not touched.
  at::Tensor value_gradients(const at::Tensor& obs) override;

  /// Networks, target critics, optimizer states, log alpha, update count, generator state.
  void save(torch::serialize::OutputArchive& archive) const override;
  /// Restores what save wrote; throws DataError if it was saved for other dimensions.
  void load(torch::serialize::InputArchive& archive) override;

  const SacOptions& options() const { return options_; }
  /// Current temperature exp(log alpha).
  double alpha() const;
  double target_entropy() const { return target_entropy_; }
  /// Updates done so far.
  int64_t num_updates() const { return num_updates_; }
  /// The actor's learning rate at the next update (actor_lr, or its cosine schedule's value).
  double actor_lr() const;
  const c10::Device& device() const { return device_; }

  /// The networks, for inspection and for algorithms that reuse them (e.g. uncertainty from
  /// critic disagreement). Modifying them changes the agent.
  SquashedGaussianPolicy& policy() { return policy_; }
  QEnsemble& critic() { return critic_; }
  QEnsemble& target_critic() { return target_critic_; }

  /// act: [..., act_dim] in the env's bounds <-> [-1, 1] (clamped).
  at::Tensor normalize_action(const at::Tensor& act) const;
  at::Tensor denormalize_action(const at::Tensor& act) const;

 private:
  // the critics' loss on a batch already on device_; fills q_mean and critic_similarity
  at::Tensor critic_loss(const TransitionBatch& batch, const at::Tensor& alpha,
                         SacUpdateMetrics& metrics);
  void step_actor_and_alpha(const at::Tensor& obs, const at::Tensor& alpha,
                            SacUpdateMetrics& metrics);
  void update_targets();

  const SacOptions options_;
  const int64_t obs_dim_, act_dim_;
  const c10::Device device_;
  double target_entropy_;
  at::Generator gen_;
  at::Tensor act_scale_, act_bias_;  // [act_dim] on device_
  SquashedGaussianPolicy policy_{nullptr};
  QEnsemble critic_{nullptr};
  QEnsemble target_critic_{nullptr};
  at::Tensor log_alpha_;  // [1], requires grad
  std::unique_ptr<torch::optim::Adam> actor_optim_, critic_optim_, alpha_optim_;
  int64_t num_updates_ = 0;
};

/// Reads SacOptions from an `agent:` node (unknown keys are rejected by the caller);
/// `target_entropy` is a number or `auto`.
SacOptions sac_options_from_config(const ConfigNode& node);

/// The registry factory of `type: sac`: the env's spec, the "agent" generator and the device
/// from `ctx`.
std::shared_ptr<SacAgent> make_sac_agent(const ConfigNode& node, const BuildContext& ctx);

}  // namespace mbrl

// ImaginationActorCritic: DreamerV3's actor and critic, trained on trajectories the world model
// imagines from replayed states.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/module.h>

#include "mbrl/agents/dreamer/actor_distribution.h"
#include "mbrl/agents/dreamer/latent_up_mpc.h"
#include "mbrl/agents/dreamer/return_normalizer.h"
#include "mbrl/models/world/world_model.h"
#include "mbrl/nn/mlp.h"
#include "mbrl/nn/twohot.h"

namespace torch::optim {
class Adam;
}  // namespace torch::optim
namespace torch::serialize {
class InputArchive;
class OutputArchive;
}  // namespace torch::serialize

namespace mbrl {

/// Options of ImaginationActorCritic: DreamerV3's 2023 release (ec526b9 configs.yaml) but for the
/// network width, small for CPU.
struct ImaginationActorCriticOptions {
  ImaginationActorCriticOptions(int64_t feature_size, int64_t act_dim)
      : feature_size_(feature_size), act_dim_(act_dim) {}
  TORCH_ARG(int64_t, feature_size);
  TORCH_ARG(int64_t, act_dim);
  TORCH_ARG(int64_t, units) = 256;
  TORCH_ARG(int64_t, layers) = 2;
  /// Imagined steps per start state.
  TORCH_ARG(int64_t, horizon) = 15;
  /// Discount 1 - 1/333 and the lambda of the returns.
  TORCH_ARG(double, gamma) = 1.0 - 1.0 / 333.0;
  TORCH_ARG(double, lambda) = 0.95;
  /// Actor entropy bonus.
  TORCH_ARG(double, entropy_scale) = 3e-4;
  /// Slow critic: EMA rate per update, and the weight of the regulariser toward it.
  TORCH_ARG(double, slow_rate) = 0.02;
  TORCH_ARG(double, slow_reg) = 1.0;
  /// Adam for actor and critic: lr 3e-5, eps 1e-5, gradient norm clipped at 100.
  TORCH_ARG(double, actor_lr) = 3e-5;
  TORCH_ARG(double, critic_lr) = 3e-5;
  TORCH_ARG(double, adam_eps) = 1e-5;
  TORCH_ARG(double, grad_clip) = 100.0;
  /// Bounds of the actor's standard deviation (continuous actions).
  TORCH_ARG(double, min_std) = 0.1;
  TORCH_ARG(double, max_std) = 1.0;
  /// Discrete actions (the env's EnvSpec::discrete_actions, not a config key): the actor is a
  /// one-hot categorical over act_dim choices with `unimix` uniform mixture, trained by
  /// REINFORCE, as DreamerV3 2023 (actor_grad_disc: reinforce, actor unimix 0.01).
  TORCH_ARG(bool, discrete_actions) = false;
  TORCH_ARG(double, unimix) = 0.01;
  TORCH_ARG(int64_t, critic_bins) = 255;
};

/// What one training step measured (means over the imagined batch).
struct ImaginationMetrics {
  double actor_loss = 0, critic_loss = 0, imagined_return = 0, value = 0, entropy = 0,
         return_scale = 1;
  /// With a conservative planner: the mean disagreement sum U of the chosen candidates.
  double planned_uncertainty = 0;
};

/// The actor (continuous actions: BoundedNormal from features; discrete: OneHotCategorical) and
/// the critic (two-hot over symlog bins, with a slow EMA copy), trained as DreamerV3 (2023
/// release, agent.py ImagActorCritic and VFunction): from N start states the actor acts for H
/// imagined steps (on stop-gradient features; its sampled actions drive the world model, whose
/// weights this class never steps); rewards and continue flags (the continue head's mode) come
/// from the world model's heads; returns are lambda-returns on the critic's values; the actor
/// loss (actor_loss.h: backprop gradient for continuous actions, REINFORCE for discrete ones,
/// whose imagined actions are then stop-gradient) uses advantages scaled by the
/// ReturnNormalizer; the critic
/// fits the two-hot of sg(returns) plus slow_reg times the two-hot of the slow critic's value,
/// weighted by the imagined steps' weights; then the slow critic moves slow_rate toward the
/// critic.
class ImaginationActorCritic : public torch::nn::Module {
 public:
  ImaginationActorCritic(ImaginationActorCriticOptions options, at::Generator gen);
  ~ImaginationActorCritic() override;

  const ImaginationActorCriticOptions& options() const { return options_; }
  /// The policy at features [..., F].
  ActorDistribution policy(const at::Tensor& features);
  /// The critic's value at features [..., F]: [...].
  at::Tensor value(const at::Tensor& features);
  at::Tensor slow_value(const at::Tensor& features);

  /// COPlanner's conservative imagination (si0wang/COPlanner agent.py WorldModel.imagine with
  /// is_rollout): from the first imagined state on, each action is the first action of the
  /// candidate LatentUpMpc prefers with weight -conservative_weight, among K reparameterised
  /// draws of the actor at that state (the gradient flows through the chosen draw); the start
  /// state's action is the actor's own draw, as the reference. `disagreement` is trained by the
  /// caller. Throws InvalidArgument naming the option on a bad value.
  void plan_imagination(std::shared_ptr<LatentDisagreement> disagreement, UpMpcOptions planner,
                        double conservative_weight);

  /// One update from `starts` (N states, e.g. WorldModel::observe(..., true).every) with their
  /// real continue flags start_cont [N] (1 - is_terminal).
  ImaginationMetrics train(WorldModel& world_model, const LatentState& starts,
                           const at::Tensor& start_cont);

  /// What a checkpoint needs beyond the parameters (Module::save): both optimizers' states, the
  /// return normaliser and the generator.
  void save_training_state(torch::serialize::OutputArchive& archive) const;
  void load_training_state(torch::serialize::InputArchive& archive);

 private:
  void update_slow_critic();

  ImaginationActorCriticOptions options_;
  at::Generator gen_;
  TwoHotBins bins_;
  Mlp actor_{nullptr}, critic_{nullptr}, slow_critic_{nullptr};
  std::unique_ptr<torch::optim::Adam> actor_optim_, critic_optim_;
  ReturnNormalizer normalizer_;
  std::shared_ptr<LatentDisagreement> disagreement_;  // with plan_imagination
  std::optional<LatentUpMpc> planner_;
  double conservative_weight_ = 0;
};

}  // namespace mbrl

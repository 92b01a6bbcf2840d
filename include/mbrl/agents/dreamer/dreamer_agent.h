// DreamerAgent: a world model and an actor-critic trained in its imagination, acting in the
// environment through the world model's posterior state.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "mbrl/agents/agent.h"
#include "mbrl/agents/dreamer/imagination_actor_critic.h"
#include "mbrl/agents/dreamer/latent_up_mpc.h"
#include "mbrl/agents/up_mpc.h"
#include "mbrl/core/types.h"
#include "mbrl/data/step_replay.h"
#include "mbrl/models/world/world_model.h"

namespace torch::optim {
class Adam;
}  // namespace torch::optim

namespace mbrl {

class ConfigNode;
struct BuildContext;

/// The world model's optimiser (DreamerV3 2023: Adam lr 1e-4, eps 1e-8, norm clipped at 1000).
struct WorldModelOptimizerOptions {
  TORCH_ARG(double, lr) = 1e-4;
  TORCH_ARG(double, adam_eps) = 1e-8;
  TORCH_ARG(double, grad_clip) = 1000.0;
};

/// DreamerV3's agent. Acting (Agent): the world model observes each real observation with the
/// previous action (observe_step; `reset` starts an episode) and the actor samples (explore) or
/// takes its mode (eval) from the features. Continuous actions are clipped to [-1, 1] and mapped
/// affinely onto the env's action box (the world model works in [-1, 1] actions throughout);
/// discrete actions (the actor_critic's discrete_actions) are one-hot vectors for the world
/// model and the env alike.
/// Learning (`train`): one world-model step on a replayed chunk, then one actor-critic update
/// from every posterior state of that chunk (stop-gradient), as DreamerV3's train step.
class DreamerAgent : public Agent {
 public:
  /// world_model and actor_critic sized for each other (feature_size); action_space: the env's
  /// finite box; gen: a CPU generator for acting, owned from now on.
  DreamerAgent(std::shared_ptr<WorldModel> world_model,
               std::shared_ptr<ImaginationActorCritic> actor_critic, Box action_space,
               WorldModelOptimizerOptions optimizer, at::Generator gen);
  ~DreamerAgent() override;

  void reset() override;
  /// obs [obs_dim] -> action [act_dim] in the env's box.
  at::Tensor act(const at::Tensor& obs, ActMode mode = ActMode::kExplore) override;
  /// The world model's state after the last observation (batch 1).
  const LatentState& latent_state() const { return state_; }

  /// What act() carries from one step to the next: the latent state, the previous action and
  /// whether the next observation starts an episode. A loop that evaluates inside a training
  /// episode takes it before and restores it after, so the episode continues unchanged.
  struct Memory {
    LatentState state;
    at::Tensor prev_act;
    bool first = true;
  };
  Memory memory() const { return {state_, prev_act_, first_}; }
  void restore(Memory memory);
  /// The action the world model saw last, in [-1, 1] (one-hot when discrete): what a
  /// StepReplay stores as prev_act.
  const at::Tensor& last_normalized_action() const { return prev_act_; }
  /// env action [act_dim] -> [-1, 1] (discrete: unchanged).
  at::Tensor normalize(const at::Tensor& action) const;
  bool discrete() const { return actor_critic_->options().discrete_actions(); }
  /// Where the networks live (the world model's device).
  c10::Device device() const { return device_; }

  /// COPlanner on Dreamer (Wang et al. 2024; si0wang/COPlanner Dreamerv3-COPlanner): every
  /// `train` also fits `disagreement` (a Plan2Explore ensemble on the latent transitions) on the
  /// replayed chunk's posterior; with conservative_rollouts the actor-critic imagines with
  /// LatentUpMpc (ImaginationActorCritic::plan_imagination, weight -conservative_weight); with
  /// optimistic_exploration `act` in explore mode takes the first action of the candidate
  /// LatentUpMpc prefers with weight +optimistic_weight among K draws of the actor at the
  /// posterior state (behaviors.py Greedy.policy). Adds the metrics disag_loss and
  /// imag_plan_uncertainty. Call before training starts. Throws InvalidArgument naming the
  /// option on a bad value.
  void enable_coplanner(std::shared_ptr<LatentDisagreement> disagreement, CoplannerOptions options);
  /// The disagreement model (null without COPlanner).
  LatentDisagreement* disagreement() const { return disagreement_.get(); }

  /// One world-model step and one actor-critic update on `steps` (on any device; moved to the
  /// world model's) -> metric_names() values. Throws NonFiniteError naming the component
  /// ("dreamer: non-finite world-model loss", "... actor loss", "... critic loss").
  std::vector<double> train(const StepBatch& steps);
  const std::vector<std::string>& metric_names() const { return metric_names_; }

  /// Everything training continues from: both networks' parameters, the three optimizers, the
  /// return normaliser and the acting, latent and imagination generators. `load` then resets
  /// (the next act starts an episode).
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  WorldModel& world_model() { return *world_model_; }
  ImaginationActorCritic& actor_critic() { return *actor_critic_; }

 private:
  std::shared_ptr<WorldModel> world_model_;
  std::shared_ptr<ImaginationActorCritic> actor_critic_;
  Box action_space_;
  WorldModelOptimizerOptions optimizer_options_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  at::Generator gen_;
  c10::Device device_;  // the world model's
  LatentState state_;
  at::Tensor prev_act_;  // [act_dim] in [-1, 1]
  bool first_ = true;
  std::vector<std::string> metric_names_;
  // COPlanner
  std::shared_ptr<LatentDisagreement> disagreement_;
  std::optional<CoplannerOptions> coplanner_;
  std::optional<LatentUpMpc> explore_planner_;
};

/// The agent of an `agent:` section of type `dreamer` (registry type `dreamer`), on ctx.device:
///   world_model:  WorldModelOptions keys (latents, classes, units, layers, unimix, free_nats,
///                 dyn_scale, rep_scale, reward_bins, posterior) and the optimiser's lr,
///                 adam_eps, grad_clip;
///   backbone:     the deterministic path, a `backbone_registry()` section (type: gru,
///                 transformer, s4d or mamba, and its options), reading latents * classes +
///                 act_dim inputs;
///   actor_critic: ImaginationActorCriticOptions keys (units, layers, horizon, gamma, lambda, ...);
///   coplanner:    optional, COPlanner (enable_coplanner): CoplannerOptions keys and a
///                 `disagreement` section of LatentDisagreementOptions keys (heads, units, layers,
///                 lr, adam_eps, grad_clip).
/// Generators: `dreamer_latents` and `dreamer_imagination` on the device, `agent` for acting.
std::shared_ptr<DreamerAgent> make_dreamer_agent(const ConfigNode& node, const BuildContext& ctx);

}  // namespace mbrl

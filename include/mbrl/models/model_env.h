// ModelEnv: a learned dynamics model, the task's reward and termination, and a propagation
// method, stepped as a batched environment (Dyna rollouts) or used to score action sequences (MPC).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include "mbrl/data/rollout_start.h"
#include "mbrl/envs/sequence_scorer.h"
#include "mbrl/models/dynamics_model.h"
#include "mbrl/models/propagation.h"
#include "mbrl/models/uncertainty.h"

namespace mbrl {

class ConfigNode;
class TaskFunctions;

/// Options of ModelEnv; each field is a YAML key of the section that configures rollouts
/// (e.g. `agent.model_env`).
struct ModelEnvOptions {
  /// Particles K per candidate sequence and start state in `score`, >= 1 (PETS: 20).
  TORCH_ARG(int64_t, particles) = 20;
  /// Member assignment of rows (YAML: ts1, ts_inf, expectation, random_model).
  TORCH_ARG(Propagation, propagation) = Propagation::kTsInf;
  /// Sample the next state from the predicted Gaussian (mu + sigma eps); false: use the mean.
  TORCH_ARG(bool, sample) = true;
};

/// How ModelEnv::step_best_of picks among a row's scored candidates (MOREC's reward_use_type).
enum class CandidateChoice {
  kBest,     // the highest score (select_elite)
  kSoftmax,  // a draw from softmax(score / temperature) (softmax_elite)
};

/// One batched model step.
struct ModelStepResult {
  at::Tensor next_obs;      // [N, obs_dim]
  at::Tensor reward;        // [N]
  at::Tensor terminated;    // [N] bool
  Uncertainty uncertainty;  // [N] fields; undefined unless requested
  at::Tensor member_mean;   // [E, N, d] every member's mean (target space), when requested
  at::Tensor member_std;    // [E, N, d], when requested and the model is not deterministic
  at::Tensor score;         // [N] the chosen transition's score (step_best_of only)
};

/// Rates candidate transitions, higher for more plausible ones (MOREC: DynamicsReward::score):
/// obs [C, N, obs_dim], act [C, N, act_dim], next_obs [C, N, obs_dim] -> [C, N].
using TransitionScore = std::function<at::Tensor(const at::Tensor& obs, const at::Tensor& act,
                                                 const at::Tensor& next_obs)>;

/// Any DynamicsModel wrapped as a batched environment (mbrl-lib's ModelEnv).
///
/// The model steps its own rollout state (DynamicsModel::initial_state / step); the options'
/// propagation and sampling go into that state (for an ensemble: which elite predicts each row,
/// see draw_groups). The reward is the task's reward of (obs, act, next_obs) or the predicted one
/// when the model learns the reward, and termination comes from the learned head or the task
/// (never, with neither).
///
/// All random numbers come from the injected generator (on the model's device).
/// Threading contract: called from one thread at a time.
class ModelEnv : public SequenceScorer {
 public:
  /// A return that is not finite (a diverging rollout) is replaced by this (PETS: cost 1e6).
  static constexpr double kNonFiniteReturn = -1e6;

  /// task may be null when the model learns the reward. Throws InvalidArgument naming the
  /// option on a bad value.
  ModelEnv(const ModelEnvOptions& options, std::shared_ptr<DynamicsModel> model,
           std::shared_ptr<const TaskFunctions> task, at::Generator gen);

  /// SequenceScorer: obs [S, obs_dim], actions [S, P, H, act_dim] -> [S, P], the mean over
  /// `particles` rollouts of the summed rewards; a particle stops accumulating reward after the
  /// step on which it terminates.
  at::Tensor score(const at::Tensor& obs, const at::Tensor& actions) override;

  /// The real episode's memory, for models that remember (DynamicsModel::has_memory; a no-op
  /// for the others): `observe` steps the model on the real transition (obs, act: [obs_dim],
  /// [act_dim]) from the memory so far and keeps the memory with next_obs [obs_dim] as its
  /// observation. A rollout from exactly that observation alone (`score` or
  /// `evaluate_action_sequences` with S = 1) starts from this memory instead of a fresh one;
  /// `begin_episode` forgets it. Each step of the memory is written by the weights the model had
  /// then: a model retrained mid-episode (PETS's train_every) continues the memory its earlier
  /// weights wrote, as a recurrent agent's state does (recomputing it would cost O(T) per plan).
  void begin_episode() override;
  void observe(const at::Tensor& obs, const at::Tensor& act, const at::Tensor& next_obs) override;

  /// The same for one set of action sequences shared by S start states:
  /// actions [P, H, act_dim], obs [S, obs_dim], K particles -> returns [S, P].
  at::Tensor evaluate_action_sequences(const at::Tensor& actions, const at::Tensor& obs,
                                       int64_t particles);

  /// The state of N independent Dyna rollouts (rows as draw_groups with particles = N) from
  /// `start`: a model with memory continues the memory of each row's real history
  /// (DynamicsModel::initial_state_after); `start(obs [N, obs_dim])` starts without history.
  ModelState start(const RolloutStart& start);
  ModelState start(const at::Tensor& obs);

  /// One step of the rows of `state` (from `start` or an earlier step), which it advances:
  /// act [N, act_dim]. The state carries what the model keeps between steps (a sequence model's
  /// memory; an ensemble's TS-inf members). With `with_uncertainty` (models that are
  /// UncertaintyAware only), every member predicts every row (E times the work) and the result
  /// carries Uncertainty over all E members and their raw predictions.
  ModelStepResult step(ModelState& state, const at::Tensor& act, bool with_uncertainty = true);
  /// One step of N rows from a fresh start at obs [N, obs_dim]: step(start(obs), act, ...).
  ModelStepResult step(const at::Tensor& obs, const at::Tensor& act, bool with_uncertainty = true);

  /// MOREC's filtered step (Luo et al. 2024; its ensemble_dynamics.py `select_elite` and
  /// `softmax_elite`): each rollout member (an ensemble's elites, M) draws `samples` >= 1
  /// transitions of every row (C = samples x M candidates, next state and learned reward drawn
  /// together), `score` rates them, and each row takes its highest-scoring candidate (kBest; the
  /// first on a tie) or draws one with probabilities softmax(score / temperature) over its C
  /// candidates (kSoftmax, temperature > 0; MOREC's 0.1). `score` in the result holds the chosen
  /// candidate's score and the Uncertainty is over all members. Termination is the chosen
  /// candidate's (learned) or the task's. UncertaintyAware models only.
  ModelStepResult step_best_of(const at::Tensor& obs, const at::Tensor& act, int64_t samples,
                               const TransitionScore& score,
                               CandidateChoice choice = CandidateChoice::kBest,
                               double temperature = 0.1);

  const ModelEnvOptions& options() const { return options_; }
  const std::shared_ptr<DynamicsModel>& model() const { return model_; }
  /// True when `step` can report uncertainty (the model is UncertaintyAware).
  bool has_uncertainty() const { return uncertainty_aware_ != nullptr; }
  at::Generator& generator() { return gen_; }

 private:
  // the task's reward and termination where the model does not predict them: obs, act [N, ...]
  // and the model's step -> the step with reward and terminated defined
  void complete(const at::Tensor& obs, const at::Tensor& act, ModelStep& step) const;
  at::Tensor rollout_returns(const at::Tensor& obs, const at::Tensor& actions, int64_t particles);
  RolloutSpec spec(int64_t particles) const;
  // initial_state of start [N, obs_dim] (N = S x rows per start), continuing `history_` when
  // S = 1 and the start is its observation
  ModelState start_state(const at::Tensor& start, int64_t starts, int64_t particles);

  const ModelEnvOptions options_;
  std::shared_ptr<DynamicsModel> model_;
  UncertaintyAware* uncertainty_aware_;  // model_ as UncertaintyAware, or null
  std::shared_ptr<const TaskFunctions> task_;
  at::Generator gen_;
  ModelState history_;  // one row: the memory after the real episode so far (has_memory only)
};

/// Reads ModelEnvOptions from a config section (every key optional).
ModelEnvOptions model_env_options_from_config(const ConfigNode& node);

}  // namespace mbrl

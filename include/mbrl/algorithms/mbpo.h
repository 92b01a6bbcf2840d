// MBPO: model-based policy optimisation (Janner et al., NeurIPS 2019), SAC trained on short
// model rollouts branched from real states, with an ensemble retrained every few env steps.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include "mbrl/agents/learner.h"
#include "mbrl/agents/up_mpc.h"
#include "mbrl/algorithms/algorithm.h"
#include "mbrl/algorithms/evaluation.h"
#include "mbrl/algorithms/model_rollout.h"
#include "mbrl/algorithms/online_episodes.h"
#include "mbrl/algorithms/rollout_schedule.h"
#include "mbrl/algorithms/run_clock.h"
#include "mbrl/algorithms/run_schedule.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/envs/env.h"
#include "mbrl/models/dynamics_model.h"
#include "mbrl/models/model_env.h"
#include "mbrl/models/model_learner.h"
#include "mbrl/models/model_trainer.h"

namespace mbrl {

class ConfigNode;
struct BuildContext;

/// Options of Mbpo; each field is a YAML key of the `algorithm:` section (type: mbpo), named as
/// in mbrl-lib where it has the option. Defaults are the MBPO paper's common settings
/// (jannerm/mbpo examples/development/base.py and the per-env configs).
struct MbpoOptions {
  /// Environment steps to train for (initial random steps included), >= 1.
  TORCH_ARG(int64_t, num_steps) = 100000;
  /// Env steps per epoch, the unit of the rollout schedule and of the model buffer, >= 1.
  TORCH_ARG(int64_t, epoch_length) = 1000;
  /// Steps of uniform random actions before the first model training, >= 0.
  TORCH_ARG(int64_t, initial_random_steps) = 5000;
  /// Retrain the ensemble (and roll out) right after the random steps and every this many env
  /// steps after them, >= 1 (mbrl-lib: freq_train_model).
  TORCH_ARG(int64_t, model_train_freq) = 250;
  /// Start states per rollout batch, >= 1 (mbrl-lib: effective_model_rollouts_per_step times
  /// freq_train_model; the YAML accepts either key).
  TORCH_ARG(int64_t, rollout_batch_size) = 100000;
  /// Real transitions before each rollout start that a model with memory reads first, >= 0
  /// (ReplayBuffer::rollout_starts; its memory is then carried through the rollout); 0 starts
  /// every rollout from a fresh memory. Models without memory need 0.
  TORCH_ARG(int64_t, rollout_history) = 0;
  /// Rollout length schedule [min_epoch, max_epoch, min_length, max_length].
  TORCH_ARG(RolloutSchedule, rollout_schedule) = RolloutSchedule{20, 100, 1, 1};
  /// Epochs of model rollouts the model buffer retains, >= 1 (mbrl-lib:
  /// num_epochs_to_retain_sac_buffer).
  TORCH_ARG(int64_t, model_retain_epochs) = 1;
  /// Fraction of each SAC minibatch drawn from real transitions, in [0, 1].
  TORCH_ARG(double, real_ratio) = 0.05;
  /// SAC updates per env step (G, MBPO's n_train_repeat), >= 0.
  TORCH_ARG(int64_t, sac_updates_per_step) = 20;
  /// Evaluate every this many env steps (and after the last), >= 1.
  TORCH_ARG(int64_t, eval_every) = 1000;
  /// Deterministic episodes per evaluation, on a separate env, >= 1.
  TORCH_ARG(int64_t, eval_episodes) = 1;
  /// Save the model at each evaluation to <run>/models/step_<env steps>.pt, for `mbrl diagnose`'s
  /// objective-mismatch table (the model the policy last trained on, against its evaluation).
  TORCH_ARG(bool, keep_models) = false;
  /// Checkpoint at the first episode end at or after every this many env steps, >= 0 (0: only
  /// at the end of the run).
  TORCH_ARG(int64_t, checkpoint_every) = 10000;
  /// Real replay capacity in transitions, >= 1.
  TORCH_ARG(int64_t, replay_capacity) = 1000000;
  /// Compute every member's prediction in rollouts to log the epistemic uncertainty (costs the
  /// whole ensemble's inference instead of one member's per row); needs an UncertaintyAware
  /// model.
  TORCH_ARG(bool, rollout_uncertainty) = true;
  /// MBPO's defaults for a gradient-trained model's learner (the `model_training` section, read
  /// by the learner that model_learner_registry() makes for the model's type).
  TORCH_ARG(ModelTrainerOptions, model_training) = ModelTrainerOptions();
  /// COPlanner (Wang et al. 2024) on MBPO, the `coplanner:` section (absent: plain MBPO): UP-MPC
  /// chooses the actions of model rollouts (conservative) and of the real env (optimistic);
  /// needs an UncertaintyAware model.
  TORCH_ARG(std::optional<CoplannerOptions>, coplanner) = std::nullopt;
};

/// The generators of Mbpo, one per random stream (all part of its checkpoints).
struct MbpoGenerators {
  at::Generator explore;    // CPU: uniform actions of the initial random steps
  at::Generator replay;     // CPU: SAC minibatches
  at::Generator model;      // CPU: model training (holdout split, bootstrap, shuffles)
  at::Generator rollout;    // CPU: rollout start states
  at::Generator model_env;  // on the model's device: member and next-state draws in rollouts
};

/// MBPO (Janner et al. 2019, Algorithm 2, with the schedule of jannerm/mbpo): every env step
/// adds one real transition; right after the `initial_random_steps` and every `model_train_freq`
/// steps after that, the model's learner is given the real replay (the ensemble's ModelTrainer
/// retrains on all of it: holdout, early stopping, elites), the rollout length k is set from the
/// schedule (epoch = policy steps so far / epoch_length, counted from 0 as jannerm/mbpo's
/// self._epoch in _set_rollout_length; mbrl-lib passes epoch + 1, one epoch ahead), and
/// `rollout_batch_size` start states sampled from the real replay are rolled out k steps with the
/// current policy (sampling) in a ModelEnv (for an ensemble: random elite per row and step, sampled
/// next state; termination from the task functions, reward learned) into the model buffer. Any
/// registered dynamics model that learns the reward works. Its capacity is
/// model_retain_epochs * rollout_batch_size * k * epoch_length / model_train_freq (MBPO's pool
/// size); it is reallocated, keeping the newest rollouts, when k changes. From the first
/// rollout on, each env step runs `sac_updates_per_step` SAC updates on minibatches of
/// floor(batch_size * real_ratio) real and the rest model transitions.
///
/// Metrics: `episode` and `eval` groups as OnlineEpisodes; `model` (model.csv), one row per
/// model training: env_steps, epoch, rollout_length, model_epochs, model_train_loss (last epoch),
/// model_holdout_score (mean best holdout MSE of the elites), model_members_not_better (members
/// whose kept weights do not beat their weights before the training on its holdout),
/// rollout_transitions,
/// model_buffer_size, model_buffer_capacity, rollout_reward (mean), rollout_epistemic_std (mean
/// Uncertainty::epistemic_std), rollout_terminated (fraction of start states), model_train_s,
/// rollout_s, sac_update_s (SAC time since the previous model row), elapsed_s; and the trainer's
/// per-epoch `model_train` group.
///
/// With `coplanner` (si0wang/COPlanner MuJoCo-MBPO-COPlanner/main_mbpo.py, `is_mpc`): every
/// rollout step takes UP-MPC's action with weight -conservative_weight instead of the policy's
/// sample (mpc_rollout_model), and every env step after the first model training takes UP-MPC's
/// action with weight +optimistic_weight (EnvSampler.mpc_sample); the uniform random steps stay.
/// Both plan in the rollouts' ModelEnv (random elite per row, sampled next states) with the
/// policy sampling. model.csv then also has coplanner_rollout_return and
/// coplanner_rollout_uncertainty (mean planned R and U of the chosen rollout actions),
/// coplanner_explore_uncertainty (mean planned U of the env steps since the previous row) and
/// coplanner_explore_s (their planning time).
///
/// Checkpoints (RunContext::checkpoint) are taken at episode boundaries (see OnlineEpisodes and
/// RunSchedule) and at the end; they hold the counters, both buffers, the agent (networks,
/// optimizers, generator), the model (weights, normalizer, elites), the trainer's optimizer and
/// every generator, so a resumed run continues exactly. A non-finite loss or prediction throws
/// NonFiniteError naming the component and the env step; no checkpoint is written after it.
class Mbpo : public Algorithm {
 public:
  /// env / eval_env: training and evaluation instances; task: the env's task functions
  /// (termination in rollouts; may be null: never terminate). train_seed: episode i of training
  /// resets with train_seed + i; eval_seed likewise for evaluation episodes. Throws
  /// InvalidArgument naming the option on a bad value.
  Mbpo(MbpoOptions options, std::shared_ptr<Env> env, std::shared_ptr<Env> eval_env,
       std::shared_ptr<PolicyLearner> agent, std::shared_ptr<DynamicsModel> model,
       std::shared_ptr<ModelLearner> learner, std::shared_ptr<const TaskFunctions> task,
       MbpoGenerators gens, uint64_t train_seed, uint64_t eval_seed);

  void run(RunContext& run) override;
  std::shared_ptr<Agent> agent() const override { return agent_; }
  void save_checkpoint(torch::serialize::OutputArchive& archive) const override;
  void load_checkpoint(torch::serialize::InputArchive& archive) override;
  bool supports_checkpoints() const override { return true; }

  const MbpoOptions& options() const { return options_; }
  /// Every evaluation so far, in order.
  const std::vector<Evaluation>& evaluations() const { return evaluations_; }
  /// The current rollout length (0 before the first model training).
  int64_t rollout_length() const { return rollout_length_; }
  const ReplayBuffer& replay() const { return *replay_; }
  /// The model buffer (null before the first model training).
  const ReplayBuffer* model_buffer() const { return model_buffer_.get(); }
  int64_t env_steps() const { return episodes_.env_steps(); }

  /// MBPO's model buffer capacity for rollout length k.
  static int64_t model_buffer_capacity(const MbpoOptions& options, int64_t k);

 private:
  // step t (1-based) of the loop: act, store, train/roll out when due, update SAC
  StepResult env_step(int64_t t);
  void train_model_and_roll_out(int64_t t, MetricsWriter& metrics, double elapsed_s);
  void update_agent(int64_t t);
  // a model buffer of the capacity for k, keeping the newest rollouts of the old one
  void resize_model_buffer(int64_t k);
  // the action of env step t: uniform, the policy's sample or UP-MPC's optimistic plan
  at::Tensor behaviour_action(int64_t t, const at::Tensor& obs);

  const MbpoOptions options_;
  std::shared_ptr<PolicyLearner> agent_;
  std::shared_ptr<DynamicsModel> model_;
  std::shared_ptr<ModelLearner> learner_;
  std::shared_ptr<Env> eval_env_;
  MbpoGenerators gens_;
  ModelEnv model_env_;
  OnlineEpisodes episodes_;
  uint64_t eval_seed_;
  at::Tensor act_low_, act_range_;  // [act_dim] for the random steps

  std::unique_ptr<ReplayBuffer> replay_, model_buffer_;
  int64_t rollout_length_ = 0;
  std::vector<Evaluation> evaluations_;
  double elapsed_s_ = 0;   // at the last checkpoint or load
  double sac_time_s_ = 0;  // SAC update time since the last model row

  std::optional<UpMpc> up_mpc_;  // with coplanner
  // optimistic plans since the last model row: count, summed planned U, time
  int64_t explore_plans_ = 0;
  double explore_uncertainty_sum_ = 0, explore_plan_s_ = 0;
};

/// The registry factory of `type: mbpo`: needs the env and a model (of any registered type) with
/// learn_reward: true, and builds the policy learner of `agent` (policy_learner_registry(), e.g.
/// type sac); keys as in MbpoOptions (model_training: a section; rollout_batch_size or
/// effective_model_rollouts_per_step).
std::shared_ptr<Algorithm> make_mbpo(const ConfigNode& node, const BuildContext& ctx,
                                     const ConfigNode& agent);

}  // namespace mbrl

// Offline model-based policy optimisation on a fixed dataset: the ensemble is trained once on the
// dataset, then SAC learns from short penalised model rollouts branched from dataset states
// (MOPO, Yu et al., NeurIPS 2020; OfflineRL-Kit's run_mopo.py loop). Counted in gradient steps.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include "mbrl/agents/learner.h"
#include "mbrl/algorithms/algorithm.h"
#include "mbrl/algorithms/evaluation.h"
#include "mbrl/algorithms/normalized_score.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/envs/env.h"
#include "mbrl/models/dynamics_model.h"
#include "mbrl/models/dynamics_reward.h"
#include "mbrl/models/model_env.h"
#include "mbrl/models/model_learner.h"
#include "mbrl/models/model_trainer.h"

namespace mbrl {

class ConfigNode;
class SacAgent;
struct BuildContext;

/// The uncertainty u(s, a) a reward penalty reads, each a field of the one Uncertainty API
/// (models/uncertainty.h; Lu et al. 2022, specs section 11; OfflineRL-Kit's names in quotes).
enum class PenaltyKind {
  kNone,             // no penalty (MBPO on a dataset; RAVL)
  kMaxAleatoric,     // max_b |sigma_b|_2, MOPO's default ("aleatoric")
  kMaxPairwiseDiff,  // max over member pairs of |mu_b - mu_c|_2
  kMaxDeviation,     // max_b |mu_b - mu_bar|_2 ("pairwise-diff")
  kEnsembleStd,      // sqrt(mean over dims of Var_b(mu_b)) ("ensemble_std")
  /// Var_b log N(s', r | mu_b, sigma_b) of the step's own draw (Lu et al.'s LL Var; not with
  /// MOREC's filter, whose chosen draw is not one member's)
  kLogLikelihoodVar,
  /// MOBILE (Sun et al., ICML 2023; specs section 7): Std_b over the elites b of T_b = mean over
  /// M next states s'_{b,m} drawn from elite b of min_j Qbar_j(s', a' ~ pi(s')) (the elites, as
  /// OfflineRL-Kit's sample_next_obss), computed at each update on
  /// the model rows of the minibatch with the agent's target critics (a sac agent), not in
  /// rollouts; its draws come from the model's predictive distributions, not the Uncertainty.
  kBellmanInconsistency,
};

/// Parses a penalty name (none, max_aleatoric, max_pairwise_diff, max_deviation, ensemble_std,
/// log_likelihood_var, bellman_inconsistency); throws InvalidArgument("penalty", ...) listing them
/// on another name.
PenaltyKind penalty_kind(const std::string& name);
std::string penalty_name(PenaltyKind kind);
/// The field of `u` that `kind` reads, [N]; throws for kNone and kBellmanInconsistency.
at::Tensor penalty_uncertainty(const Uncertainty& u, PenaltyKind kind);

/// Options of OfflineMbpo; each field is a YAML key of the `algorithm:` section (type: mopo,
/// mobile or ravl; ravl reads no penalty keys, num_next_samples only with bellman_inconsistency).
/// Defaults are OfflineRL-Kit's run_mopo.py (specs section 7).
struct OfflineMbpoOptions {
  /// The D4RL-layout HDF5 file (io/d4rl_dataset.h); relative to the working directory.
  TORCH_ARG(std::string, dataset) = "";
  /// Gradient steps of the policy learner, >= 1 (OfflineRL-Kit: 3000 epochs x 1000).
  TORCH_ARG(int64_t, num_steps) = 3000000;
  /// Roll out a batch every this many gradient steps (the first before step 1), >= 1.
  TORCH_ARG(int64_t, rollout_freq) = 1000;
  /// Start states per rollout batch, drawn from the dataset, >= 1.
  TORCH_ARG(int64_t, rollout_batch_size) = 50000;
  /// Model steps h per start state, >= 1.
  TORCH_ARG(int64_t, rollout_length) = 5;
  /// Real transitions before each rollout start that a model with memory reads first, >= 0
  /// (ReplayBuffer::rollout_starts; its memory is then carried through the rollout); 0 starts
  /// every rollout from a fresh memory. Models without memory need 0.
  TORCH_ARG(int64_t, rollout_history) = 0;
  /// Rollout batches the model buffer keeps, >= 1 (capacity: batches x batch size x h).
  TORCH_ARG(int64_t, model_retain_epochs) = 5;
  /// Fraction of each minibatch drawn from the dataset, in [0, 1].
  TORCH_ARG(double, real_ratio) = 0.05;
  /// The uncertainty of the reward penalty r - penalty_coef * u(s, a).
  TORCH_ARG(PenaltyKind, penalty) = PenaltyKind::kMaxAleatoric;
  /// lambda >= 0 (MOPO's per-dataset values are in the shipped configs).
  TORCH_ARG(double, penalty_coef) = 1.0;
  /// Next states M drawn per member for the Bellman-inconsistency penalty, >= 2 (MOBILE: 10).
  TORCH_ARG(int64_t, num_next_samples) = 10;
  /// MOREC (Luo et al., ICLR 2024; specs section 6): a dynamics reward learned from the dataset
  /// after the model (the `dynamics_reward` section) filters every rollout step (see
  /// rollout_model's transition_score); nullopt: no filter. Composes with any penalty.
  TORCH_ARG(std::optional<DynamicsRewardOptions>, dynamics_reward) = std::nullopt;
  /// MOREC: draws per elite and row to choose from, >= 1 (resample_num_in_transition: 2).
  TORCH_ARG(int64_t, candidates_per_member) = 2;
  /// MOREC: YAML `choice: best | softmax`: each row keeps its candidate of highest dynamics
  /// reward (select_elite) or draws one from softmax(r_D / softmax_temperature) (softmax_elite);
  /// MOREC picks per dataset.
  TORCH_ARG(CandidateChoice, candidate_choice) = CandidateChoice::kBest;
  /// MOREC: the softmax's temperature, > 0 (0.1: its dynamics rewards times 10).
  TORCH_ARG(double, softmax_temperature) = 0.1;
  /// MOREC: a rollout ends (stored as terminal) where the chosen transition's dynamics reward is
  /// below this (terminal_dynamics_reward: 0.6).
  TORCH_ARG(double, stop_below) = 0.6;
  /// Evaluate every this many gradient steps (and after the last), >= 1.
  TORCH_ARG(int64_t, eval_every) = 1000;
  /// Deterministic episodes per evaluation in the real env, >= 1.
  TORCH_ARG(int64_t, eval_episodes) = 10;
  /// Checkpoint every this many gradient steps, >= 0 (0: only at the end).
  TORCH_ARG(int64_t, checkpoint_every) = 50000;
  /// Returns the normalised score is measured between; default reference_returns(env type).
  TORCH_ARG(std::optional<ReferenceReturns>, reference) = std::nullopt;
  /// The learner's options for a gradient-trained model (the `model_training` section).
  TORCH_ARG(ModelTrainerOptions, model_training) = ModelTrainerOptions();
  /// A model.pt that an earlier run on the same dataset wrote after fitting its model: the loop
  /// loads it instead of fitting the model (OfflineRL-Kit's --load-dynamics-path), so seeds and
  /// algorithms on one dataset share one fit. Relative to the working directory; "" fits.
  TORCH_ARG(std::string, model_file) = "";
};

/// The generators of OfflineMbpo, one per random stream (all part of its checkpoints).
struct OfflineMbpoGenerators {
  at::Generator replay;           // CPU: minibatches
  at::Generator model;            // CPU: model training (holdout split, bootstrap, shuffles)
  at::Generator rollout;          // CPU: rollout start states
  at::Generator model_env;        // on the model's device: member and next-state draws in rollouts
  at::Generator dynamics_reward;  // on the model's device: MOREC's reward learning (or undefined)
};

/// The offline loop. Before the first step the dataset's transitions (d4rl_transitions: timeout
/// rows left out) fill the real buffer and the model's learner trains on all of them once (for
/// the ensemble: holdout, early stopping, elites) and the fitted model is written to the run
/// folder's model.pt; with `model_file` the model is read from such a file instead, which must
/// have been fitted on the same dataset (rows and checksum; DataError naming the file
/// otherwise). Then, counted in gradient steps t = 1..N:
/// before steps 1, 1 + rollout_freq, ..., `rollout_batch_size` dataset states are rolled out
/// `rollout_length` steps with the current policy (sampling) in a ModelEnv (a random elite per
/// row and step, sampled next state, learned reward and termination from the task), each reward
/// lowered by penalty_coef * u(s, a), into the model buffer; each step is one policy-learner
/// update on a minibatch of floor(batch_size * real_ratio) dataset and the rest model
/// transitions. Every eval_every steps the policy acts deterministically in the real env.
///
/// With `dynamics_reward` (MOREC), a DynamicsReward is fitted on the dataset's transitions right
/// after the model, and each rollout step keeps, per row, the best of candidates_per_member draws
/// of every elite by r_D; a row whose chosen r_D is below stop_below is stored as terminal and
/// ends (MOREC's ensemble_dynamics.py, select_elite). The penalty, if any, is computed as without
/// the filter (its uncertainty does not depend on the candidate chosen).
///
/// Metrics: `train` (metrics.csv), one row per eval_every steps: gradient_steps, the learner's
/// mean update metrics since the last row, elapsed_s; `eval` (eval.csv): gradient_steps,
/// eval_return, eval_return_std, normalized_score (when reference returns are known), elapsed_s;
/// with bellman_inconsistency, metrics.csv also holds bellman_penalty (mean u of the model rows);
/// `model` (model.csv), one row per rollout batch: gradient_steps, rollout_transitions,
/// model_buffer_size, rollout_reward (penalised mean), rollout_penalty (mean u), and with MOREC
/// rollout_dynamics_reward (mean r_D chosen) and rollout_filter_stops (fraction of start states
/// the filter stopped), rollout_s; the trainer's per-epoch `model_train` group once, and MOREC's
/// `dynamics_reward` group (dynamics_reward.csv) once.
///
/// Without a model (type `offline`) the loop is model-free offline learning: no model training
/// and no rollouts, every minibatch is dataset rows, no model.csv (behaviour cloning with agent
/// type bc, or a model-free learner on the dataset).
///
/// Checkpoints hold the counters, the agent, the model, the model buffer and every generator, not
/// the dataset: a resumed run reads the dataset file again and checks that it is the one it
/// started with (rows and a checksum), DataError otherwise. Deterministic on CPU.
class OfflineMbpo : public Algorithm {
 public:
  /// env: the real env for evaluation only; task: its task functions (termination in rollouts,
  /// may be null); model and learner: both null for model-free offline learning. Throws
  /// InvalidArgument naming the option on a bad value and DataError when the dataset is unreadable
  /// or does not fit the env.
  OfflineMbpo(OfflineMbpoOptions options, std::shared_ptr<Env> env,
              std::shared_ptr<PolicyLearner> agent, std::shared_ptr<DynamicsModel> model,
              std::shared_ptr<ModelLearner> learner, std::shared_ptr<const TaskFunctions> task,
              OfflineMbpoGenerators gens, uint64_t eval_seed);

  void run(RunContext& run) override;
  std::shared_ptr<Agent> agent() const override { return agent_; }
  void save_checkpoint(torch::serialize::OutputArchive& archive) const override;
  void load_checkpoint(torch::serialize::InputArchive& archive) override;
  bool supports_checkpoints() const override { return true; }

  const OfflineMbpoOptions& options() const { return options_; }
  const std::vector<Evaluation>& evaluations() const { return evaluations_; }
  int64_t gradient_steps() const { return steps_; }
  /// MOBILE's u(s, a) for rows obs [N, obs_dim], act [N, act_dim] (the env's action space) ->
  /// [N] (see PenaltyKind::kBellmanInconsistency): next states from
  /// UncertaintyAware::sample_members, then a' from the agent's policy, both drawing from
  /// `gen` (on the model's device) in that order. The loop passes its model-env generator.
  at::Tensor bellman_inconsistency(const at::Tensor& obs, const at::Tensor& act,
                                   at::Generator& gen);
  /// The dataset's transitions (the real buffer).
  const ReplayBuffer& dataset() const { return *real_; }
  const ReplayBuffer* model_buffer() const { return model_buffer_.get(); }
  /// MOREC's dynamics reward (fitted once the run started), or null without the filter.
  DynamicsReward* dynamics_reward() { return dynamics_reward_ ? &*dynamics_reward_ : nullptr; }

 private:
  // model.pt: the fitted model and the dataset it was fitted on (rows and checksum)
  void write_model_file(const std::filesystem::path& path) const;
  void read_model_file(const std::string& path);
  void roll_out(int64_t t, MetricsWriter& metrics);
  void log_train_row(int64_t t, MetricsWriter& metrics, double elapsed_s);
  void evaluate(int64_t t, MetricsWriter& metrics, double elapsed_s);

  const OfflineMbpoOptions options_;
  std::shared_ptr<Env> env_;
  std::shared_ptr<PolicyLearner> agent_;
  std::shared_ptr<DynamicsModel> model_;
  std::shared_ptr<ModelLearner> learner_;
  OfflineMbpoGenerators gens_;
  std::optional<ModelEnv> model_env_;  // with a model
  uint64_t eval_seed_;
  std::optional<ReferenceReturns> reference_;

  std::optional<DynamicsReward> dynamics_reward_;
  std::unique_ptr<ReplayBuffer> real_, model_buffer_;
  double dataset_checksum_ = 0;
  int64_t steps_ = 0;
  std::vector<Evaluation> evaluations_;
  double elapsed_s_ = 0;
  std::vector<std::string> update_names_;
  std::vector<double> update_sums_;
  int64_t updates_in_row_ = 0;
  double bellman_penalty_sum_ = 0;     // since the last train row
  SacAgent* sac_ = nullptr;            // the agent as SacAgent, for bellman_inconsistency
  UncertaintyAware* aware_ = nullptr;  // the model as UncertaintyAware, likewise
};

/// The `mopo` factory of algorithm_registry(): needs the env (for evaluation) and a model with
/// learn_reward: true; builds the policy learner of `agent` (e.g. sac). Keys as in
/// OfflineMbpoOptions (penalty: a name; reference_returns: [random, expert]; model_training: a
/// section; dynamics_reward: a section with DynamicsRewardOptions' keys plus candidates_per_member
/// and stop_below, which makes it MOREC-MOPO).
std::shared_ptr<Algorithm> make_mopo(const ConfigNode& node, const BuildContext& ctx,
                                     const ConfigNode& agent);

/// The `mobile` factory (MOBILE, Sun et al., ICML 2023; OfflineRL-Kit's run_mobile.py): the same
/// loop with penalty bellman_inconsistency by default (any penalty key as in mopo), applied at
/// each update to the model rows of the minibatch; needs a sac agent (MOBILE trains it with
/// deterministic_backup: true); with a dynamics_reward section, MOREC-MOBILE.
std::shared_ptr<Algorithm> make_mobile(const ConfigNode& node, const BuildContext& ctx,
                                       const ConfigNode& agent);

/// The `offline` factory: model-free offline learning on the dataset (no `model` section, no
/// penalty keys), e.g. behaviour cloning with agent type bc (configs/bc/pendulum_medium.yaml).
std::shared_ptr<Algorithm> make_offline_model_free(const ConfigNode& node, const BuildContext& ctx,
                                                   const ConfigNode& agent);

/// The `ravl` factory (RAVL, Sims et al., NeurIPS 2024; specs section 5): the same loop with no
/// reward penalty (no `penalty` keys); its pessimism is the agent's critic ensemble, which must
/// be a sac agent with num_critics >= 2 and critic_diversity > 0 (EDAC's term; RAVL: 10 critics,
/// diversity 1.0): the target takes the minimum over all critics.
std::shared_ptr<Algorithm> make_ravl(const ConfigNode& node, const BuildContext& ctx,
                                     const ConfigNode& agent);

}  // namespace mbrl

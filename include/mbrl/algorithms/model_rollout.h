// Branched model rollouts: a policy rolled for k steps in a learned ModelEnv from real start
// states, every transition stored (MBPO's rollout step; MOPO and RAVL roll out the same way).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include "mbrl/data/rollout_start.h"
#include "mbrl/models/model_env.h"

namespace mbrl {

class ReplayBuffer;

/// A rollout policy: obs [N, obs_dim] -> actions [N, act_dim] in the env's action space, on
/// obs's device (e.g. SacAgent::act_batch with sampling).
using RolloutPolicy = std::function<at::Tensor(const at::Tensor& obs)>;

/// A reward penalty for pessimistic rollouts (MOPO: lambda times an uncertainty of the step):
/// the step's result -> [N] subtracted from its reward.
using RewardPenalty = std::function<at::Tensor(const ModelStepResult& step)>;

/// Options of rollout_model.
struct ModelRolloutOptions {
  /// Model steps k per start state, >= 1.
  TORCH_ARG(int64_t, horizon) = 1;
  /// Ask ModelEnv for the ensemble's Uncertainty of every step (every member predicts every row:
  /// E instead of 1 member's work per row); needed for the uncertainty statistic and penalties.
  TORCH_ARG(bool, with_uncertainty) = true;
  /// Optional reward penalty (needs with_uncertainty when it reads the uncertainty).
  TORCH_ARG(RewardPenalty, reward_penalty) = nullptr;
  /// MOREC's transition filter (null: off): each step is ModelEnv::step_best_of with
  /// `candidates_per_member` draws per rollout member, rated by this score (the Uncertainty is
  /// then always there, whatever with_uncertainty says).
  TORCH_ARG(TransitionScore, transition_score) = nullptr;
  /// Draws per rollout member and row for the filter, >= 1 (MOREC: resample_num_in_transition 2).
  TORCH_ARG(int64_t, candidates_per_member) = 2;
  /// How the filter picks a row's candidate: the best score, or a draw from softmax(score /
  /// softmax_temperature) (ModelEnv::step_best_of; MOREC's select_elite / softmax_elite).
  TORCH_ARG(CandidateChoice, candidate_choice) = CandidateChoice::kBest;
  /// > 0 (MOREC: 0.1, its scores times 10).
  TORCH_ARG(double, softmax_temperature) = 0.1;
  /// A row whose chosen transition scores below this is stored as terminated and ends, as MOREC
  /// does (terminal_dynamics_reward 0.6).
  TORCH_ARG(double, stop_below) = 0.6;
};

/// What one batch of rollouts did.
struct ModelRolloutStats {
  int64_t start_states = 0;
  int64_t transitions = 0;  // added to the buffer
  int64_t steps = 0;        // model steps run, < horizon when every row terminated earlier
  double mean_reward = 0;   // over the stored transitions (after any penalty)
  /// Mean over the stored transitions of Uncertainty::epistemic_std; NaN without uncertainty.
  double mean_epistemic_std = std::numeric_limits<double>::quiet_NaN();
  double terminated_fraction = 0;  // of the start states
  /// With the filter: mean score of the chosen transitions, and the fraction of start states
  /// whose rollout the filter ended (score below stop_below); NaN and 0 without it.
  double mean_transition_score = std::numeric_limits<double>::quiet_NaN();
  double filter_stopped_fraction = 0;
};

/// Rolls `policy` out in `model_env` for `options.horizon` steps from start_obs [S, obs_dim]
/// (Janner et al. 2019, Algorithm 2, lines 7-9): each step acts on every live row, calls
/// ModelEnv::step on the rollout state (each row's member and sample as ModelEnv's propagation
/// draws them; a model's memory carried from step to step), adds every transition to `buffer`
/// (terminated as predicted, truncated false), and drops the rows that terminated from the
/// following steps. Runs without gradients.
///
/// With a transition_score each step keeps each row's best candidate (MOREC) and a row whose best
/// scores below stop_below is stored with terminated true and ends there.
///
/// Throws NonFiniteError ("model rollout: non-finite ... at rollout step i of k") when a
/// predicted next observation or reward is not finite; nothing of that step is stored.
ModelRolloutStats rollout_model(ModelEnv& model_env, const RolloutPolicy& policy,
                                const at::Tensor& start_obs, ReplayBuffer& buffer,
                                const ModelRolloutOptions& options = {});

/// The same from `start` (ReplayBuffer::sample_rollout_starts): the rollouts continue the state
/// ModelEnv::start builds from it, so a model with memory (DynamicsModel::has_memory) first reads
/// each row's real history and carries its memory from step to step. The transition filter
/// needs a model without memory.
ModelRolloutStats rollout_model(ModelEnv& model_env, const RolloutPolicy& policy,
                                const RolloutStart& start, ReplayBuffer& buffer,
                                const ModelRolloutOptions& options = {});

}  // namespace mbrl

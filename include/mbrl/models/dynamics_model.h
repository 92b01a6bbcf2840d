// DynamicsModel: the interface every learned world model implements (ensemble MLP, LSSE linear
// model, latent sequence models): batch-first rollout state, one batched step, a loss.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "mbrl/core/types.h"
#include "mbrl/data/rollout_start.h"
#include "mbrl/io/archive_fwd.h"
#include "mbrl/models/propagation.h"
#include "mbrl/models/uncertainty.h"

namespace mbrl {

/// How a rollout of a model draws its predictions; read by models that have members or noise and
/// ignored by the others (a deterministic model with one predictor ignores every field).
struct RolloutSpec {
  /// Member assignment of rows in an ensemble (see propagation.h).
  Propagation propagation = Propagation::kTsInf;
  /// Rows per candidate: rows are laid out candidate-major, `particles` innermost (PETS); for
  /// rows without candidate structure (Dyna rollouts) pass the row count.
  int64_t particles = 1;
  /// Sample the next state from the predictive distribution; false: its mean.
  bool sample = true;
};

/// The batch-first state of N model rollouts: every tensor has the rows first, so selecting
/// rows (dropping terminated ones) is one `select`. Markov models need only `obs`; models with
/// memory keep it in `latent`; ensembles keep each row's member (TS-inf) here, so the
/// propagation is part of the state, not of the caller.
struct ModelState {
  at::Tensor obs;                  // [N, obs_dim] float32 on the model's device
  std::vector<at::Tensor> latent;  // model-specific, each [N, ...] (e.g. a recurrent state)
  at::Tensor member;               // [N] int64 ensemble member of each row; undefined: drawn
                                   // every step (ts1, random_model) or averaged (expectation)
  /// The member-sorted rows of `member` for one grouped forward pass (an ensemble's cache;
  /// null until the model builds it, reset by select).
  std::shared_ptr<const MemberAssignment> groups;
  RolloutSpec spec;

  int64_t rows() const { return obs.defined() ? obs.size(0) : 0; }
  /// The state of rows `index` ([M] int64 on the state's device) only.
  ModelState select(const at::Tensor& index) const;
};

/// One batched model step.
struct ModelStep {
  ModelState state;       // after the step (state.obs == next_obs)
  at::Tensor next_obs;    // [N, obs_dim]
  at::Tensor reward;      // [N]; undefined unless the model learns the reward
  at::Tensor terminated;  // [N] bool; undefined unless the model learns termination
};

/// A model step with the disagreement of its members: every member predicts every row.
struct UncertainModelStep {
  ModelStep step;
  Uncertainty uncertainty;  // [N] fields
  at::Tensor member_mean;   // [E, N, d] every member's mean in target space
  at::Tensor member_std;    // [E, N, d]; undefined for deterministic members
};

/// Named scalar losses of a model on a batch of transitions; key "loss" is the training
/// objective, the others are diagnostics (e.g. "mse").
using ModelLosses = std::map<std::string, at::Tensor>;

/// A learned model of an environment's transitions (and optionally of its reward and
/// termination), built by model_registry() from `model: {type: ..., ...}` and trained by the
/// ModelLearner that model_learner_registry() makes for its type.
///
/// It is a torch::nn::Module, so `to(device)`, `parameters()` and `train()`/`eval()` work on it.
/// Rollouts (ModelEnv: MPC scoring and Dyna rollouts) use only `initial_state` and `step`, so
/// any model that implements them plugs into PETS, MBPO and the loops built on ModelEnv.
///
/// Threading contract: one thread at a time per instance; implementations may parallelize
/// internally (and may keep scratch buffers for rollouts, so two rollouts must not interleave
/// calls from different threads).
class DynamicsModel : public torch::nn::Module {
 public:
  /// The registry type, e.g. "gaussian_mlp_ensemble"; used in messages and saved files.
  virtual std::string type() const = 0;
  virtual int64_t obs_dim() const = 0;
  virtual int64_t act_dim() const = 0;
  /// True when the model predicts the reward (so no task reward function is needed).
  virtual bool learns_reward() const { return false; }
  /// True when the model predicts termination.
  virtual bool learns_termination() const { return false; }
  /// True when ModelState::latent remembers earlier steps (a sequence model's memory), so a
  /// rollout from a real state predicts better when it continues the memory of the real history
  /// (ModelEnv::observe) than from a fresh `initial_state`.
  virtual bool has_memory() const { return false; }
  /// The device of the model's parameters and of every tensor `step` returns.
  virtual c10::Device device() const = 0;

  /// The state of N rollouts starting at obs [N, obs_dim] (any device, moved to the model's).
  /// `gen` (on the model's device) draws anything the start needs.
  virtual ModelState initial_state(const at::Tensor& obs, const RolloutSpec& spec,
                                   at::Generator& gen) = 0;
  /// The state of N rollouts from `start` (start.obs [N, obs_dim]): a model with memory
  /// (has_memory) reads start.history first and continues that memory, fresh where
  /// start.is_first; the others ignore the history. The default is initial_state(start.obs).
  virtual ModelState initial_state_after(const RolloutStart& start, const RolloutSpec& spec,
                                         at::Generator& gen) {
    return initial_state(start.obs, spec, gen);
  }
  /// One step of every row: act [N, act_dim] on the model's device -> the next state and what
  /// the model predicts of the transition. All random numbers come from `gen`. No gradients.
  virtual ModelStep step(const ModelState& state, const at::Tensor& act, at::Generator& gen) = 0;
  /// The model's losses on `batch` (on any device): "loss" the objective its learner minimises,
  /// differentiable; further keys are diagnostics.
  virtual ModelLosses loss(const TransitionBatch& batch) = 0;

  /// Writes everything needed to restore the model exactly: its architecture, parameters and
  /// fitted state (normalizer, elites).
  void save(torch::serialize::OutputArchive& archive) const override = 0;
  /// Reads what `save` wrote; `source` names the file in messages. Throws DataError naming the
  /// source and the first difference when the archive holds another architecture, and naming
  /// the missing entry when it is incomplete.
  virtual void load(torch::serialize::InputArchive& archive, const std::string& source) = 0;
  /// Same, with a generic source name.
  void load(torch::serialize::InputArchive& archive) override { load(archive, "model archive"); }
};

/// Draws from every member's predictive distribution for N rows (UncertaintyAware::sample_members).
struct MemberSamples {
  at::Tensor next_obs;         // [S, E, N, obs_dim]: `S` draws of each of the E members
  at::Tensor reward;           // [S, E, N]; undefined unless the model learns the reward
  at::Tensor terminated;       // [S, E, N] bool from each member's logit; undefined unless learned
  at::Tensor rollout_members;  // [M] int64: the members rollouts draw from (an ensemble's elites)
  Uncertainty uncertainty;     // [N] over all E members (sample_std from the first draw)
};

/// The optional capability of models with several predictors (ensembles): a step in which every
/// member predicts every row, with the epistemic and aleatoric measures of uncertainty.h. Found
/// with `uncertainty_aware(model)` once, when a component that wants uncertainty is built.
class UncertaintyAware {
 public:
  virtual ~UncertaintyAware() = default;
  /// False when the model's options leave it without members to disagree (a sequence model
  /// with one head); uncertainty_aware() then finds no capability.
  virtual bool reports_uncertainty() const { return true; }
  /// As DynamicsModel::step, each row's transition from its own member (or the average), plus
  /// every member's prediction of every row (E times the work of `step`).
  virtual UncertainModelStep step_with_uncertainty(const ModelState& state, const at::Tensor& act,
                                                   at::Generator& gen) = 0;
  /// Transitions drawn from every member's predictive distribution (its mean when the member is
  /// deterministic), `samples` >= 1 draws per member and row: obs [N, obs_dim], act [N, act_dim]
  /// -> MemberSamples on the model's device, without gradients. MOBILE's Bellman-inconsistency
  /// penalty and MOREC's transition filter read them.
  virtual MemberSamples sample_members(const at::Tensor& obs, const at::Tensor& act,
                                       int64_t samples, at::Generator& gen) = 0;
};

/// The model's UncertaintyAware capability, or null when it has none or reports no uncertainty
/// as configured (UncertaintyAware::reports_uncertainty).
UncertaintyAware* uncertainty_aware(DynamicsModel& model);
const UncertaintyAware* uncertainty_aware(const DynamicsModel& model);

/// Writes `model` to `path` atomically (a killed process leaves the old file or none); throws
/// IoError naming the path when it cannot be written.
void save_model(const DynamicsModel& model, const std::filesystem::path& path);

/// Restores `model` from a file written by save_model. Throws DataError naming the path when the
/// file is missing, is not a model archive, or holds another architecture (the message names the
/// first differing field, e.g. "hidden_size is 100 in the file, 200 in this model").
void load_model(DynamicsModel& model, const std::filesystem::path& path);

}  // namespace mbrl

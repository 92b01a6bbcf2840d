// LsseModel: a linear world model on sparse, locality-sensitive random features (LSSE, Liu et
// al., ICLR 2024), fitted online by follow-the-leader least squares (LsseLearner), without replay
// retraining.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include "mbrl/models/dynamics_model.h"
#include "mbrl/models/input_normalizer.h"
#include "mbrl/models/model_archive.h"

namespace mbrl {

class ConfigNode;

/// Options of LsseModel; each field is a YAML key of `model: {type: lsse}` except obs_dim and
/// act_dim, which come from the env.
struct LsseOptions {
  LsseOptions(int64_t obs_dim, int64_t act_dim) : obs_dim_(obs_dim), act_dim_(act_dim) {}
  /// Observation and action widths, >= 1 (from the env, not YAML keys).
  TORCH_ARG(int64_t, obs_dim);
  TORCH_ARG(int64_t, act_dim);
  /// Groups G of random projections; each group is binned jointly in its own grid, >= 1.
  TORCH_ARG(int64_t, num_groups) = 32;
  /// Projections k per group (the grid's dimension), in [1, 8]; a group has 2^k active cells.
  TORCH_ARG(int64_t, bin_dim) = 2;
  /// Grid points K per axis, >= 2; the features are the G K^k grid points' hat functions.
  TORCH_ARG(int64_t, num_bins) = 16;
  /// Squashing of each projection z before the grid: "tanh" (grid over tanh(z / bin_range) in
  /// (-1, 1)) or "clamp" (grid over [-bin_range, bin_range], clamped outside).
  TORCH_ARG(std::string, squash) = "tanh";
  /// The squash's scale, > 0 (see squash).
  TORCH_ARG(double, bin_range) = 1.0;
  /// Also predict the reward (a target column after the observation deltas).
  TORCH_ARG(bool, learn_reward) = false;
  /// Observation dims that are angles: the encoding sees (sin, cos) instead of the raw value
  /// (as the ensemble's angle_dims); the target stays the plain difference.
  TORCH_ARG(std::vector<int64_t>, angle_dims) = {};
};

/// The indices and values of the active features of N inputs: s = G 2^k per row.
struct SparseFeatures {
  at::Tensor index;  // [N, s] int64 in [0, num_features)
  at::Tensor value;  // [N, s] float32
};

/// y = W^T phi(x): x = [obs features, act] (obs features: the non-angle dims, then sin and cos
/// of the angle dims) standardised by a normalizer fitted once (the first batch its
/// learner sees, then frozen: refitting would change every feature and void the accumulated
/// least-squares statistics), y = [next_obs - obs, reward (if learned)] of width d.
///
/// The encoding (LSSE's "locality sensitive sparse encoding", Liu et al. 2024): z = P x
/// with P [G k, in] drawn once from N(0, 1/in), split into G groups of k projections; each z_j is
/// squashed into a bounded interval (tanh(z_j / r), or z_j clamped to [-r, r]) that a uniform grid
/// of K points per axis covers, so each group is a k-dimensional grid of K^k points. A group's
/// point u (in grid units) activates the 2^k corners of the cell it falls in, with multilinear
/// (hat-function product) weights prod_i (1 - |u_i - c_i|): they sum to 1 and interpolate any
/// affine function of u exactly inside a cell. Feature index of corner c of group g:
/// g K^k + sum_i c_i K^i; D = G K^k features, s = G 2^k of them active per input. Nearby
/// inputs share their active features in every group, inputs more than a cell apart in every
/// group share none. There is no separate bias feature: the weights of each group already sum
/// to 1. With k = 1 this is a sum of per-projection piecewise-linear functions; with "clamp" and
/// no projection clamped, an affine function of x lies in the span whenever G k >= in (the test
/// that recovers a linear system relies on this).
///
/// Where the paper was not retrieved (algorithm specs section 10: its encoding sizes, its exact
/// squashing and grid range), these are our choices: tanh of the projection over its scale r,
/// a grid spanning the squash's whole range, no hashing of the grid (every cell owns a weight row).
///
/// Predictions are deterministic: the rollout spec's propagation and sampling are ignored, and
/// termination comes from the task. Threading contract: one thread at a time.
class LsseModel : public DynamicsModel {
 public:
  /// Throws InvalidArgument naming the option on a bad value. P is drawn from `init_gen` (CPU)
  /// or the global generator; W starts at zero.
  explicit LsseModel(const LsseOptions& options,
                     std::optional<at::Generator> init_gen = std::nullopt);

  std::string type() const override { return "lsse"; }
  int64_t obs_dim() const override { return options_.obs_dim(); }
  int64_t act_dim() const override { return options_.act_dim(); }
  bool learns_reward() const override { return options_.learn_reward(); }
  c10::Device device() const override { return weight.device(); }
  const LsseOptions& options() const { return options_; }

  /// Features D = num_groups * num_bins^bin_dim.
  int64_t num_features() const { return num_features_; }
  /// Target width d = obs_dim + learn_reward.
  int64_t target_dim() const { return target_dim_; }

  /// obs, act [N, ...] -> the raw (unstandardised) inputs x [N, in].
  at::Tensor inputs(const at::Tensor& obs, const at::Tensor& act) const;
  /// obs [N, obs_dim], act [N, act_dim] -> the active features of each row.
  SparseFeatures features(const at::Tensor& obs, const at::Tensor& act) const;
  /// The same as a dense [N, D] matrix (tests, diagnostics).
  at::Tensor dense_features(const at::Tensor& obs, const at::Tensor& act) const;
  /// obs, act [N, ...] -> predicted targets [N, d].
  at::Tensor predict(const at::Tensor& obs, const at::Tensor& act) const;
  /// data -> training targets [N, d].
  at::Tensor targets(const TransitionBatch& data) const;
  /// Fits the input normalizer on `data` once; later calls do nothing (see the class comment).
  void fit_normalizer_once(const TransitionBatch& data);
  /// Sets W: [D, d] (any float dtype and device).
  void set_weight(const at::Tensor& w);

  ModelState initial_state(const at::Tensor& obs, const RolloutSpec& spec,
                           at::Generator& gen) override;
  ModelStep step(const ModelState& state, const at::Tensor& act, at::Generator& gen) override;
  /// "loss" and "mse": the mean squared error of the prediction over rows and target dims (the
  /// data term of the learner's ridge objective).
  ModelLosses loss(const TransitionBatch& batch) override;

  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive, const std::string& source) override;
  using DynamicsModel::load;

  at::Tensor projection;  // [G k, in] buffer
  at::Tensor weight;      // [D, d] buffer (fitted by the learner, not by gradients)
  InputNormalizer normalizer{nullptr};

 private:
  ModelArchitecture architecture() const;

  LsseOptions options_;
  int64_t input_dim_, num_features_, target_dim_;
  at::Tensor keep_dims_, angle_dims_;      // [o - n_angles], [n_angles] int64 (CPU)
  at::Tensor corner_bits_, axis_strides_;  // [2^k, k] int64 in {0, 1}; [k] int64: K^i
};

/// Reads the options of `model: {type: lsse, ...}` (every key but `type`) for an env with the
/// given dims.
LsseOptions lsse_options_from_config(const ConfigNode& node, int64_t obs_dim, int64_t act_dim);

}  // namespace mbrl

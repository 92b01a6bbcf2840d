// LsseModel: a linear world model on sparse, locality-sensitive random features (LSSE, Liu et
// al., ICLR 2024), fitted online by exact least squares (LsseLearner), without replay retraining.
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
  /// Random projections m of the standardised input, >= 1.
  TORCH_ARG(int64_t, num_projections) = 128;
  /// Grid points K per projection, >= 2; the features are the m K hat functions plus a bias.
  TORCH_ARG(int64_t, num_bins) = 16;
  /// The grid spans [-bin_range, bin_range] of each projection (clamped outside), > 0.
  TORCH_ARG(double, bin_range) = 3.0;
  /// Also predict the reward (a target column after the observation deltas).
  TORCH_ARG(bool, learn_reward) = false;
  /// Observation dims that are angles: the encoding sees (sin, cos) instead of the raw value
  /// (as the ensemble's angle_dims); the target stays the plain difference.
  TORCH_ARG(std::vector<int64_t>, angle_dims) = {};
};

/// The indices and values of the active features of N inputs: s = 2 m + 1 per row.
struct SparseFeatures {
  at::Tensor index;  // [N, s] int64 in [0, num_features)
  at::Tensor value;  // [N, s] float32
};

/// y = W^T phi(x): x = [obs features, act] (obs features: the non-angle dims, then sin and cos
/// of the angle dims) standardised by a normalizer fitted once (the first batch its
/// learner sees, then frozen: refitting would change every feature and void the accumulated
/// least-squares statistics), y = [next_obs - obs, reward (if learned)] of width d.
///
/// The encoding (LSSE's "locality sensitive sparse encoding": random projections, then a sparse
/// bucketing of each one): z = P x with P [m, in] drawn once from N(0, 1/in); each z_j is
/// clamped to [-r, r] and spread over a uniform grid c_0..c_{K-1} of spacing delta = 2r/(K-1)
/// by the hat functions max(0, 1 - |z_j - c_k| / delta), so exactly two features are active
/// per projection and they interpolate z_j linearly; one constant feature (bias) follows. Nearby
/// inputs share their active features; an affine function of x lies in the span of the
/// features whenever m >= in and no projection is clamped (the test that recovers a linear
/// system relies on this). The paper's exact encoding sizes were not retrieved (algorithm specs
/// section 10); this grid-and-hat bucketing is our choice within its description.
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

  /// Features D = num_projections * num_bins + 1.
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

  at::Tensor projection;  // [m, in] buffer
  at::Tensor weight;      // [D, d] buffer (fitted by the learner, not by gradients)
  InputNormalizer normalizer{nullptr};

 private:
  ModelArchitecture architecture() const;

  LsseOptions options_;
  int64_t input_dim_, num_features_, target_dim_;
  at::Tensor keep_dims_, angle_dims_;  // [o - n_angles], [n_angles] int64 (CPU)
};

/// Reads the options of `model: {type: lsse, ...}` (every key but `type`) for an env with the
/// given dims.
LsseOptions lsse_options_from_config(const ConfigNode& node, int64_t obs_dim, int64_t act_dim);

}  // namespace mbrl

// SquashedGaussianPolicy: SAC's tanh-squashed diagonal Gaussian actor, acting in [-1, 1]^act_dim.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include "mbrl/nn/mlp.h"

namespace mbrl {

/// Options of SquashedGaussianPolicy.
struct SquashedGaussianPolicyOptions {
  SquashedGaussianPolicyOptions(int64_t obs_dim, int64_t act_dim)
      : obs_dim_(obs_dim), act_dim_(act_dim) {}
  /// Observation width, >= 1.
  TORCH_ARG(int64_t, obs_dim);
  /// Action width, >= 1.
  TORCH_ARG(int64_t, act_dim);
  /// Width of the hidden layers, >= 1.
  TORCH_ARG(int64_t, hidden_size) = 256;
  /// Number of hidden layers, >= 1.
  TORCH_ARG(int64_t, num_layers) = 2;
  /// Bounds of the pre-squash log standard deviation (pranz24's LOG_SIG_MIN/MAX), min < max.
  TORCH_ARG(double, log_std_min) = -20.0;
  TORCH_ARG(double, log_std_max) = 2.0;
};

/// A sample of the squashed policy. action, mean_action: [B, act_dim] in (-1, 1);
/// log_prob: [B], the log density of `action` in the squashed space.
struct PolicySample {
  at::Tensor action;
  at::Tensor log_prob;
  at::Tensor mean_action;  // tanh(mean), the deterministic action
};

/// The SAC actor (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications",
/// arXiv 1812.05905, Appendix C): an Mlp maps obs to the mean and log std of a diagonal Gaussian
/// u ~ N(mean, std^2); the action is a = tanh(u), with density
///   log pi(a|s) = sum_i [ log N(u_i; mean_i, std_i) - log(1 - tanh(u_i)^2) ],
/// evaluated with the stable identity log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u)).
/// Actions live in [-1, 1]; mapping them to an env's bounds is the caller's job (SacAgent), so
/// log-probabilities and the entropy target do not depend on the env's action scale.
class SquashedGaussianPolicyImpl : public torch::nn::Cloneable<SquashedGaussianPolicyImpl> {
 public:
  explicit SquashedGaussianPolicyImpl(SquashedGaussianPolicyOptions options);

  void reset() override;
  /// Draws the trunk's weights from `gen` (see MlpImpl::reset_parameters).
  void reset_parameters(std::optional<at::Generator> gen = std::nullopt);

  /// obs: [B, obs_dim] -> {mean [B, act_dim], log_std [B, act_dim] clamped to the bounds}.
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& obs);

  /// A reparameterised sample (gradients flow through action and log_prob) with noise from
  /// `gen`, a generator on the module's device. obs: [B, obs_dim].
  PolicySample sample(const at::Tensor& obs, at::Generator& gen);

  /// The deterministic action tanh(mean). obs: [B, obs_dim] -> [B, act_dim].
  at::Tensor mean_action(const at::Tensor& obs);

  /// Log density of a = tanh(pre_tanh) under the squashed Gaussian with `mean`, `log_std`.
  /// pre_tanh, mean, log_std: [B, act_dim] -> [B].
  static at::Tensor squashed_log_prob(const at::Tensor& pre_tanh, const at::Tensor& mean,
                                      const at::Tensor& log_std);

  void pretty_print(std::ostream& stream) const override;

  SquashedGaussianPolicyOptions options;

 private:
  Mlp trunk_{nullptr};
};

/// A ModuleHolder for SquashedGaussianPolicyImpl.
TORCH_MODULE(SquashedGaussianPolicy);

}  // namespace mbrl

// DreamerV3's continuous action distribution: a normal with tanh-bounded mean and a standard
// deviation squashed into [min_std, max_std].
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace mbrl {

/// From the actor's raw outputs (2023 release, nets.py MLP dist 'normal'):
///   mean = tanh(mean_raw), std = (max_std - min_std) sigmoid(std_raw + 2) + min_std,
/// independent over the action dimensions (DreamerV3: min_std 0.1, max_std 1.0). Samples are not
/// squashed; the environment clips them to its bounds.
class BoundedNormal {
 public:
  /// mean_raw, std_raw: [..., A]; 0 < min_std < max_std.
  BoundedNormal(const at::Tensor& mean_raw, const at::Tensor& std_raw, double min_std = 0.1,
                double max_std = 1.0);

  const at::Tensor& mean() const { return mean_; }  // [..., A]
  const at::Tensor& std() const { return std_; }    // [..., A]
  /// Reparameterised sample mean + std * eps: [..., A], differentiable in mean and std.
  at::Tensor rsample(at::Generator& gen) const;
  /// Log-density of `action` [..., A], summed over A: [...].
  at::Tensor log_prob(const at::Tensor& action) const;
  /// Entropy summed over A: [...].
  at::Tensor entropy() const;

 private:
  at::Tensor mean_, std_;
};

}  // namespace mbrl

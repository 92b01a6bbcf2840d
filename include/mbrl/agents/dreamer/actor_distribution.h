// The distribution DreamerV3's actor outputs: a bounded normal for continuous actions, a unimix
// one-hot categorical for discrete ones, behind one interface.
#pragma once

#include <variant>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "mbrl/agents/dreamer/bounded_normal.h"

namespace mbrl {

/// DreamerV3's discrete actor (2023 release, nets.py MLP dist 'onehot' with unimix 0.01): a
/// categorical over A choices, p = (1 - unimix) softmax(logits) + unimix / A, whose samples are
/// one-hot vectors with straight-through gradients.
class OneHotCategorical {
 public:
  /// logits: [..., A]; unimix in [0, 1).
  OneHotCategorical(const at::Tensor& logits, double unimix = 0.01);

  const at::Tensor& log_probs() const { return log_probs_; }  // [..., A]
  /// One-hot sample + p - sg(p): [..., A].
  at::Tensor rsample(at::Generator& gen) const;
  /// The one-hot vector of the most probable choice: [..., A].
  at::Tensor mode() const;
  /// log p of one-hot actions [..., A]: [...].
  at::Tensor log_prob(const at::Tensor& action) const;
  /// [...].
  at::Tensor entropy() const;

 private:
  at::Tensor log_probs_;
};

/// The actor's distribution at a batch of states, continuous (BoundedNormal) or discrete
/// (OneHotCategorical); every tensor is [..., A] per action, [...] per state.
class ActorDistribution {
 public:
  explicit ActorDistribution(BoundedNormal normal) : dist_(std::move(normal)) {}
  explicit ActorDistribution(OneHotCategorical categorical) : dist_(std::move(categorical)) {}

  bool discrete() const { return std::holds_alternative<OneHotCategorical>(dist_); }
  /// A sample differentiable in the actor's outputs (reparameterised or straight-through).
  at::Tensor rsample(at::Generator& gen) const;
  /// The deterministic action: the normal's mean, the categorical's most probable choice.
  at::Tensor mode() const;
  at::Tensor log_prob(const at::Tensor& action) const;
  at::Tensor entropy() const;

 private:
  std::variant<BoundedNormal, OneHotCategorical> dist_;
};

}  // namespace mbrl

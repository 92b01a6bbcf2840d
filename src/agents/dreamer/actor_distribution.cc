// OneHotCategorical and ActorDistribution.
#include "mbrl/agents/dreamer/actor_distribution.h"

#include <torch/torch.h>

#include "mbrl/models/world/categorical_latent.h"

namespace mbrl {

OneHotCategorical::OneHotCategorical(const at::Tensor& logits, double unimix)
    : log_probs_(unimix_log_probs(logits, unimix)) {}

at::Tensor OneHotCategorical::rsample(at::Generator& gen) const {
  return sample_straight_through(log_probs_, gen);
}

at::Tensor OneHotCategorical::mode() const {
  return torch::zeros_like(log_probs_).scatter_(-1, log_probs_.argmax(-1, /*keepdim=*/true), 1.0);
}

at::Tensor OneHotCategorical::log_prob(const at::Tensor& action) const {
  return (action * log_probs_).sum(-1);
}

at::Tensor OneHotCategorical::entropy() const { return -(log_probs_.exp() * log_probs_).sum(-1); }

at::Tensor ActorDistribution::rsample(at::Generator& gen) const {
  return std::visit([&](const auto& d) { return d.rsample(gen); }, dist_);
}

at::Tensor ActorDistribution::mode() const {
  if (discrete()) return std::get<OneHotCategorical>(dist_).mode();
  return std::get<BoundedNormal>(dist_).mean();
}

at::Tensor ActorDistribution::log_prob(const at::Tensor& action) const {
  return std::visit([&](const auto& d) { return d.log_prob(action); }, dist_);
}

at::Tensor ActorDistribution::entropy() const {
  return std::visit([](const auto& d) { return d.entropy(); }, dist_);
}

}  // namespace mbrl

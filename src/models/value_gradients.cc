// VaGraM's clipping and weighting of value gradients.
#include "mbrl/models/value_gradients.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

at::Tensor clip_value_gradients(const at::Tensor& g, double quantile) {
  MBRL_CHECK_ARG(quantile > 0 && quantile <= 1, "vagram_clip_quantile",
                 "expected a number in (0, 1], got ", quantile);
  MBRL_CHECK(g.dim() >= 2, "clip_value_gradients: expected [G, ..., obs_dim], got ", g.sizes());
  if (quantile >= 1) return g;
  const int64_t functions = g.size(0), obs_dim = g.size(-1);
  const at::Tensor flat = g.reshape({functions, -1, obs_dim});
  const at::Tensor norms = flat.norm(2, -1);                                            // [G, R]
  const at::Tensor bound = at::quantile(norms, quantile, /*dim=*/1, /*keepdim=*/true);  // [G, 1]
  const at::Tensor scale =
      torch::where(norms > bound, bound / norms, torch::ones_like(norms)).unsqueeze(-1);
  return (flat * scale).view(g.sizes());
}

at::Tensor vagram_target_weights(const at::Tensor& g, int64_t target_dim) {
  const int64_t obs_dim = g.size(-1);
  MBRL_CHECK(target_dim == obs_dim || target_dim == obs_dim + 1,
             "vagram_target_weights: target_dim must be obs_dim or obs_dim + 1, got ", target_dim,
             " for obs_dim ", obs_dim);
  const double d = static_cast<double>(target_dim);
  at::Tensor state = g.square().sum(0) * (d / static_cast<double>(obs_dim));  // [..., obs_dim]
  if (target_dim == obs_dim) return state;
  auto reward_sizes = state.sizes().vec();
  reward_sizes.back() = 1;
  return torch::cat({state, torch::full(reward_sizes, d, state.options())}, -1);
}

}  // namespace mbrl

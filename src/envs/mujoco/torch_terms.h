// Small batched reward and termination terms shared by the MuJoCo task functions (private).
#pragma once

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl::detail {

/// act: [B, a] clipped to [low, high] ([a] each) -> sum of squares [B].
inline at::Tensor clipped_control_norm2(const at::Tensor& act, const at::Tensor& low,
                                        const at::Tensor& high) {
  auto lo = low.to(act.device(), act.scalar_type());
  auto hi = high.to(act.device(), act.scalar_type());
  auto a = torch::max(torch::min(act, hi), lo);
  return (a * a).sum(1);
}

/// lo < x < hi elementwise (false for NaN).
inline at::Tensor in_open_interval(const at::Tensor& x, double lo, double hi) {
  return x.gt(lo).logical_and(x.lt(hi));
}

/// Checks the shapes of a reward call against obs_dim and act_dim.
inline void check_reward_shapes(const at::Tensor& obs, const at::Tensor& act,
                                const at::Tensor& next_obs, int64_t obs_dim, int64_t act_dim) {
  MBRL_CHECK_SHAPE(obs, {-1, obs_dim}, "obs");
  MBRL_CHECK_SHAPE(act, {obs.size(0), act_dim}, "act");
  MBRL_CHECK_SHAPE(next_obs, {obs.size(0), obs_dim}, "next_obs");
}

}  // namespace mbrl::detail

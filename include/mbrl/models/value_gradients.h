// Value gradients for decision-aware model losses: where a policy learner's value functions
// come from (ValueGradientSource) and VaGraM's per-dimension weighting of a model's errors.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace mbrl {

/// Something with value functions whose gradients with respect to the state a model loss can
/// weight its errors by (SAC's critics). A capability of a policy learner, so the model side
/// never knows which learner it is.
class ValueGradientSource {
 public:
  virtual ~ValueGradientSource() = default;
  /// obs: [B, obs_dim] on any device -> dV_i/ds at obs for each of the source's G value
  /// functions, [G, B, obs_dim] float32 on obs's device, without a graph attached.
  virtual at::Tensor value_gradients(const at::Tensor& obs) = 0;
};

/// VaGraM's bound clipping (pairlab/vagram `mbrl/models/vaml_mlp.py`, `_vaml_loss` with
/// `bound_clipping`): for each value function i, the gradient vectors g[i, r] whose norm exceeds
/// the `quantile` quantile (linear interpolation, as torch.quantile) of that function's norms
/// over all rows r are rescaled to have exactly that norm; the others are returned unchanged.
/// g: [G, ..., obs_dim] -> same shape. quantile in (0, 1]; 1 changes nothing.
at::Tensor clip_value_gradients(const at::Tensor& g, double quantile);

/// The per-element weights that turn a model's squared error into VaGraM's loss (the
/// `use_scaling` bound of Voelcker et al., ICLR 2022, as vaml_mlp.py computes it): with clipped
/// gradients g ([G, ..., obs_dim]) and d = target_dim (obs_dim, plus 1 for a learned reward),
///   w_s = (d / obs_dim) sum_i g_i,s^2   for each state dim s,   w_reward = d,
/// so that the mean over the d target dims of w * err^2 is
///   (1 / obs_dim) sum_s sum_i (g_i,s err_s)^2 + err_reward^2,
/// the reference's loss of one row (it sums over the value functions and averages over the
/// state dims, then adds the reward's squared error). Returns [..., d].
at::Tensor vagram_target_weights(const at::Tensor& g, int64_t target_dim);

}  // namespace mbrl

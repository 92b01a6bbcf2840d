// Checks shared by every ActionOptimizer.
#include "mbrl/planners/action_optimizer.h"

#include <limits>

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl::detail {

void check_initial(const at::Tensor& initial, int64_t act_dim) {
  MBRL_CHECK_SHAPE(initial, {-1, -1, act_dim}, "initial");
  if (initial.size(0) < 1 || initial.size(1) < 1) {
    throw ShapeError(mbrl::detail::str("initial: expected [S, H, ", act_dim,
                                       "] with S, H >= 1, got ", initial.sizes()));
  }
}

at::Tensor evaluate_population(const SequenceObjective& objective, const at::Tensor& population) {
  at::Tensor values = objective(population);
  const int64_t s = population.size(0);
  const int64_t p = population.size(1);
  if (!values.defined() || values.dim() != 2 || values.size(0) != s || values.size(1) != p) {
    throw ShapeError(mbrl::detail::str("objective: expected scores [", s, ", ", p,
                                       "] for sequences ", population.sizes(), ", got ",
                                       values.defined() ? values.sizes() : at::IntArrayRef{}));
  }
  const float lowest = std::numeric_limits<float>::lowest();
  return values.to(torch::kFloat32).nan_to_num(lowest, c10::nullopt, lowest);
}

}  // namespace mbrl::detail

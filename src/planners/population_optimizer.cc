// PopulationOptimizer.
#include "mbrl/planners/population_optimizer.h"

#include <limits>

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

PopulationOptimizer::PopulationOptimizer(Box action_space, c10::Device device, at::Generator gen)
    : action_space_(std::move(action_space)),
      device_(device),
      bounds_(action_space_, device),
      gen_(std::move(gen)),
      base_seed_(gen_.current_seed()) {}

void PopulationOptimizer::begin_call(const at::Tensor& initial) {
  const int64_t act_dim = action_space_.dim();
  MBRL_CHECK_SHAPE(initial, {-1, -1, act_dim}, "initial");
  if (initial.size(0) < 1 || initial.size(1) < 1) {
    throw ShapeError(mbrl::detail::str("initial: expected [S, H, ", act_dim,
                                       "] with S, H >= 1, got ", initial.sizes()));
  }
  restart_stream(gen_, base_seed_, calls_++);
}

at::Tensor PopulationOptimizer::score(const SequenceObjective& objective,
                                      const at::Tensor& population) {
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

}  // namespace mbrl

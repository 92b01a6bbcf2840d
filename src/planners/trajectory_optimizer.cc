// TrajectoryOptimizer.
#include "mbrl/planners/trajectory_optimizer.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

TrajectoryOptimizer::TrajectoryOptimizer(TrajectoryOptimizerOptions options,
                                         std::shared_ptr<ActionOptimizer> optimizer)
    : options_(options), optimizer_(std::move(optimizer)) {
  MBRL_ASSERT(optimizer_ != nullptr, "TrajectoryOptimizer without an optimizer");
  const int64_t h = options_.planning_horizon();
  MBRL_CHECK_ARG(h >= 1, "planning_horizon", "expected an integer >= 1, got ", h);
  MBRL_CHECK_ARG(options_.replan_freq() >= 1 && options_.replan_freq() <= h, "replan_freq",
                 "expected an integer in [1, planning_horizon = ", h, "], got ",
                 options_.replan_freq());
  const Box& box = optimizer_->action_space();
  auto middle = ((box.low + box.high) / 2.0).to(optimizer_->device(), torch::kFloat32);
  initial_ = middle.unsqueeze(0).repeat({h, 1});
}

at::Tensor TrajectoryOptimizer::optimize(const SequenceObjective& objective, int64_t num_starts) {
  MBRL_CHECK_ARG(num_starts >= 1, "num_starts", "expected an integer >= 1, got ", num_starts);
  if (previous_.defined() && previous_.size(0) != num_starts) reset();
  auto start = previous_.defined() ? previous_ : initial_.unsqueeze(0).repeat({num_starts, 1, 1});
  at::Tensor solution = optimizer_->optimize(objective, start);

  if (!options_.keep_last_solution()) {
    optimizer_->reset();
    return solution;
  }

  // the next warm start: drop the replan_freq steps that will be executed, pad with the middle
  const int64_t h = options_.planning_horizon();
  const int64_t k = options_.replan_freq();
  previous_ = torch::empty_like(solution);
  previous_.narrow(1, 0, h - k).copy_(solution.narrow(1, k, h - k));
  previous_.narrow(1, h - k, k).copy_(initial_.narrow(0, h - k, k).unsqueeze(0));
  optimizer_->shift(k);
  return solution;
}

void TrajectoryOptimizer::reset() {
  previous_ = at::Tensor();
  optimizer_->reset();
}

}  // namespace mbrl

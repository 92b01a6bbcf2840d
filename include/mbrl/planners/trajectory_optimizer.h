// TrajectoryOptimizer: an ActionOptimizer applied over a receding horizon with warm starts.
#pragma once

#include <cstdint>
#include <memory>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include "mbrl/planners/action_optimizer.h"

namespace mbrl {

struct TrajectoryOptimizerOptions {
  /// Actions per planned sequence, H >= 1.
  TORCH_ARG(int64_t, planning_horizon) = 15;
  /// Actions executed from each plan before planning again, in [1, planning_horizon].
  TORCH_ARG(int64_t, replan_freq) = 1;
  /// Warm-start each call with the last solution shifted by replan_freq steps (true), or start
  /// every call from the middle of the action bounds (false).
  TORCH_ARG(bool, keep_last_solution) = true;
};

/// Sets up trajectory optimization for an ActionOptimizer (mbrl-lib's `TrajectoryOptimizer`):
/// sequences of planning_horizon actions, each starting from the previous solution shifted by
/// replan_freq steps (the steps executed in between) and padded at the end with the middle of the
/// action bounds. Batched over S start states: each keeps its own warm start.
///
/// Threading contract: one planning thread at a time per instance.
class TrajectoryOptimizer {
 public:
  /// optimizer: shared so that tests and agents can inspect it. Throws InvalidArgument naming the
  /// option on a bad value.
  TrajectoryOptimizer(TrajectoryOptimizerOptions options,
                      std::shared_ptr<ActionOptimizer> optimizer);

  /// objective: sequences [S, P, H, A] -> scores [S, P] (see SequenceObjective) -> the solution
  /// [S, H, A] on the optimizer's device, inside the action bounds. A call with another S than
  /// the last one starts from the initial solution.
  at::Tensor optimize(const SequenceObjective& objective, int64_t num_starts);

  /// Forgets the warm start (and the optimizer's carried state); call at an episode start.
  void reset();

  /// [H, A]: the middle of the action bounds at every step, the start of every new problem.
  const at::Tensor& initial_solution() const { return initial_; }
  /// [S, H, A]: the warm start of the next call, or undefined after reset.
  const at::Tensor& warm_start() const { return previous_; }

  const TrajectoryOptimizerOptions& options() const { return options_; }
  ActionOptimizer& optimizer() const { return *optimizer_; }

 private:
  const TrajectoryOptimizerOptions options_;
  std::shared_ptr<ActionOptimizer> optimizer_;
  at::Tensor initial_;   // [H, A]
  at::Tensor previous_;  // [S, H, A] or undefined
};

}  // namespace mbrl

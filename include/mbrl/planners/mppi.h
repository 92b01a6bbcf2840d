// MppiOptimizer: model predictive path integral control with smoothed noise (PDDM's variant).
#pragma once

#include <cstdint>

#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include "mbrl/planners/population_optimizer.h"
#include "mbrl/planners/sampling.h"

namespace mbrl {

struct MppiOptions {
  /// Refinement iterations per call, >= 1.
  TORCH_ARG(int64_t, num_iterations) = 5;
  /// Candidate sequences per iteration, >= 1.
  TORCH_ARG(int64_t, population_size) = 350;
  /// Inverse temperature of the score weights exp(gamma * (score - max score)), > 0.
  TORCH_ARG(double, gamma) = 0.9;
  /// Standard deviation of the sampling noise in action units, > 0 (shrunk near the bounds).
  TORCH_ARG(double, sigma) = 1.0;
  /// Smoothing: u_h = beta (mean_h + noise_h) + (1 - beta) u_{h-1}, in (0, 1] (1: no smoothing).
  TORCH_ARG(double, beta) = 0.9;
};

/// MPPI in the PDDM formulation (Nagabandi et al. 2019; derivation in arXiv 2102.09027), with
/// the loop of mbrl-lib's `MPPIOptimizer` (mbrl/planning/trajectory_opt.py).
///
/// Each iteration draws noise from a normal truncated to +-2 std with std min(sigma, distance of
/// the mean to the nearer bound / 2), filters the noisy means through the first-order smoothing
/// above, clips to the bounds, and sets the mean to the average of the candidates weighted by
/// exp(gamma * (score - best score)). The filter starts from u_{-1}: the last executed action
/// (the action before the shift reported through `shift`) or, without one, the first action of
/// `initial`. Returns the final mean.
///
/// Where mbrl-lib's MPPIOptimizer differs, and why this one does not follow it:
///   - Noise scale. mbrl-lib computes the same constrained variance min(sigma^2, (distance / 2)^2)
///     but then builds every candidate from the unscaled noise (beta (mean + noise) + ...), so
///     its noise is a unit truncated normal (std 0.88) whatever sigma is and however close the
///     mean is to a bound. Here sigma and the bound shrinkage act as documented. With sigma = 1
///     (its pets_mppi configs) the two draw alike wherever the mean is more than 2 from a bound.
///   - Warm start. mbrl-lib keeps its own mean across calls, shifted by one step with the last
///     step repeated, and ignores the warm start it is given. Here the warm start is `initial`,
///     which TrajectoryOptimizer makes as for CEM and iCEM: the last solution shifted by the
///     executed steps and padded with the middle of the action box, so every optimizer starts
///     from the same place.
///   - A NaN score is the worst possible (PopulationOptimizer::score) instead of mbrl-lib's
///     -1e-10, which ranks a diverged rollout above every negative return.
class MppiOptimizer : public PopulationOptimizer {
 public:
  /// action_space: finite bounds of one action; gen: a generator on `device`, owned from now on.
  /// Throws InvalidArgument naming the option on a bad value.
  MppiOptimizer(MppiOptions options, Box action_space, c10::Device device, at::Generator gen);

  at::Tensor optimize(const SequenceObjective& objective, const at::Tensor& initial) override;
  /// Forgets the last executed action.
  void reset() override;
  /// Remembers action `steps - 1` of the last solution as the executed one.
  void shift(int64_t steps) override;

  const MppiOptions& options() const { return options_; }

 private:
  void allocate(int64_t S, int64_t H);
  void sample(const at::Tensor& mean, const at::Tensor& previous);

  const MppiOptions options_;

  TruncatedNormalSampler truncated_;
  at::Tensor noise_;          // [P, H, A], shared by the S problems
  at::Tensor population_;     // [S, P, H, A]
  at::Tensor last_solution_;  // [S, H, A] of the last call
  at::Tensor executed_;       // [S, A]: the last executed action, or undefined
};

}  // namespace mbrl

// CemOptimizer: the cross-entropy method of PETS (Chua et al. 2018) over action sequences.
#pragma once

#include <cstdint>

#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include "mbrl/planners/elite_set.h"
#include "mbrl/planners/population_optimizer.h"
#include "mbrl/planners/sampling.h"

namespace mbrl {

struct CemOptions {
  /// Iterations (generations) per call, >= 1.
  TORCH_ARG(int64_t, num_iterations) = 5;
  /// Candidate sequences per iteration, >= 1.
  TORCH_ARG(int64_t, population_size) = 350;
  /// Fraction of the population kept as elites (rounded up), in (0, 1].
  TORCH_ARG(double, elite_ratio) = 0.1;
  /// Momentum: weight of the previous mean and variance in each update, in [0, 1).
  TORCH_ARG(double, alpha) = 0.1;
  /// Return the final sampling mean (true, mbrl-lib's PETS setting) or the best candidate seen
  /// over all iterations (false).
  TORCH_ARG(bool, return_mean_elites) = true;
  /// false: a normal truncated to +-2 std whose variance is shrunk so that the interval stays
  /// inside the bounds (PETS); true: an unconstrained normal clipped to the bounds.
  TORCH_ARG(bool, clipped_normal) = false;
  /// A problem stops early once its largest variance (action units squared) falls below this
  /// (PETS's epsilon); >= 0, 0 disables the check and its one device sync per iteration.
  TORCH_ARG(double, min_variance) = 1e-3;
};

/// The cross-entropy method as in PETS (handful-of-trials `cem.py`, mbrl-lib `CEMOptimizer`).
///
/// Each iteration samples `population_size` sequences around the mean, scores them, keeps the
/// ceil(elite_ratio * population_size) best and moves the mean and variance towards theirs with
/// momentum `alpha`. The variance starts at (high - low)^2 / 16 per action dimension, the mean at
/// `initial`. With return_mean_elites the result is the mean after the last update, i.e.
/// (1 - alpha) * mean of the final elites + alpha * the mean before it (mbrl-lib; PR #70 found the
/// best sample too unstable). A problem whose variance fell below min_variance keeps the mean
/// and elites of the iteration at which it stopped; the call ends when every problem stopped.
class CemOptimizer : public PopulationOptimizer {
 public:
  /// action_space: finite bounds of one action; gen: a generator on `device`, owned from now on.
  /// Throws InvalidArgument naming the option on a bad value.
  CemOptimizer(CemOptions options, Box action_space, c10::Device device, at::Generator gen);

  at::Tensor optimize(const SequenceObjective& objective, const at::Tensor& initial) override;

  const CemOptions& options() const { return options_; }
  /// Elites per iteration: ceil(elite_ratio * population_size).
  int64_t num_elites() const { return num_elites_; }
  /// Iterations the last call ran (fewer than num_iterations after an early stop).
  int64_t last_iterations() const { return last_iterations_; }

 private:
  void allocate(int64_t S, int64_t H);
  void sample(const at::Tensor& mean, const at::Tensor& var);

  const CemOptions options_;
  int64_t num_elites_ = 0;
  int64_t last_iterations_ = 0;

  TruncatedNormalSampler truncated_;
  at::Tensor noise_;       // [P, H, A], shared by the S problems
  at::Tensor population_;  // [S, P, H, A]
  EliteSet elites_;
};

}  // namespace mbrl

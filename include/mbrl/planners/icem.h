// IcemOptimizer: the improved cross-entropy method (Pinneri et al. 2020) over action sequences.
#pragma once

#include <cstdint>

#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include "mbrl/planners/elite_set.h"
#include "mbrl/planners/population_optimizer.h"
#include "mbrl/planners/sampling.h"

namespace mbrl {

struct IcemOptions {
  /// Iterations (generations) per call, >= 1.
  TORCH_ARG(int64_t, num_iterations) = 5;
  /// Candidate sequences of the first iteration, >= 1.
  TORCH_ARG(int64_t, population_size) = 350;
  /// Fraction of population_size kept as elites (rounded up), in (0, 1].
  TORCH_ARG(double, elite_ratio) = 0.1;
  /// Momentum: weight of the previous mean and variance in each update, in [0, 1).
  TORCH_ARG(double, alpha) = 0.1;
  /// Return the final sampling mean (true) or the best candidate seen (false).
  TORCH_ARG(bool, return_mean_elites) = true;
  /// Exponent beta of the noise spectrum 1 / f^beta along the horizon, >= 0 (0: white noise;
  /// 2: smooth, strongly correlated sequences).
  TORCH_ARG(double, colored_noise_exponent) = 2.0;
  /// Fraction of the elites carried into the next iteration (and, shifted, into the next
  /// call), rounded up, in [0, 1].
  TORCH_ARG(double, keep_elite_frac) = 0.3;
  /// Iteration i samples max(ceil(population_size / factor^i), 2 * elites) sequences; >= 1.
  TORCH_ARG(double, population_decay_factor) = 1.3;
};

/// iCEM (Pinneri et al., "Sample-efficient Cross-Entropy Method for Real-time Planning", CoRL
/// 2020, Algorithm 1), as mbrl-lib's `ICEMOptimizer`:
///   - samples are mean + std * coloured noise along the horizon (exponent beta), clipped to the
///     bounds;
///   - the population shrinks by `population_decay_factor` per iteration, to no fewer than twice
///     the elites;
///   - ceil(keep_elite_frac * elites) randomly chosen elites join the next iteration; in the first
///     iteration of a call they are the last call's final elites, shifted by the steps reported
///     through `shift` (new last actions drawn around the warm start with the initial variance);
///   - the last iteration also scores the current mean.
/// The variance starts at (high - low)^2 / 16 in every call. Every random draw (noise, which
/// elites are kept) is shared by the S problems, so a problem's answer does not depend on the
/// others.
class IcemOptimizer : public PopulationOptimizer {
 public:
  /// action_space: finite bounds of one action; gen: a generator on `device`, owned from now on.
  /// Throws InvalidArgument naming the option on a bad value.
  IcemOptimizer(IcemOptions options, Box action_space, c10::Device device, at::Generator gen);

  at::Tensor optimize(const SequenceObjective& objective, const at::Tensor& initial) override;
  /// Drops the elites kept from the last call.
  void reset() override;
  /// The kept elites will be shifted by `steps` at the next call.
  void shift(int64_t steps) override;

  const IcemOptions& options() const { return options_; }
  int64_t num_elites() const { return num_elites_; }
  /// Elites carried between iterations and calls: ceil(keep_elite_frac * num_elites()).
  int64_t num_kept() const { return num_kept_; }
  /// Sequences sampled from the distribution in iteration `it` (kept elites and mean excluded).
  int64_t sampled_population(int64_t it) const;

 private:
  void allocate(int64_t S, int64_t H);
  // writes the extra candidates of iteration `it` after the samples; returns their count
  int64_t add_carried(int64_t it, at::Tensor& population, int64_t offset, const at::Tensor& mean);
  at::Tensor shifted_kept(const at::Tensor& mean);

  const IcemOptions options_;
  int64_t num_elites_ = 0;
  int64_t num_kept_ = 0;

  at::Tensor storage_;  // flat buffer: every iteration's [S, P_it, H, A] population is a view
  EliteSet elites_;
  at::Tensor last_elites_;  // [S, E, H, A]: final elites of the last call, or undefined
  int64_t pending_shift_ = 0;
};

}  // namespace mbrl

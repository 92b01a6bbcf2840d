// RandomShootingOptimizer: the best of uniformly random action sequences.
#pragma once

#include <cstdint>

#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include "mbrl/planners/population_optimizer.h"
#include "mbrl/planners/sampling.h"

namespace mbrl {

struct RandomShootingOptions {
  /// Candidate sequences, >= 1.
  TORCH_ARG(int64_t, population_size) = 350;
};

/// Random shooting (Nagabandi et al. 2018; the baseline optimizer of PETS): scores
/// `population_size` sequences drawn uniformly inside the bounds and returns the best one.
/// `initial` only gives the shape of the problem. The candidates are the same for all S problems.
class RandomShootingOptimizer : public PopulationOptimizer {
 public:
  /// action_space: finite bounds of one action; gen: a generator on `device`, owned from now on.
  RandomShootingOptimizer(RandomShootingOptions options, Box action_space, c10::Device device,
                          at::Generator gen);

  at::Tensor optimize(const SequenceObjective& objective, const at::Tensor& initial) override;

  const RandomShootingOptions& options() const { return options_; }

 private:
  const RandomShootingOptions options_;

  at::Tensor noise_;       // [P, H, A] uniform in [0, 1)
  at::Tensor population_;  // [S, P, H, A]
};

}  // namespace mbrl

// Shared pieces of the benchmark workloads: the HalfCheetah-sized task and FLOP counting.
#pragma once

#include <torch/torch.h>

#include "mbrl/envs/task_functions.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"

namespace mbrl::bench {

/// PETS's half-cheetah reward on a 17-d observation: forward velocity (obs 0) minus 0.1 |a|^2;
/// never terminates. Stands in for a HalfCheetah-sized task in planning benchmarks.
class CheetahLikeTask : public TaskFunctions {
 public:
  at::Tensor reward(const at::Tensor&, const at::Tensor& act,
                    const at::Tensor& next_obs) const override {
    return next_obs.select(1, 0) - 0.1 * act.square().sum(1);
  }
  at::Tensor terminated(const at::Tensor& next_obs) const override {
    return torch::zeros({next_obs.size(0)}, next_obs.options().dtype(torch::kBool));
  }
};

/// Multiply-adds of one row through one member's layers (sum of in x out over layers).
inline double forward_macs(const GaussianMlpEnsemble& m) {
  double macs = 0;
  for (const auto& layer : m.layers()) macs += layer->weight.size(1) * layer->weight.size(2);
  return macs;
}

}  // namespace mbrl::bench

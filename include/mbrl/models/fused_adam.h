// FusedAdam: one pass of Adam over parameters whose gradients come as a sum of parts.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include "mbrl/io/archive_fwd.h"

namespace mbrl {

/// Options of FusedAdam (those of torch::optim::Adam without amsgrad).
struct FusedAdamOptions {
  /// Learning rate, > 0.
  TORCH_ARG(double, lr) = 1e-3;
  /// Decay rates of the first and second moment estimates, in [0, 1).
  TORCH_ARG(double, beta1) = 0.9;
  TORCH_ARG(double, beta2) = 0.999;
  /// Added to the root of the second moment, > 0.
  TORCH_ARG(double, eps) = 1e-8;
};

/// Adam (Kingma and Ba 2015, algorithm 1) with L2 weight decay added to the gradient, exactly as
/// torch::optim::Adam computes it, in one multithreaded pass over all parameters that also sums
/// the gradient parts (so partial gradients of threads need no separate reduction).
///
/// Parameters: contiguous float32 CPU tensors, updated in place. Threading contract: one thread
/// at a time.
class FusedAdam {
 public:
  /// `weight_decay[i]` (>= 0) applies to params[i]. Throws InvalidArgument naming the option on a
  /// bad value.
  FusedAdam(std::vector<at::Tensor> params, std::vector<double> weight_decay,
            FusedAdamOptions options = {});

  /// One update with gradient g_i = sum over p of grad_parts[p][i] (each shaped like params[i]).
  /// With more than two parts, the later ones are first added into part 1 (which is modified).
  void step(const std::vector<std::vector<at::Tensor>>& grad_parts);

  int64_t steps() const { return steps_; }
  const FusedAdamOptions& options() const { return options_; }

  /// Writes the moment estimates and the step count (checkpoints); the parameters are not
  /// written (they belong to the model).
  void save(torch::serialize::OutputArchive& archive) const;
  /// Restores what `save` wrote; throws DataError when the archive holds other shapes.
  void load(torch::serialize::InputArchive& archive);

 private:
  std::vector<at::Tensor> params_, exp_avg_, exp_avg_sq_;
  std::vector<double> decay_;
  std::vector<int64_t> starts_;  // global element index where each parameter begins
  FusedAdamOptions options_;
  int64_t steps_ = 0;
};

}  // namespace mbrl

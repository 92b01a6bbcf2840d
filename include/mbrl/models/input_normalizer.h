// InputNormalizer: per-feature standardisation of a network's inputs, fitted on data.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

namespace mbrl {

/// x -> (x - mean) / std per feature, with mean and std fitted on data (mbrl-lib's Normalizer).
/// Statistics are computed in double precision and stored as float32 buffers `mean`, `std`
/// ([dim]), so they are part of the module's state and of saved models. Features whose std is
/// below 1e-12 (constant in the data) get std 1. Before `fit`: mean 0, std 1 (the identity).
class InputNormalizerImpl : public torch::nn::Cloneable<InputNormalizerImpl> {
 public:
  explicit InputNormalizerImpl(int64_t dim);

  void reset() override;

  /// Fits mean and std to x: [B, dim] with B >= 1 (B = 1 gives std 1).
  void fit(const at::Tensor& x);
  /// x: [..., dim] -> [..., dim] standardised.
  at::Tensor forward(const at::Tensor& x) const;

  int64_t dim() const { return dim_; }
  /// True once `fit` was called (or a fitted normalizer was loaded).
  bool fitted() const;

  at::Tensor mean;         // [dim] float32
  at::Tensor stddev;       // [dim] float32 (buffer "std")
  at::Tensor fitted_flag;  // [] bool (buffer "fitted"), so it round-trips through save/load

 private:
  int64_t dim_;
};
TORCH_MODULE(InputNormalizer);

}  // namespace mbrl

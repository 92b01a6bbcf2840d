// Weight initialisers shared by the networks of models and agents.
#pragma once

#include <cstdint>
#include <optional>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace mbrl {

/// Samples [sizes] from N(0, std^2) truncated to [-2 std, 2 std] (resampling outside), float32 on
/// the CPU from `gen` (the global CPU generator when nullopt). PETS's and mbrl-lib's ensemble
/// initialiser.
at::Tensor truncated_normal(at::IntArrayRef sizes, double std,
                            std::optional<at::Generator> gen = std::nullopt);

/// Fills `weight` in place with U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio
/// 2010, gain 1), drawing from `gen` (on the weight's device; nullopt: the global generator).
/// The initialiser of the SAC networks (as the SAC authors' PyTorch code).
void xavier_uniform_(at::Tensor& weight, int64_t fan_in, int64_t fan_out,
                     const std::optional<at::Generator>& gen = std::nullopt);

}  // namespace mbrl

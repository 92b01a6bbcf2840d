// Conversions between an env's double-precision state and the float32 tensors of the Env API.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace mbrl {

/// act: [act_dim] (any floating dtype, CPU) -> doubles; throws ShapeError naming `env` on a
/// wrong shape and Error on NaN.
std::vector<double> action_values(const at::Tensor& act, int64_t act_dim, const char* env);

/// The one-hot action of choice `index` among `choices`: [choices] float32 CPU.
at::Tensor one_hot_action(int64_t index, int64_t choices);

/// A discrete env's choice: the index of the first largest entry of act [choices] (one-hot from
/// an agent); throws as action_values does.
int64_t discrete_action(const at::Tensor& act, int64_t choices, const char* env);

/// values -> [n] float32 CPU tensor.
at::Tensor observation_tensor(const double* values, int64_t n);
inline at::Tensor observation_tensor(const std::vector<double>& values) {
  return observation_tensor(values.data(), static_cast<int64_t>(values.size()));
}

}  // namespace mbrl

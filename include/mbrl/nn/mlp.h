// Mlp: a plain multilayer perceptron building block (Linear + activation hidden layers, linear
// output).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "mbrl/nn/activation.h"

namespace mbrl {

/// Options of Mlp. The sizes that depend on the task are constructor arguments.
struct MlpOptions {
  MlpOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  /// Input width, >= 1.
  TORCH_ARG(int64_t, in_features);
  /// Output width, >= 1.
  TORCH_ARG(int64_t, out_features);
  /// Width of every hidden layer, >= 1.
  TORCH_ARG(int64_t, hidden_size) = 256;
  /// Number of hidden layers, >= 0 (0: a single linear map).
  TORCH_ARG(int64_t, num_layers) = 2;
  /// Activation of every hidden layer.
  TORCH_ARG(Activation, activation) = Activation::kRelu;
  /// LayerNorm (with affine parameters) between each hidden Linear and its activation, as
  /// DreamerV3's MLPs (`norm: layer`).
  TORCH_ARG(bool, layer_norm) = false;
};

/// `num_layers` hidden Linear (+ LayerNorm) + `activation` layers of `hidden_size` units, then a
/// Linear output layer with no activation: in -> hidden -> ... -> hidden -> out.
///
/// Construction initialises like torch::nn::Linear (from the global generator); components that
/// own a generator call `reset_parameters(gen)` to draw the weights from it instead.
class MlpImpl : public torch::nn::Cloneable<MlpImpl> {
 public:
  explicit MlpImpl(MlpOptions options);
  MlpImpl(int64_t in_features, int64_t out_features)
      : MlpImpl(MlpOptions(in_features, out_features)) {}

  /// (Re)creates the layers; called by the constructor and by clone().
  void reset() override;

  /// Xavier-uniform weights (gain 1) and zero biases, drawn from `gen` (any generator on the
  /// module's device; nullopt: the global generator).
  void reset_parameters(std::optional<at::Generator> gen = std::nullopt);

  /// x: [..., in_features] -> [..., out_features].
  at::Tensor forward(const at::Tensor& x);

  void pretty_print(std::ostream& stream) const override;

  /// The options the module was built with.
  MlpOptions options;

 private:
  std::vector<torch::nn::Linear> layers_;
  std::vector<torch::nn::LayerNorm> norms_;  // one per hidden layer when layer_norm
};

/// A ModuleHolder for MlpImpl (held by value, shares the module on copy).
TORCH_MODULE(Mlp);

/// DreamerV3's MLP shape (its nets.py MLP with `norm: layer`, `act: silu`): `layers` hidden
/// layers of `units` with LayerNorm and SiLU, in -> out.
MlpOptions layer_norm_silu_mlp(int64_t in, int64_t out, int64_t units, int64_t layers);

}  // namespace mbrl

// EnsembleMlp: E independent multilayer perceptrons computed together, one batched matmul per
// layer (EnsembleLinear).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include "mbrl/nn/activation.h"
#include "mbrl/nn/ensemble_linear.h"

namespace mbrl {

/// Options of EnsembleMlp. The sizes that depend on the task are constructor arguments.
struct EnsembleMlpOptions {
  EnsembleMlpOptions(int64_t ensemble_size, int64_t in_features, int64_t out_features)
      : ensemble_size_(ensemble_size), in_features_(in_features), out_features_(out_features) {}
  /// Number of members E, >= 1.
  TORCH_ARG(int64_t, ensemble_size);
  /// Input and output widths of every member, >= 1.
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  /// Width of every hidden layer, >= 1.
  TORCH_ARG(int64_t, hidden_size) = 256;
  /// Number of hidden layers, >= 0 (0: one affine map per member).
  TORCH_ARG(int64_t, num_layers) = 2;
  /// Activation of every hidden layer.
  TORCH_ARG(Activation, activation) = Activation::kSilu;
  /// Every layer's weight initialiser (EnsembleLinear's; biases start at zero).
  TORCH_ARG(EnsembleInit, init) = EnsembleInit::kTruncatedNormal;
};

/// `num_layers` hidden EnsembleLinear + `activation` layers of `hidden_size` units, then an
/// EnsembleLinear output layer with no activation, for E members at once: member e maps row b of
/// x[e] by its own weights. Construction draws the weights from the global generator.
class EnsembleMlpImpl : public torch::nn::Cloneable<EnsembleMlpImpl> {
 public:
  /// Throws InvalidArgument naming the option when a size is out of range.
  explicit EnsembleMlpImpl(EnsembleMlpOptions options);

  /// (Re)creates the layers; called by the constructor and by clone().
  void reset() override;
  /// Re-initialises every layer in place, drawing from `gen` (EnsembleLinear::reset_parameters).
  void reset_parameters(std::optional<at::Generator> gen = std::nullopt);

  /// x: [E, B, in] -> [E, B, out].
  at::Tensor forward(const at::Tensor& x);
  /// x: [..., in] -> [E, ..., out]: every member reads the same rows.
  at::Tensor forward_shared(const at::Tensor& x);

  void pretty_print(std::ostream& stream) const override;

  const EnsembleMlpOptions& options() const { return options_; }

 private:
  EnsembleMlpOptions options_;
  std::vector<EnsembleLinear> layers_;
};

/// A ModuleHolder for EnsembleMlpImpl (held by value, shares the module on copy).
TORCH_MODULE(EnsembleMlp);

}  // namespace mbrl

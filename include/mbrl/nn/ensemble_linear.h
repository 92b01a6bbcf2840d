// EnsembleLinear: E independent linear layers applied in one batched matmul.
#pragma once

#include <cstdint>
#include <optional>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

namespace mbrl {

/// How EnsembleLinear draws its weights (biases always start at zero).
enum class EnsembleInit {
  kTruncatedNormal,  // std 1 / (2 sqrt(in)), truncated at 2 std: PETS, mbrl-lib (models)
  kXavierUniform,    // U(+-sqrt(6 / (in + out))) per member: the SAC critics
};

/// Options of EnsembleLinear.
struct EnsembleLinearOptions {
  EnsembleLinearOptions(int64_t ensemble_size, int64_t in_features, int64_t out_features)
      : ensemble_size_(ensemble_size), in_features_(in_features), out_features_(out_features) {}
  /// Number of members E, >= 1.
  TORCH_ARG(int64_t, ensemble_size);
  /// Input width of every member, >= 1.
  TORCH_ARG(int64_t, in_features);
  /// Output width of every member, >= 1.
  TORCH_ARG(int64_t, out_features);
  /// The weight initialiser.
  TORCH_ARG(EnsembleInit, init) = EnsembleInit::kTruncatedNormal;
};

/// E independent affine maps y_e = x_e W_e + b_e, computed for all members in one `baddbmm`
/// (mbrl-lib's `EnsembleLinearLayer`). weight: [E, in, out]; bias: [E, 1, out].
///
/// Initialisation by `init`: by default (as mbrl-lib and PETS) weights from a normal with std
/// 1 / (2 sqrt(in)) truncated at two standard deviations; biases zero.
class EnsembleLinearImpl : public torch::nn::Cloneable<EnsembleLinearImpl> {
 public:
  /// Throws InvalidArgument naming the option when a size is < 1.
  explicit EnsembleLinearImpl(const EnsembleLinearOptions& options);

  /// (Re)creates and initialises the parameters from the global generator.
  void reset() override;
  /// Re-initialises the parameters in place, drawing from `gen` (truncated normal: a CPU
  /// generator, the values are moved to the parameters' device; Xavier: a generator on the
  /// parameters' device).
  void reset_parameters(std::optional<at::Generator> gen = std::nullopt);

  /// x: [E, B, in] -> [E, B, out].
  at::Tensor forward(const at::Tensor& x);

  void pretty_print(std::ostream& stream) const override;

  const EnsembleLinearOptions& options() const { return options_; }

  at::Tensor weight;  // [E, in, out]
  at::Tensor bias;    // [E, 1, out]

 private:
  EnsembleLinearOptions options_;
};
TORCH_MODULE(EnsembleLinear);

}  // namespace mbrl

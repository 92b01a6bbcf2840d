// Layers of a backbone that holds M independent members side by side in its feature dimension
// (SequenceBackbone::members): member m owns the slice [m * width, (m + 1) * width) of every
// feature vector, and each layer maps a member's slice by that member's own parameters.
#pragma once

#include <cstdint>
#include <utility>

#include <ATen/core/Tensor.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

namespace mbrl {

/// M independent linear maps, y[..., m out : (m + 1) out] = x[..., m in : (m + 1) in] W_m^T + b_m,
/// for all members in one batched matmul. With M = 1 it is torch::nn::Linear: the same
/// parameter names and shapes (weight [out, in], bias [out]), the same initial draws and the
/// same arithmetic (at::linear), so a one-member backbone reads archives written with Linear.
/// With M >= 2: weight [M, out, in], bias [M, out], each member initialised as Linear is
/// (weights Kaiming-uniform with a = sqrt(5), biases U(+-1 / sqrt(in))).
class MemberLinearImpl : public torch::nn::Cloneable<MemberLinearImpl> {
 public:
  /// Throws InvalidArgument naming `members` or the width when one is < 1.
  MemberLinearImpl(int64_t members, int64_t in_features, int64_t out_features, bool bias = true);

  /// (Re)creates and initialises the parameters from the global generator.
  void reset() override;

  /// x: [..., M in] -> [..., M out].
  at::Tensor forward(const at::Tensor& x);

  /// Member m's parameters as a torch::nn::Linear holds them: {weight [out, in], bias [out]}
  /// (bias undefined without one); views, not copies.
  std::pair<at::Tensor, at::Tensor> member(int64_t m) const;
  /// Sets this one-member layer's parameters to a copy of member m of `from` (same widths).
  void copy_member(const MemberLinearImpl& from, int64_t m);

  int64_t members() const { return members_; }

  at::Tensor weight;  // [out, in] (M = 1) or [M, out, in]
  at::Tensor bias;    // [out] (M = 1) or [M, out]; undefined without a bias

 private:
  int64_t members_, in_, out_;
  bool has_bias_;
};
TORCH_MODULE(MemberLinear);

/// LayerNorm of each member's slice: h [..., M width], weight and bias [M width] (member m's
/// scale and shift at its slice) -> [..., M width]. With M = 1 exactly
/// at::layer_norm(h, {width}, weight, bias).
at::Tensor member_layer_norm(const at::Tensor& h, int64_t members, const at::Tensor& weight,
                             const at::Tensor& bias);

}  // namespace mbrl

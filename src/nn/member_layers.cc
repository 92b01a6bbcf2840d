// MemberLinear and member_layer_norm.
#include "mbrl/nn/member_layers.h"

#include <torch/torch.h>

#include <cmath>

#include "mbrl/core/check.h"

namespace mbrl {

MemberLinearImpl::MemberLinearImpl(int64_t members, int64_t in_features, int64_t out_features,
                                   bool bias)
    : members_(members), in_(in_features), out_(out_features), has_bias_(bias) {
  MBRL_CHECK_ARG(members >= 1, "members", "expected an integer >= 1, got ", members);
  MBRL_CHECK_ARG(in_features >= 1 && out_features >= 1, "in_features", "expected widths >= 1, got ",
                 in_features, " and ", out_features);
  reset();
}

void MemberLinearImpl::reset() {
  torch::NoGradGuard no_grad;
  const bool one = members_ == 1;
  weight = register_parameter(
      "weight", one ? torch::empty({out_, in_}) : torch::empty({members_, out_, in_}));
  if (has_bias_) {
    bias = register_parameter("bias", one ? torch::empty({out_}) : torch::empty({members_, out_}));
  }
  // torch::nn::Linear's initialisation, member by member (LinearImpl::reset_parameters)
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_));
  for (int64_t m = 0; m < members_; ++m) {
    auto [w, b] = member(m);
    torch::nn::init::kaiming_uniform_(w, std::sqrt(5.0));
    if (b.defined()) torch::nn::init::uniform_(b, -bound, bound);
  }
}

std::pair<at::Tensor, at::Tensor> MemberLinearImpl::member(int64_t m) const {
  MBRL_CHECK_ARG(0 <= m && m < members_, "members", "expected a member in [0, ", members_,
                 "), got ", m);
  if (members_ == 1) return {weight, bias};
  return {weight[m], has_bias_ ? bias[m] : at::Tensor()};
}

void MemberLinearImpl::copy_member(const MemberLinearImpl& from, int64_t m) {
  MBRL_CHECK(members_ == 1 && from.in_ == in_ && from.out_ == out_ && from.has_bias_ == has_bias_,
             "MemberLinear::copy_member: expected a one-member layer of the same widths");
  torch::NoGradGuard no_grad;
  auto [w, b] = from.member(m);
  weight.copy_(w);
  if (has_bias_) bias.copy_(b);
}

at::Tensor MemberLinearImpl::forward(const at::Tensor& x) {
  if (members_ == 1) return at::linear(x, weight, bias);
  MBRL_CHECK(x.size(-1) == members_ * in_, "MemberLinear: expected inputs [..., ", members_ * in_,
             "], got ", x.sizes());
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = members_ * out_;
  // [rows, M, in] -> [M, rows, in] -> one bmm -> [M, rows, out] -> [..., M out]
  const at::Tensor per_member = x.reshape({-1, members_, in_}).transpose(0, 1);
  const at::Tensor w = weight.transpose(1, 2);
  const at::Tensor y =
      has_bias_ ? at::baddbmm(bias.unsqueeze(1), per_member, w) : at::bmm(per_member, w);
  return y.transpose(0, 1).reshape(shape);
}

at::Tensor member_layer_norm(const at::Tensor& h, int64_t members, const at::Tensor& weight,
                             const at::Tensor& bias) {
  const int64_t width = h.size(-1) / members;
  if (members == 1) return at::layer_norm(h, {width}, weight, bias);
  // normalised per member, then each member's own scale and shift
  const at::Tensor normed = at::layer_norm(h.unflatten(-1, {members, width}), {width});
  return (normed * weight.view({members, width}) + bias.view({members, width})).flatten(-2);
}

}  // namespace mbrl

// Activations by name, in place and with their derivatives in terms of the saved outputs.
#include "mbrl/nn/activation.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "vector_kernels.h"

namespace mbrl {
namespace {

constexpr double kLeakySlope = 0.01;

}  // namespace

Activation parse_activation(const std::string& name) {
  if (name == "silu") return Activation::kSilu;
  if (name == "relu") return Activation::kRelu;
  if (name == "leaky_relu") return Activation::kLeakyRelu;
  if (name == "tanh") return Activation::kTanh;
  if (name == "elu") return Activation::kElu;
  throw InvalidArgument("activation",
                        "expected one of elu, leaky_relu, relu, silu, tanh, got '" + name + "'");
}

std::string activation_name(Activation a) {
  switch (a) {
    case Activation::kSilu:
      return "silu";
    case Activation::kRelu:
      return "relu";
    case Activation::kLeakyRelu:
      return "leaky_relu";
    case Activation::kTanh:
      return "tanh";
    case Activation::kElu:
      return "elu";
  }
  MBRL_ASSERT(false, "unknown activation");
}

at::Tensor apply_activation(Activation a, const at::Tensor& z) {
  switch (a) {
    case Activation::kSilu:
      return at::silu(z);
    case Activation::kRelu:
      return at::relu(z);
    case Activation::kLeakyRelu:
      return at::leaky_relu(z, kLeakySlope);
    case Activation::kTanh:
      return at::tanh(z);
    case Activation::kElu:
      return at::elu(z);
  }
  MBRL_ASSERT(false, "unknown activation");
}

void apply_activation_(Activation a, at::Tensor& z, at::Tensor* sigmoid) {
  switch (a) {
    case Activation::kSilu:
      if (!(z.is_cpu() && z.scalar_type() == at::kFloat && z.is_contiguous())) {
        MBRL_ASSERT(sigmoid == nullptr || !sigmoid->defined(), "sigmoid output on CPU only");
        at::silu_(z);
      } else if (sigmoid != nullptr && sigmoid->defined()) {
        // h = z * sigmoid(z), keeping sigmoid(z) for the derivative
        MBRL_ASSERT(sigmoid->is_contiguous() && sigmoid->numel() == z.numel(), "sigmoid buffer");
        detail::silu_with_sigmoid(z.data_ptr<float>(), sigmoid->data_ptr<float>(), z.numel());
      } else {
        detail::silu_inplace(z.data_ptr<float>(), z.numel());
      }
      return;
    case Activation::kRelu:
      at::relu_(z);
      return;
    case Activation::kLeakyRelu:
      at::leaky_relu_(z, kLeakySlope);
      return;
    case Activation::kTanh:
      at::tanh_(z);
      return;
    case Activation::kElu:
      at::elu_(z);
      return;
  }
  MBRL_ASSERT(false, "unknown activation");
}

void activation_backward_inplace(Activation a, float* grad, const float* h, const float* s,
                                 int64_t n) {
  switch (a) {
    case Activation::kSilu:
      // d/dz z s(z) = s + z s (1 - s) = s + h (1 - s)
      MBRL_ASSERT(s != nullptr, "silu backward needs sigmoid(z)");
      detail::silu_backward_inplace(grad, h, s, n);
      return;
    case Activation::kRelu:
      for (int64_t i = 0; i < n; ++i) grad[i] = h[i] > 0.0f ? grad[i] : 0.0f;
      return;
    case Activation::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) {
        grad[i] *= h[i] > 0.0f ? 1.0f : static_cast<float>(kLeakySlope);
      }
      return;
    case Activation::kTanh:
      for (int64_t i = 0; i < n; ++i) grad[i] *= 1.0f - h[i] * h[i];
      return;
    case Activation::kElu:
      // for z <= 0: h = exp(z) - 1, so h' = h + 1
      for (int64_t i = 0; i < n; ++i) grad[i] *= h[i] > 0.0f ? 1.0f : h[i] + 1.0f;
      return;
  }
  MBRL_ASSERT(false, "unknown activation");
}

}  // namespace mbrl

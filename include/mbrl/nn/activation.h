// Hidden-layer activations of the model networks, chosen by name in YAML, with the derivative the
// hand-written backward pass needs.
#pragma once

#include <string>

#include <ATen/core/Tensor.h>

namespace mbrl {

/// Activation of a hidden layer. YAML names: silu, relu, leaky_relu (slope 0.01), tanh, elu
/// (alpha 1). silu is PETS's "swish" and mbrl-lib's default.
enum class Activation { kSilu, kRelu, kLeakyRelu, kTanh, kElu };

/// Maps a YAML name to an Activation; throws InvalidArgument("activation", ...) listing the
/// allowed names otherwise.
Activation parse_activation(const std::string& name);
/// The YAML name of `a`.
std::string activation_name(Activation a);

/// act(z) for a tensor of any shape (differentiable by autograd).
at::Tensor apply_activation(Activation a, const at::Tensor& z);

/// In place on a CPU float32 tensor of any shape: z <- act(z). When `sigmoid` is defined (same
/// shape, contiguous) and `a` is kSilu, sigmoid(z) is also written there for the backward pass.
void apply_activation_(Activation a, at::Tensor& z, at::Tensor* sigmoid = nullptr);

/// Backward of the activation from saved forward values, in place on contiguous float32 CPU
/// buffers of n elements: grad[i] *= act'(z_i), where h = act(z) and, for silu only, s =
/// sigmoid(z) (`s` may be null for the others). Every derivative is written in terms of h (and s),
/// so the pre-activation need not be kept.
void activation_backward_inplace(Activation a, float* grad, const float* h, const float* s,
                                 int64_t n);

}  // namespace mbrl

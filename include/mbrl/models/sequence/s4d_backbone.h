// S4dBackbone: diagonal state-space blocks (S4D, Gu, Gupta, Goel & Re 2022): FFT convolution with
// a Vandermonde kernel for training, the recurrence for imagination.
#pragma once

#include <torch/arg.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mbrl/models/sequence/sequence_backbone.h"
#include "mbrl/nn/member_layers.h"

namespace mbrl {

class ConfigNode;

struct S4dBackboneOptions {
  explicit S4dBackboneOptions(int64_t input_size) : input_size_(input_size) {}
  /// Width of the input x_t, >= 1.
  TORCH_ARG(int64_t, input_size);
  /// Channels H (the output width), >= 1.
  TORCH_ARG(int64_t, d_model) = 128;
  /// Residual S4D blocks, >= 1.
  TORCH_ARG(int64_t, num_layers) = 2;
  /// State size N per channel, even and >= 2: N/2 complex modes used as conjugate pairs.
  TORCH_ARG(int64_t, d_state) = 64;
  /// Initialisation of A's imaginary parts: "lin" (S4D-Lin, pi n) or "inv" (S4D-Inv,
  /// (N/pi)(N/(2n+1) - 1)); real parts -1/2.
  TORCH_ARG(std::string, init) = "lin";
  /// "zoh" (zero-order hold) or "bilinear".
  TORCH_ARG(std::string, discretization) = "zoh";
  /// log step log(Delta) ~ U[log dt_min, log dt_max], 0 < dt_min <= dt_max; learnable.
  TORCH_ARG(double, dt_min) = 1e-3;
  TORCH_ARG(double, dt_max) = 1e-1;
  /// Independent S4D models computed together (SequenceBackbone::members), >= 1.
  TORCH_ARG(int64_t, members) = 1;
};

/// The discretised SSM of one layer, as real and imaginary parts, each [C, N/2] (C = M H
/// channels, member m's at [m H, (m + 1) H)).
struct S4dDiscretization {
  at::Tensor a_re, a_im;          // A-bar
  at::Tensor b_re, b_im;          // B-bar (B = 1, folded into C as in S4D)
  at::Tensor c_re, c_im;          // C
  at::Tensor log_a_re, log_a_im;  // log A-bar (its powers are exp(l log A-bar))
};

/// An input projection in -> H, `num_layers` pre-norm residual blocks and a final LayerNorm.
/// Block: x <- x + GLU(Linear_{H -> 2H}(GELU(SSM(LayerNorm(x))))), where SSM runs per channel
///   x_k = A-bar x_{k-1} + B-bar u_k,  y_k = 2 Re(C x_k) + D u_k
/// with diagonal complex A = -exp(log_a_re) + i a_im (facts: ../shared/specs/algorithm-specs.md
/// section 8, next-features-facts.md section 7). ZOH: A-bar = exp(Delta A),
/// B-bar = (exp(Delta A) - 1) / A; bilinear: A-bar = (1 + Delta A/2) / (1 - Delta A/2),
/// B-bar = Delta / (1 - Delta A/2). C ~ CN(0, 1), D ~ N(0, 1). Complex numbers are kept as real
/// pairs (no complex autograd).
///
/// Parallel form: y = K * u + D u with the kernel K_l = 2 Re(sum_n C_n B-bar_n A-bar_n^l) from a
/// Vandermonde product, applied by FFT. Episode starts inside the window cut it into segments:
/// every segment is convolved as its own row (gathered into a [segments, T, H] batch), so no
/// input reaches across a start; the state carried in from the previous call adds
/// 2 Re(C A-bar^{t+1} x_0) to the first segment. The recurrent form steps the recurrence.
///
/// M members are M such models side by side in C = M H channels: the input projection maps the
/// shared input to every member's H channels, the SSMs are per channel anyway, and the mixing
/// layers and LayerNorms act on each member's H channels by its own parameters (MemberLinear,
/// member_layer_norm), so no member reads another's weights or state.
class S4dBackboneImpl : public SequenceBackbone {
 public:
  /// Throws InvalidArgument naming the option on a bad value.
  explicit S4dBackboneImpl(S4dBackboneOptions options);

  std::string type() const override { return "s4d"; }
  int64_t input_size() const override { return options_.input_size(); }
  /// members * d_model.
  int64_t output_size() const override { return options_.members() * options_.d_model(); }
  int64_t members() const override { return options_.members(); }
  std::shared_ptr<SequenceBackbone> member(int64_t m) const override;
  const S4dBackboneOptions& options() const { return options_; }

  /// Per layer the complex state as real and imaginary parts, each [B, C, N/2].
  BackboneState initial_state(int64_t batch, c10::Device device) const override;
  /// x: [T, B, in], is_first: [T, B] -> y: [T, B, C], the state after step T - 1.
  std::pair<at::Tensor, BackboneState> forward(const at::Tensor& x, const at::Tensor& is_first,
                                               const BackboneState& state) override;
  /// x: [B, in], is_first: [B] -> y: [B, C], the next state.
  std::pair<at::Tensor, BackboneState> step(const BackboneState& state, const at::Tensor& x,
                                            const at::Tensor& is_first) override;
  /// Every step's state from one gradient-free parallel pass: each layer's complex state stepped
  /// over its inputs, element-wise (no per-step mixing layers).
  BackboneState states_along(const at::Tensor& x, const at::Tensor& is_first,
                             const BackboneState& state, const at::Tensor& y) override;

  /// Layer `layer`'s discretised SSM.
  S4dDiscretization discretize(size_t layer) const;
  /// Layer `layer`'s convolution kernel K: [C, length] (the Vandermonde product).
  at::Tensor kernel(size_t layer, int64_t length) const;

 private:
  struct Layer {
    at::Tensor log_dt, log_a_re, a_im, c_re, c_im, d_skip;  // [C], [C, N/2] x 4, [C]
    at::Tensor norm_weight, norm_bias;                      // [C]
    MemberLinear mix{nullptr};                              // H -> 2H per member, then GLU
  };
  // the SSM of one layer over a chunk: u [T, B, C], starts [T, B]; x_re, x_im [B, C, N/2] in/out
  at::Tensor ssm_parallel(size_t i, const at::Tensor& u, const at::Tensor& starts, at::Tensor& x_re,
                          at::Tensor& x_im) const;
  at::Tensor block_output(size_t i, const at::Tensor& ssm_y);
  // forward; with `every`, also every step's state (states_along)
  std::pair<at::Tensor, BackboneState> run(const at::Tensor& x, const at::Tensor& is_first,
                                           const BackboneState& state, BackboneState* every);

  S4dBackboneOptions options_;
  torch::nn::Linear input_{nullptr};  // in -> C: every member's H channels from the shared input
  std::vector<Layer> layers_;
  at::Tensor final_weight_, final_bias_;
};
TORCH_MODULE(S4dBackbone);

/// Reads S4dBackboneOptions from a `backbone:` node.
S4dBackboneOptions s4d_backbone_options_from_config(const ConfigNode& node, int64_t input_size);

}  // namespace mbrl

// MambaBackbone: selective state-space blocks (Gu & Dao 2023): input-dependent step, B and C,
// a causal depthwise convolution and a gated output; a chunked parallel scan for training.
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

struct MambaBackboneOptions {
  explicit MambaBackboneOptions(int64_t input_size) : input_size_(input_size) {}
  /// Width of the input x_t, >= 1.
  TORCH_ARG(int64_t, input_size);
  /// Model width D (the output), >= 1.
  TORCH_ARG(int64_t, d_model) = 128;
  /// Residual Mamba blocks, >= 1.
  TORCH_ARG(int64_t, num_layers) = 2;
  /// State size N per channel, >= 1.
  TORCH_ARG(int64_t, d_state) = 16;
  /// Causal depthwise convolution width, >= 1.
  TORCH_ARG(int64_t, d_conv) = 4;
  /// Inner width E D, E >= 1.
  TORCH_ARG(int64_t, expand) = 2;
  /// Rank of the step projection; 0: ceil(D / 16).
  TORCH_ARG(int64_t, dt_rank) = 0;
  /// Initial steps are log-uniform in [dt_min, dt_max], 0 < dt_min <= dt_max.
  TORCH_ARG(double, dt_min) = 1e-3;
  TORCH_ARG(double, dt_max) = 1e-1;
  /// Time steps per chunk of the parallel scan, >= 1: 2 chunk + T / chunk tensor operations
  /// (chunk when T <= chunk). On a CPU chunks of 16-64 cost about the same (one chunk is the
  /// plain recurrence); small chunks bound the operation count on a GPU.
  TORCH_ARG(int64_t, scan_chunk) = 16;
  /// Independent Mamba models computed together (SequenceBackbone::members), >= 1.
  TORCH_ARG(int64_t, members) = 1;
};

/// A stack of `num_layers` residual blocks x <- x + Mixer(RMSNorm(x)) after an input projection
/// in -> D, and a final RMSNorm; y_t is D wide. The mixer, as in the Mamba paper and
/// `mamba_ssm` (facts: ../shared/specs/next-features-facts.md section 7):
///   (u, z) = in_proj(x) (each E D wide); u <- SiLU(causal depthwise conv_{d_conv}(u));
///   (delta_lowrank, B_t, C_t) = x_proj(u); Delta_t = softplus(dt_proj(delta_lowrank));
///   h_t = exp(Delta_t A) * h_{t-1} + Delta_t B_t u_t  (A = -exp(A_log), ZOH for A, Euler for B);
///   y_t = <h_t, C_t> + D u_t;  out = out_proj(y_t * SiLU(z_t)).
/// Initialisation: A_log = log(1..N) per channel (S4D-Real), D = 1, the dt_proj bias the inverse
/// softplus of a log-uniform step in [dt_min, dt_max] (floor 1e-4), dt_proj weights
/// U(+-dt_rank^-1/2). At an episode start h and the convolution's history are reset to zero.
///
/// The parallel form scans the pairs (exp(Delta A), Delta B u) in chunks of `scan_chunk` steps,
/// the chunks side by side (detail::chunked_linear_scan: each chunk's composition, one carry per
/// chunk, each chunk's recurrence from its carry); its backward pass is the same scan run in
/// reverse (detail::linear_scan). The recurrent form runs the same recurrence one step at a time.
///
/// M members are M such models side by side: every width below times M, member m's slice
/// [m W, (m + 1) W) of each. The input projection maps the shared input to every member's D; the
/// projections are MemberLinear, the norms per member, the convolution, A and D per channel, and
/// each member's B_t and C_t reach only its own channels.
class MambaBackboneImpl : public SequenceBackbone {
 public:
  /// Throws InvalidArgument naming the option on a bad value.
  explicit MambaBackboneImpl(MambaBackboneOptions options);

  std::string type() const override { return "mamba"; }
  int64_t input_size() const override { return options_.input_size(); }
  /// members * d_model.
  int64_t output_size() const override { return options_.members() * options_.d_model(); }
  int64_t members() const override { return options_.members(); }
  std::shared_ptr<SequenceBackbone> member(int64_t m) const override;
  const MambaBackboneOptions& options() const { return options_; }

  /// Per layer: h [B, M E D, N] and the convolution's last d_conv - 1 inputs
  /// [B, d_conv - 1, M E D].
  BackboneState initial_state(int64_t batch, c10::Device device) const override;
  /// x: [T, B, in], is_first: [T, B] -> y: [T, B, M D], the state after step T - 1.
  std::pair<at::Tensor, BackboneState> forward(const at::Tensor& x, const at::Tensor& is_first,
                                               const BackboneState& state) override;
  /// x: [B, in], is_first: [B] -> y: [B, M D], the next state.
  std::pair<at::Tensor, BackboneState> step(const BackboneState& state, const at::Tensor& x,
                                            const at::Tensor& is_first) override;

 private:
  struct Layer {
    MemberLinear in_proj{nullptr}, x_proj{nullptr}, dt_proj{nullptr}, out_proj{nullptr};
    at::Tensor conv_weight, conv_bias;  // [M E D, d_conv], [M E D]
    at::Tensor a_log, d_skip;           // [M E D, N], [M E D]
    at::Tensor norm_weight;             // [M D] (RMSNorm)
  };
  // one mixer over a chunk: u [T, B, M D] (normalised), starts [T, B] -> out [T, B, M D];
  // updates the layer's h [B, M E D, N] and conv history [B, d_conv - 1, M E D] in `h`, `conv`
  at::Tensor mix(Layer& l, const at::Tensor& u, const at::Tensor& starts, at::Tensor& h,
                 at::Tensor& conv);

  MambaBackboneOptions options_;
  int64_t inner_ = 0, dt_rank_ = 0;   // per member
  torch::nn::Linear input_{nullptr};  // in -> M D
  std::vector<Layer> layers_;
  at::Tensor final_norm_;  // [M D]
};
TORCH_MODULE(MambaBackbone);

/// Reads MambaBackboneOptions from a `backbone:` node.
MambaBackboneOptions mamba_backbone_options_from_config(const ConfigNode& node, int64_t input_size);

namespace detail {
/// The linear recurrence h_t = a_t * h_{t-1} + b_t over the leading (time) dimension, from h0:
/// a, b: [T, ...], h0: [...] -> h: [T, ...]. In chunks of `chunk` steps, the chunks side by side:
/// each chunk's composition from a zero state (chunk steps, all chunks in each tensor operation),
/// one carry per chunk (T / chunk steps), then each chunk's recurrence from its carry (chunk
/// steps); with one chunk (T <= chunk) only the last. Not differentiable (see linear_scan).
at::Tensor chunked_linear_scan(const at::Tensor& a, const at::Tensor& b, const at::Tensor& h0,
                               int64_t chunk);
/// chunked_linear_scan with its gradient computed as the reverse scan (a custom autograd
/// function: the backward pass stores a and h only, not the scan's intermediates).
at::Tensor linear_scan(const at::Tensor& a, const at::Tensor& b, const at::Tensor& h0,
                       int64_t chunk);
/// The same recurrence, one step at a time (the reference the scan is tested against).
at::Tensor sequential_linear_scan(const at::Tensor& a, const at::Tensor& b, const at::Tensor& h0);
}  // namespace detail

}  // namespace mbrl

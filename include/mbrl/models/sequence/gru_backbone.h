// GruBackbone: DreamerV3's block GRU (LayerNorm, block-diagonal recurrent weights), or a plain GRU.
#pragma once

#include <torch/arg.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/modules/rnn.h>

#include <cstdint>
#include <string>

#include "mbrl/models/sequence/sequence_backbone.h"
#include "mbrl/nn/ensemble_linear.h"

namespace mbrl {

class ConfigNode;

struct GruBackboneOptions {
  explicit GruBackboneOptions(int64_t input_size) : input_size_(input_size) {}
  /// Width of the input x_t, >= 1.
  TORCH_ARG(int64_t, input_size);
  /// Width of the hidden state h_t (the output), >= 1; a multiple of `blocks`.
  TORCH_ARG(int64_t, hidden_size) = 256;
  /// "block": DreamerV3's GRU; "plain": the standard GRU cell (torch::nn::GRUCell).
  TORCH_ARG(std::string, variant) = "block";
  /// Diagonal blocks of the recurrent weights (variant block), >= 1; DreamerV3 uses 8.
  TORCH_ARG(int64_t, blocks) = 8;
  /// Independent GRUs computed together (SequenceBackbone::members), >= 1; variant block only.
  TORCH_ARG(int64_t, members) = 1;
};

/// The recurrence h_t = GRU(h_{t-1}, x_t), h_0 = 0, reset to 0 where an episode starts; y_t = h_t.
///
/// Variant "block" (DreamerV3, `nets.py` `_gru` and the block-diagonal `BlockLinear` of its RSSM):
/// the hidden state is split into G blocks; block g reads [h_g, x_t] through its own affine map
/// (one batched matmul for all blocks, EnsembleLinear) to 3 H/G values, LayerNorm'ed per block and
/// split into reset r, candidate c and update u: c = tanh(sigmoid(r) * c), u = sigmoid(u - 1),
/// h_g = u * c + (1 - u) * h_g. With blocks 1 this is the 2023 DreamerV3 GRU. Variant "plain":
/// torch::nn::GRUCell. The parallel form steps the recurrence over T (a GRU has no other form).
/// M members are one block GRU of M * blocks blocks and M * hidden_size units: a block reads only
/// its own hidden slice and x, so blocks [m G, (m + 1) G) are member m, independent of the rest.
class GruBackboneImpl : public SequenceBackbone {
 public:
  /// Throws InvalidArgument naming the option on a bad value.
  explicit GruBackboneImpl(GruBackboneOptions options);

  std::string type() const override { return "gru"; }
  int64_t input_size() const override { return options_.input_size(); }
  /// members * hidden_size.
  int64_t output_size() const override { return options_.members() * options_.hidden_size(); }
  int64_t members() const override { return options_.members(); }
  std::shared_ptr<SequenceBackbone> member(int64_t m) const override;
  const GruBackboneOptions& options() const { return options_; }

  /// {h [B, output_size]} of zeros.
  BackboneState initial_state(int64_t batch, c10::Device device) const override;
  /// x: [T, B, in], is_first: [T, B] -> y: [T, B, output_size], {h [B, output_size]}.
  std::pair<at::Tensor, BackboneState> forward(const at::Tensor& x, const at::Tensor& is_first,
                                               const BackboneState& state) override;
  /// x: [B, in], is_first: [B] -> y: [B, output_size], {h}.
  std::pair<at::Tensor, BackboneState> step(const BackboneState& state, const at::Tensor& x,
                                            const at::Tensor& is_first) override;
  /// The memory after each step is the output: {y [T * B, output_size]} (detached).
  BackboneState states_along(const at::Tensor& x, const at::Tensor& is_first,
                             const BackboneState& state, const at::Tensor& y) override;

 private:
  // one step from h (already reset): h [B, M H], x [B, in] -> h' [B, M H]
  at::Tensor cell(const at::Tensor& h, const at::Tensor& x);

  GruBackboneOptions options_;
  EnsembleLinear gates_{nullptr};       // block: [M G, H/G + in, 3 H/G]
  at::Tensor norm_weight_, norm_bias_;  // block: [M G, 1, 3 H/G]
  torch::nn::GRUCell plain_{nullptr};
};
TORCH_MODULE(GruBackbone);

/// Reads GruBackboneOptions from a `backbone:` node (hidden_size, variant, blocks, members).
GruBackboneOptions gru_backbone_options_from_config(const ConfigNode& node, int64_t input_size);

}  // namespace mbrl

// TransformerBackbone: a causal pre-norm Transformer over a sliding context window, with a
// key/value cache for the recurrent form (TransDreamer, STORM).
#pragma once

#include <torch/arg.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mbrl/models/sequence/sequence_backbone.h"
#include "mbrl/nn/member_layers.h"

namespace mbrl {

class ConfigNode;

struct TransformerBackboneOptions {
  explicit TransformerBackboneOptions(int64_t input_size) : input_size_(input_size) {}
  /// Width of the input x_t, >= 1.
  TORCH_ARG(int64_t, input_size);
  /// Model width D (the output), >= 1; a multiple of `num_heads`.
  TORCH_ARG(int64_t, d_model) = 128;
  /// Residual blocks (attention + feed-forward), >= 1.
  TORCH_ARG(int64_t, num_layers) = 2;
  /// Attention heads, >= 1.
  TORCH_ARG(int64_t, num_heads) = 4;
  /// Hidden width of each block's feed-forward network, >= 1; 0: 4 D.
  TORCH_ARG(int64_t, d_ff) = 0;
  /// Context window W, >= 1: step t attends to steps t - W + 1 .. t of its own episode.
  TORCH_ARG(int64_t, context) = 64;
  /// Position encoding added to the input projection: "sinusoidal" or "learned".
  TORCH_ARG(std::string, positions) = "sinusoidal";
  /// Learned positions: size of the table, >= 1; later positions share its last entry.
  TORCH_ARG(int64_t, max_positions) = 4096;
  /// Independent Transformers computed together (SequenceBackbone::members), >= 1.
  TORCH_ARG(int64_t, members) = 1;
};

/// h = Linear_{in -> D}(x_t) + P(p_t), where p_t counts the steps since the episode started
/// (0 at the start; sinusoidal P as in Vaswani et al. 2017 section 3.5, or a learned table);
/// then `num_layers` pre-norm blocks
///   h <- h + Attention(LayerNorm(h)),  h <- h + FF(LayerNorm(h)),  FF = Linear GELU Linear,
/// and a final LayerNorm; y_t is D wide. Attention is multi-head scaled dot-product attention in
/// which step t sees the keys of steps max(t - W + 1, episode start) .. t: causal, windowed and
/// cut at episode starts.
///
/// The state carries, per layer, the keys and values of the last W - 1 steps, their validity
/// (false before the first step and across an episode start) and the next position p. The
/// parallel form attends over [cache; chunk] with a mask; for T > W it is banded: the queries in
/// blocks of W, each block against only the 2W - 1 keys its window can reach, so a layer costs
/// O(T W) instead of O(T (T + W)). The recurrent form is the parallel form on one step, so
/// imagination costs O(W) per step.
/// Differs from TransDreamer/STORM in one place: positions count from the episode start instead
/// of from the start of the training chunk, so that a chunk and its continuation in imagination
/// see the same positions.
///
/// M members are M such Transformers side by side in M D features: the input projection maps
/// the shared input to every member's D; the projections are MemberLinear and the LayerNorms per
/// member; member m's heads are heads [m num_heads, (m + 1) num_heads) of one attention of
/// M num_heads heads, which attend independently; learned positions are a table per member.
class TransformerBackboneImpl : public SequenceBackbone {
 public:
  /// Throws InvalidArgument naming the option on a bad value.
  explicit TransformerBackboneImpl(TransformerBackboneOptions options);

  std::string type() const override { return "transformer"; }
  int64_t input_size() const override { return options_.input_size(); }
  /// members * d_model.
  int64_t output_size() const override { return options_.members() * options_.d_model(); }
  int64_t members() const override { return options_.members(); }
  std::shared_ptr<SequenceBackbone> member(int64_t m) const override;
  const TransformerBackboneOptions& options() const { return options_; }

  /// {next position [B], cache validity [B, W - 1], then per layer keys and values
  /// [B, W - 1, M D] each}, all float: position 0, nothing valid.
  BackboneState initial_state(int64_t batch, c10::Device device) const override;
  /// x: [T, B, in], is_first: [T, B] -> y: [T, B, M D], the state after step T - 1.
  std::pair<at::Tensor, BackboneState> forward(const at::Tensor& x, const at::Tensor& is_first,
                                               const BackboneState& state) override;
  /// x: [B, in], is_first: [B] -> y: [B, M D], the next state.
  std::pair<at::Tensor, BackboneState> step(const BackboneState& state, const at::Tensor& x,
                                            const at::Tensor& is_first) override;
  /// Every step's state from one gradient-free parallel pass: the window of the last W - 1 keys
  /// and values of [cache; chunk] ending at each step (the recurrent form's caches).
  BackboneState states_along(const at::Tensor& x, const at::Tensor& is_first,
                             const BackboneState& state, const at::Tensor& y) override;

 private:
  struct Layer {
    at::Tensor norm1_weight, norm1_bias, norm2_weight, norm2_bias;  // [M D]
    MemberLinear qkv{nullptr}, out{nullptr};                        // D -> 3D, D -> D per member
    MemberLinear ff_in{nullptr}, ff_out{nullptr};                   // D -> d_ff -> D per member
  };
  // positions p: [T, B] float -> encodings [T, B, M D]
  at::Tensor encode_positions(const at::Tensor& p);
  // one attention sublayer (D here is M D): u [T, B, D] (normalised); cache_k, cache_v
  // [B, W-1, D] in, replaced
  // by the last W - 1 keys and values; allowed: [B, T, W-1+T] (full), or [B, n, W, 2W-1] (banded:
  // block j of W queries against keys jW .. jW + 2W - 2 of [cache; chunk] padded to nW + W - 1)
  // -> [T, B, D]
  // With `keys_values`: also the keys and the values of [cache; chunk], [W - 1 + T, B, D] each.
  at::Tensor attend(Layer& l, const at::Tensor& u, at::Tensor& cache_k, at::Tensor& cache_v,
                    const at::Tensor& allowed, std::vector<at::Tensor>* keys_values = nullptr);
  // forward; with `every`, also every step's state (states_along)
  std::pair<at::Tensor, BackboneState> run(const at::Tensor& x, const at::Tensor& is_first,
                                           const BackboneState& state, BackboneState* every);

  TransformerBackboneOptions options_;
  int64_t d_ff_ = 0;
  torch::nn::Linear input_{nullptr};                 // in -> M D
  torch::nn::Embedding learned_positions_{nullptr};  // [max_positions, M D]
  std::vector<Layer> layers_;
  at::Tensor final_weight_, final_bias_;  // [M D]
};
TORCH_MODULE(TransformerBackbone);

/// Reads TransformerBackboneOptions from a `backbone:` node.
TransformerBackboneOptions transformer_backbone_options_from_config(const ConfigNode& node,
                                                                    int64_t input_size);

}  // namespace mbrl

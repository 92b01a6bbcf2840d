// SequenceBackbone: the deterministic sequence model of a world model (GRU, Transformer, S4D,
// Mamba), with a parallel form for training and a recurrent form for imagination.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mbrl/core/registry.h"

namespace mbrl {

/// The memory of a backbone for B sequences: backbone-specific tensors, each batch-first [B, ...]
/// (a GRU's hidden state, an SSM's complex state, a convolution's last inputs).
struct BackboneState {
  std::vector<at::Tensor> tensors;
  int64_t batch() const { return tensors.empty() ? 0 : tensors.front().size(0); }
};

/// A causal sequence model: y_t depends on x_1..x_t of the same episode only.
///
/// Two forms with the same weights:
///   - parallel, for training on replayed chunks: `forward(x [T, B, in], is_first [T, B], state)`
///     -> (y [T, B, out], the state after the last step);
///   - recurrent, for imagination: `step(state, x [B, in], is_first [B])` -> (y [B, out], state).
/// Stepping the recurrent form over a chunk gives the parallel form's outputs (to float32
/// rounding). `is_first[t, b]` true starts a new episode at t: the memory of sequence b is reset
/// to the initial state before x_t is read. `is_first` may be undefined (no episode starts).
///
/// Threading contract: one thread at a time per instance.
class SequenceBackbone : public torch::nn::Module {
 public:
  /// The registry type, e.g. "gru".
  virtual std::string type() const = 0;
  virtual int64_t input_size() const = 0;
  virtual int64_t output_size() const = 0;

  /// Members M >= 1: M independent backbones computed together (an ensemble of whole sequence
  /// models, each reading the same x; no weights shared). Member m's output is the columns
  /// [m * D, (m + 1) * D) of y, D = output_size() / M. 1: a single backbone.
  virtual int64_t members() const { return 1; }
  /// Member m in [0, members()) as a backbone of one member holding a copy of its weights, on
  /// the same device. Throws InvalidArgument for m out of range, or for a backbone that cannot
  /// hold members.
  virtual std::shared_ptr<SequenceBackbone> member(int64_t m) const;

  /// The memory of `batch` sequences before their first input, on `device`.
  virtual BackboneState initial_state(int64_t batch, c10::Device device) const = 0;

  /// Parallel form; see the class comment.
  virtual std::pair<at::Tensor, BackboneState> forward(const at::Tensor& x,
                                                       const at::Tensor& is_first,
                                                       const BackboneState& state) = 0;
  /// Recurrent form; see the class comment.
  virtual std::pair<at::Tensor, BackboneState> step(const BackboneState& state, const at::Tensor& x,
                                                    const at::Tensor& is_first) = 0;

  /// The memory after every step of a chunk that `forward(x, is_first, state)` read and answered
  /// with y [T, B, out]: each tensor [T * B, ...], row t * B + b (where imagination can start
  /// from each replayed step). Not differentiable: computed without gradients. The default steps
  /// the recurrent form over x; a backbone whose memory is its output (the GRU) returns y.
  virtual BackboneState states_along(const at::Tensor& x, const at::Tensor& is_first,
                                     const BackboneState& state, const at::Tensor& y);
};

/// Registered backbones (`mbrl list backbones`); a factory's extra argument is the input width.
using BackboneRegistry = Registry<SequenceBackbone, int64_t>;
BackboneRegistry& backbone_registry();
/// Adds the built-in backbones; called by register_models().
void register_backbones();

namespace detail {
/// is_first: [T, B] bool or undefined -> [T, B] bool on `device` (all false when undefined);
/// throws ShapeError for another shape.
at::Tensor episode_starts(const at::Tensor& is_first, int64_t T, int64_t B, c10::Device device);
/// Throws ShapeError unless x is [T, B, width] (parallel) with T, B >= 1.
void check_sequence_input(const at::Tensor& x, int64_t width);
/// The recurrent form as the parallel form over one step, for backbones whose parallel form
/// costs no more on T = 1 (Mamba, Transformer): x [B, in], is_first [B] or undefined.
std::pair<at::Tensor, BackboneState> step_by_forward(SequenceBackbone& backbone,
                                                     const BackboneState& state,
                                                     const at::Tensor& x,
                                                     const at::Tensor& is_first);
/// Throws InvalidArgument naming `members` unless 0 <= m < members.
void check_member(int64_t m, int64_t members);
/// The start of a backbone's `member(m)`: checks m, then builds a backbone `Impl` of `options`
/// with members 1 on `device`, for the caller to copy member m's weights into.
template <class Impl, class Options>
std::shared_ptr<Impl> one_member_backbone(Options options, int64_t m, c10::Device device) {
  check_member(m, options.members());
  options.members(1);
  auto copy = std::make_shared<Impl>(std::move(options));
  copy->to(device);
  return copy;
}
}  // namespace detail

}  // namespace mbrl

// EnsembleBackprop: loss and gradients of a GaussianMlpEnsemble by a hand-written backward pass,
// the model trainer's fast CPU path.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

namespace mbrl {

class GaussianMlpEnsemble;

/// Computes GaussianMlpEnsemble::loss and the gradients of loss + weight_decay_penalty with
/// respect to the trainable parameters, without autograd (tested against it).
///
/// The batch rows are split into one part per thread of the run (configured_threads(), however
/// many of them share_cpus() leaves running); in a single parallel
/// region each part runs the forward and backward of every member on its rows (single-threaded
/// GEMMs, activations and their derivatives in place) and writes its own partial gradients, so
/// parts never wait for each other. The gradient of a parameter is the sum of its parts, which
/// FusedAdam adds while it updates (weight decay is left to FusedAdam as well, see
/// `weight_decay()`). Activations are kept in buffers reused across calls.
///
/// CPU and float32 only. Threading contract: one thread at a time.
class EnsembleBackprop {
 public:
  explicit EnsembleBackprop(std::shared_ptr<GaussianMlpEnsemble> model);

  /// The trainable parameters, in a fixed order: weight and bias of each layer, then max_logvar
  /// and min_logvar when the bounds are learned.
  const std::vector<at::Tensor>& parameters() const { return params_; }
  /// L2 decay of each parameter in `parameters()` (the layer's decay for weights, else 0).
  const std::vector<double>& weight_decay() const { return decay_; }

  /// x: [E, B, input_dim] normalized inputs, y: [E, B, d] targets, terminated: [E, B] float (or
  /// undefined when the model does not learn termination); all contiguous float32 CPU.
  /// weights: [E, B, d] float32 or undefined, as in GaussianMlpEnsemble::loss.
  /// Returns the loss (the value of GaussianMlpEnsemble::loss, without weight decay) and leaves
  /// the gradient of parameters()[i] as the sum over parts p of grad_parts()[p][i].
  /// For one shard of a data-parallel minibatch: `total_rows` > 0 is the whole minibatch's B, by
  /// which the per-row terms are averaged (the shards' results then sum to the whole's), and
  /// `add_bound_term` false leaves the log-variance bound term (loss and gradient) to one shard.
  double compute(const at::Tensor& x, const at::Tensor& y, const at::Tensor& terminated,
                 const at::Tensor& weights = {}, int64_t total_rows = 0,
                 bool add_bound_term = true);
  /// Per-member losses of the last `compute` ([E] values, summing to its loss minus the
  /// log-variance bound term).
  const std::vector<double>& member_losses() const { return member_losses_; }
  const std::vector<std::vector<at::Tensor>>& grad_parts() const { return grad_parts_; }

 private:
  void allocate(int64_t batch, int64_t parts);
  // forward and backward of member m on rows [r0, r0 + n) into part p's gradients; returns the
  // unscaled loss sums (Gaussian / squared error, termination)
  std::pair<double, double> run_tile(int64_t p, int64_t m, int64_t r0, int64_t n, int64_t batch,
                                     const at::Tensor& x, const at::Tensor& y,
                                     const at::Tensor& terminated, const at::Tensor& weights);
  // loss of the tile's raw outputs o and its gradient d_o ([n, cols]), each element's term
  // weighted by w ([n, d], null: 1), bound gradients added to dmax, dmin (may be null)
  std::pair<double, double> output_gradient(const float* o, const float* y, const float* w,
                                            const float* term, int64_t n, int64_t batch, float* d_o,
                                            float* dmax, float* dmin) const;

  std::shared_ptr<GaussianMlpEnsemble> model_;
  std::vector<at::Tensor> params_;
  std::vector<double> decay_;
  std::vector<std::vector<at::Tensor>> grad_parts_;  // [part][param]
  std::vector<at::Tensor> hidden_, sigmoid_;         // per hidden layer: [E, B, hidden]
  at::Tensor out_;                                   // [E, B, cols]
  std::vector<at::Tensor> scratch_;                  // per part: [2, rows * width]
  std::vector<double> member_losses_;
  int64_t batch_ = -1, parts_ = -1;
};

}  // namespace mbrl

// Two-hot targets over symlog bins: DreamerV3's output for rewards and values, a categorical
// distribution over fixed bins whose cross-entropy does not grow with the scale of the target.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace mbrl {

/// Bins equally spaced in symlog space on [low, high] (DreamerV3's 2023 release, ec526b9
/// `symlog_disc`: 255 bins on [-20, 20]). A target y is encoded as weights on the two bins b_k <=
/// symlog(y) < b_{k+1}, proportional to the opposite distances (all on the end bin outside the
/// range); a prediction is symexp(sum softmax(logits) * bins).
class TwoHotBins {
 public:
  /// bins >= 2, low < high.
  explicit TwoHotBins(int64_t bins = 255, double low = -20.0, double high = 20.0);

  int64_t size() const { return bins_; }
  /// The bin centres in symlog space, [bins] float32 on the CPU.
  const at::Tensor& centres() const { return centres_; }

  /// y: [...] -> [..., bins] weights that sum to 1 (no gradient).
  at::Tensor encode(const at::Tensor& y) const;
  /// logits: [..., bins] -> the predicted value [...], symexp of the expected bin; differentiable.
  at::Tensor decode(const at::Tensor& logits) const;
  /// Cross-entropy of the two-hot target of y under softmax(logits): logits [..., bins], y [...]
  /// -> [...]; differentiable in logits.
  at::Tensor loss(const at::Tensor& logits, const at::Tensor& y) const;

 private:
  int64_t bins_;
  double low_, high_;
  at::Tensor centres_;  // [bins]
};

}  // namespace mbrl

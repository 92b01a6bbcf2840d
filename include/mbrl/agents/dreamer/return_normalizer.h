// DreamerV3's return scale: an EMA of the 5th-95th percentile range of λ-returns, floored at 1.
#pragma once

#include <ATen/core/Tensor.h>

namespace mbrl {

/// As DreamerV3's `Moments` with impl perc_ema (2023 release, jaxutils.py; retnorm decay 0.99,
/// max 1): after each batch of returns, low <- decay low + (1 - decay) P5(R) and high likewise
/// with P95(R), percentiles over the whole batch with linear interpolation, starting from 0.
/// The actor divides advantages (R - v) by scale() = max(1, high - low), so small returns are
/// not amplified and large ones are brought to order 1.
class ReturnNormalizer {
 public:
  /// decay in [0, 1), 0 <= low_percentile < high_percentile <= 100, floor > 0.
  explicit ReturnNormalizer(double decay = 0.99, double low_percentile = 5.0,
                            double high_percentile = 95.0, double floor = 1.0);

  /// returns: any shape, at least one element; updates the EMAs (no gradient).
  void update(const at::Tensor& returns);
  /// max(floor, high - low).
  double scale() const;
  double low() const { return low_; }
  double high() const { return high_; }
  /// For checkpoints: set both EMAs.
  void set(double low, double high) {
    low_ = low;
    high_ = high;
  }

 private:
  double decay_, low_percentile_, high_percentile_, floor_;
  double low_ = 0.0, high_ = 0.0;
};

}  // namespace mbrl

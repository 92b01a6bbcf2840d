// ReturnNormalizer.
#include "mbrl/agents/dreamer/return_normalizer.h"

#include <algorithm>

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

ReturnNormalizer::ReturnNormalizer(double decay, double low_percentile, double high_percentile,
                                   double floor)
    : decay_(decay),
      low_percentile_(low_percentile),
      high_percentile_(high_percentile),
      floor_(floor) {
  MBRL_CHECK_ARG(decay >= 0 && decay < 1, "return_normalizer.decay",
                 "expected a number in [0, 1), got ", decay);
  MBRL_CHECK_ARG(0 <= low_percentile && low_percentile < high_percentile && high_percentile <= 100,
                 "return_normalizer.percentiles", "expected 0 <= low < high <= 100, got ",
                 low_percentile, " and ", high_percentile);
  MBRL_CHECK_ARG(floor > 0, "return_normalizer.floor", "expected a number > 0, got ", floor);
}

void ReturnNormalizer::update(const at::Tensor& returns) {
  torch::NoGradGuard no_grad;
  MBRL_CHECK(returns.numel() > 0, "ReturnNormalizer::update: no returns");
  const at::Tensor flat = returns.detach().reshape({-1}).to(torch::kCPU, torch::kFloat64);
  const at::Tensor q =
      torch::tensor({low_percentile_ / 100.0, high_percentile_ / 100.0}, torch::kFloat64);
  const at::Tensor p = torch::quantile(flat, q);  // linear interpolation, as numpy
  low_ = decay_ * low_ + (1.0 - decay_) * p[0].item<double>();
  high_ = decay_ * high_ + (1.0 - decay_) * p[1].item<double>();
}

double ReturnNormalizer::scale() const { return std::max(floor_, high_ - low_); }

}  // namespace mbrl

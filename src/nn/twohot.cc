// TwoHotBins.
#include "mbrl/nn/twohot.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/nn/symlog.h"

namespace mbrl {

TwoHotBins::TwoHotBins(int64_t bins, double low, double high)
    : bins_(bins), low_(low), high_(high) {
  MBRL_CHECK_ARG(bins >= 2, "bins", "expected at least 2 bins, got ", bins);
  MBRL_CHECK_ARG(low < high, "bins", "expected low < high, got [", low, ", ", high, "]");
  centres_ = torch::linspace(low, high, bins, torch::kFloat32);
}

at::Tensor TwoHotBins::encode(const at::Tensor& y) const {
  torch::NoGradGuard no_grad;
  const double width = (high_ - low_) / static_cast<double>(bins_ - 1);
  // position in units of bins, clamped to the range: the lower bin and the weight of the upper
  // (a NaN target keeps NaN weights, so the loss reports it, on bin 0)
  at::Tensor pos = ((symlog(y.to(torch::kFloat32)) - low_) / width).clamp(0, bins_ - 1);
  at::Tensor below = pos.floor().nan_to_num(0.0).clamp_max(bins_ - 2).to(torch::kInt64);
  at::Tensor upper_weight = (pos - below.to(torch::kFloat32)).unsqueeze(-1);
  std::vector<int64_t> shape = y.sizes().vec();
  shape.push_back(bins_);
  at::Tensor weights = torch::zeros(shape, y.options().dtype(torch::kFloat32));
  weights.scatter_(-1, below.unsqueeze(-1), 1.0 - upper_weight);
  weights.scatter_add_(-1, below.unsqueeze(-1) + 1, upper_weight);
  return weights;
}

at::Tensor TwoHotBins::decode(const at::Tensor& logits) const {
  MBRL_CHECK(logits.size(-1) == bins_, "two-hot: expected ", bins_, " logits, got ",
             logits.size(-1));
  return symexp((torch::softmax(logits, -1) * centres_.to(logits.device())).sum(-1));
}

at::Tensor TwoHotBins::loss(const at::Tensor& logits, const at::Tensor& y) const {
  MBRL_CHECK(logits.size(-1) == bins_, "two-hot: expected ", bins_, " logits, got ",
             logits.size(-1));
  return -(encode(y) * torch::log_softmax(logits, -1)).sum(-1);
}

}  // namespace mbrl

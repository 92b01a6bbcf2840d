// InputNormalizer: fitting the statistics and applying them.
#include "mbrl/models/input_normalizer.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

InputNormalizerImpl::InputNormalizerImpl(int64_t dim) : dim_(dim) {
  MBRL_CHECK_ARG(dim >= 1, "dim", "expected an integer >= 1, got ", dim);
  reset();
}

void InputNormalizerImpl::reset() {
  mean = register_buffer("mean", torch::zeros({dim_}));
  stddev = register_buffer("std", torch::ones({dim_}));
  fitted_flag = register_buffer("fitted", torch::zeros({}, torch::kBool));
}

void InputNormalizerImpl::fit(const at::Tensor& x) {
  MBRL_CHECK_SHAPE(x, {-1, dim_}, "x");
  MBRL_CHECK(x.size(0) >= 1, "InputNormalizer::fit: expected at least one row");
  torch::NoGradGuard no_grad;
  at::Tensor xd = x.to(torch::kFloat64);
  at::Tensor m = xd.mean(0);
  at::Tensor s = x.size(0) > 1 ? xd.std(0, /*unbiased=*/true) : torch::ones_like(m);

  // a constant feature keeps its offset but is not scaled
  s = torch::where(s < 1e-12, torch::ones_like(s), s);
  mean.copy_(m);
  stddev.copy_(s);
  fitted_flag.fill_(true);
}

at::Tensor InputNormalizerImpl::forward(const at::Tensor& x) const { return (x - mean) / stddev; }

bool InputNormalizerImpl::fitted() const { return fitted_flag.item<bool>(); }

}  // namespace mbrl

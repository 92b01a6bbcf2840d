// Gaussian NLL, plain or beta-weighted.
#include "mbrl/nn/gaussian_nll.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

at::Tensor gaussian_nll(const at::Tensor& mean, const at::Tensor& logvar, const at::Tensor& target,
                        double beta) {
  MBRL_CHECK_ARG(beta >= 0 && beta <= 1, "beta", "expected a number in [0, 1], got ", beta);
  const at::Tensor nll = (mean - target).square() * (-logvar).exp() + logvar;
  if (beta == 0) return nll;
  return nll * (beta * logvar).exp().detach();
}

}  // namespace mbrl

// Tests for nn/gaussian_nll.cc: the values and gradients of the plain and the beta-weighted NLL.
#include "mbrl/nn/gaussian_nll.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "mbrl/core/error.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

TEST(GaussianNllTest, ValuesAndGradientsOfThePlainAndTheBetaWeightedNll) {
  const at::Tensor mean = torch::tensor({0.5, -1.0}, torch::kFloat64).requires_grad_(true);
  const at::Tensor logvar =
      torch::tensor({std::log(4.0), 0.0}, torch::kFloat64).requires_grad_(true);
  const at::Tensor target = torch::tensor({1.5, 1.0}, torch::kFloat64);
  // (mean - target)^2 / var + log var: 1 / 4 + log 4, 4 / 1 + 0
  const at::Tensor plain = gaussian_nll(mean, logvar, target);
  EXPECT_TENSOR_CLOSE(plain, torch::tensor({0.25 + std::log(4.0), 4.0}, torch::kFloat64), 0, 1e-12);
  plain.sum().backward();
  // d/dmean = 2 (mean - target) / var; d/dlogvar = 1 - (mean - target)^2 / var
  EXPECT_TENSOR_CLOSE(mean.grad(), torch::tensor({-0.5, -4.0}, torch::kFloat64), 0, 1e-12);
  EXPECT_TENSOR_CLOSE(logvar.grad(), torch::tensor({0.75, -3.0}, torch::kFloat64), 0, 1e-12);

  // beta = 1: the value times var; the mean's gradient is the squared error's, 2 (mean - target)
  mean.mutable_grad().reset();
  logvar.mutable_grad().reset();
  const at::Tensor beta1 = gaussian_nll(mean, logvar, target, 1.0);
  EXPECT_TENSOR_CLOSE(beta1, plain.detach() * torch::tensor({4.0, 1.0}, torch::kFloat64), 0, 1e-12);
  beta1.sum().backward();
  EXPECT_TENSOR_CLOSE(mean.grad(), torch::tensor({-2.0, -4.0}, torch::kFloat64), 0, 1e-12);
  // the weight is held constant: the log-variance's gradient is the plain one times var^beta
  EXPECT_TENSOR_CLOSE(logvar.grad(), torch::tensor({3.0, -3.0}, torch::kFloat64), 0, 1e-12);
  // beta = 0.5: var^0.5 = 2 and 1
  EXPECT_TENSOR_CLOSE(gaussian_nll(mean, logvar, target, 0.5).detach(),
                      plain.detach() * torch::tensor({2.0, 1.0}, torch::kFloat64), 0, 1e-12);
  EXPECT_THROW_WITH(gaussian_nll(mean, logvar, target, 1.5), InvalidArgument, "beta");
}

}  // namespace
}  // namespace mbrl

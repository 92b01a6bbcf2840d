// Tests for models/uncertainty.cc, on predictions with hand-computed answers.
#include "mbrl/models/uncertainty.h"

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

TEST(UncertaintyTest, KnownValues) {
  // 3 members, 2 rows, 2 dims; row 0: means (0,0), (3,4), (0,0); row 1: all equal
  auto mean = torch::zeros({3, 2, 2});
  mean[1][0] = torch::tensor({3.0f, 4.0f});
  auto std = torch::ones({3, 2, 2});
  std[2][1] = torch::tensor({3.0f, 4.0f});
  Uncertainty u = ensemble_uncertainty(mean, std, mean);

  EXPECT_TENSOR_CLOSE(u.epistemic_max_pairwise, torch::tensor({5.0f, 0.0f}));
  // mu_bar = (1, 4/3): member 1 deviates by |(2, 8/3)| = 10/3
  EXPECT_TENSOR_CLOSE(u.epistemic_max_deviation, torch::tensor({10.0f / 3.0f, 0.0f}));
  // population variances per dim: 2 and 32/9 -> sqrt of their mean
  const float s = std::sqrt((2.0f + 32.0f / 9.0f) / 2.0f);
  EXPECT_TENSOR_CLOSE(u.epistemic_std, torch::tensor({s, 0.0f}));
  EXPECT_TENSOR_CLOSE(u.aleatoric_max_norm, torch::tensor({std::sqrt(2.0f), 5.0f}));
  // samples equal to the means: their std over members per dim is sqrt(2), sqrt(32/9)
  EXPECT_TENSOR_CLOSE(u.sample_std,
                      torch::tensor({(std::sqrt(2.0f) + std::sqrt(32.0f / 9.0f)) / 2.0f, 0.0f}));
}

TEST(UncertaintyTest, DeterministicModelsHaveNoAleatoricPart) {
  Uncertainty u = ensemble_uncertainty(torch::randn({4, 7, 3}), at::Tensor(), at::Tensor());
  EXPECT_SHAPE(u.epistemic_std, {7});
  EXPECT_SHAPE(u.epistemic_max_pairwise, {7});
  EXPECT_TENSOR_CLOSE(u.aleatoric_max_norm, torch::zeros({7}));
  EXPECT_FALSE(u.sample_std.defined());
}

TEST(UncertaintyTest, LogLikelihoodVarianceByHand) {
  // 2 members, 1 row, 1 dim: N(0 | 0, 1) and N(0 | 1, 2)
  const at::Tensor mean = torch::tensor({0.0f, 1.0f}).reshape({2, 1, 1});
  const at::Tensor std = torch::tensor({1.0f, 2.0f}).reshape({2, 1, 1});
  const at::Tensor target = torch::zeros({1, 1});
  // log-likelihoods without the shared constant: 0 and -0.125 - log 2
  const double gap = 0.125 + std::log(2.0);
  EXPECT_TENSOR_CLOSE(log_likelihood_variance(mean, std, target),
                      torch::tensor({static_cast<float>(gap * gap / 4)}));
  // members that agree have no variance, wherever the target is
  EXPECT_TENSOR_CLOSE(
      log_likelihood_variance(torch::ones({3, 2, 2}), torch::ones({3, 2, 2}), torch::randn({2, 2})),
      torch::zeros({2}));
}

}  // namespace
}  // namespace mbrl

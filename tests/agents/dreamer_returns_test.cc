// Tests for agents/dreamer/lambda_return.cc and return_normalizer.cc against hand computations.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/agents/dreamer/lambda_return.h"
#include "mbrl/agents/dreamer/return_normalizer.h"
#include "mbrl/core/error.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

TEST(LambdaReturnTest, HandComputedExample) {
  // H = 3, one trajectory: r = (1, 2, 3) at s_1..s_3, c = (1, 0.5, 1), v = (10, 20, 30, 40)
  auto r = torch::tensor({{1.0}, {2.0}, {3.0}}, torch::kFloat64);
  auto c = torch::tensor({{1.0}, {0.5}, {1.0}}, torch::kFloat64);
  auto v = torch::tensor({{10.0}, {20.0}, {30.0}, {40.0}}, torch::kFloat64);
  const double g = 0.9, l = 0.5;
  // R_2 = r_3 + g c_3 ((1-l) v_3 + l v_3) = 3 + 0.9 * 40 = 39
  const double r2 = 3 + g * 1.0 * ((1 - l) * 40 + l * 40);
  // R_1 = r_2 + g c_2 ((1-l) v_2 + l R_2) = 2 + 0.45 (15 + 19.5) = 17.525
  const double r1 = 2 + g * 0.5 * ((1 - l) * 30 + l * r2);
  // R_0 = r_1 + g c_1 ((1-l) v_1 + l R_1) = 1 + 0.9 (10 + 8.7625) = 17.88625
  const double r0 = 1 + g * 1.0 * ((1 - l) * 20 + l * r1);
  EXPECT_TENSOR_CLOSE(lambda_returns(r, c, v, g, l),
                      torch::tensor({{r0}, {r1}, {r2}}, torch::kFloat64), 1e-12, 1e-12);
}

TEST(LambdaReturnTest, LambdaOneIsTheDiscountedReturnAndZeroIsOneStepTd) {
  auto r = torch::rand({6, 4}, torch::kFloat64);
  auto c = torch::ones({6, 4}, torch::kFloat64);
  auto v = torch::rand({7, 4}, torch::kFloat64);
  const double g = 0.97;
  // lambda 1: sum_k g^k r_{t+k+1} + g^(H-t) v_H
  auto full = lambda_returns(r, c, v, g, 1.0);
  for (int64_t t = 0; t < 6; ++t) {
    auto expected = v[6] * std::pow(g, 6 - t);
    for (int64_t k = t; k < 6; ++k) expected = expected + r[k] * std::pow(g, k - t);
    EXPECT_TENSOR_CLOSE(full[t], expected, 1e-12, 1e-12);
  }
  // lambda 0: r_{t+1} + g v_{t+1}
  EXPECT_TENSOR_CLOSE(lambda_returns(r, c, v, g, 0.0), r + g * v.narrow(0, 1, 6), 1e-12, 1e-12);
}

TEST(LambdaReturnTest, RejectsMismatchedShapes) {
  EXPECT_THROW_WITH(
      lambda_returns(torch::zeros({3, 2}), torch::zeros({3, 2}), torch::zeros({3, 2}), 0.99, 0.95),
      Error, "value [H + 1, B]");
}

TEST(ReturnNormalizerTest, EmaOfThePercentileRangeFlooredAtOne) {
  ReturnNormalizer norm(0.5);
  // 0, 1, ..., 100: P5 = 5, P95 = 95 (linear interpolation)
  auto returns = torch::arange(101, torch::kFloat32);
  norm.update(returns);
  EXPECT_NEAR(norm.low(), 2.5, 1e-9);  // 0.5 * 0 + 0.5 * 5
  EXPECT_NEAR(norm.high(), 47.5, 1e-9);
  EXPECT_NEAR(norm.scale(), 45.0, 1e-9);
  norm.update(returns);
  EXPECT_NEAR(norm.scale(), 67.5, 1e-9);  // (71.25 - 3.75)
  // small returns: the floor keeps the scale at 1
  ReturnNormalizer small(0.99);
  small.update(torch::rand({1000}) * 0.1);
  EXPECT_DOUBLE_EQ(small.scale(), 1.0);
  EXPECT_THROW_WITH(ReturnNormalizer(1.0), InvalidArgument, "decay");
}

}  // namespace
}  // namespace mbrl

// Tests for planners/sampling.cc.
#include "mbrl/planners/sampling.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "mbrl/core/error.h"
#include "tests/planners/test_problems.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

using test::test_generator;

TEST(SamplingTest, TruncatedNormalHasTheTruncatedMoments) {
  auto gen = test_generator(1);
  auto x = torch::empty({200000});
  truncated_normal_(x, gen);
  EXPECT_GE(x.min().item<double>(), -2.0);
  EXPECT_LE(x.max().item<double>(), 2.0);
  EXPECT_NEAR(x.mean().item<double>(), 0.0, 0.01);
  // variance of N(0, 1) restricted to [-2, 2]: 1 - 4 phi(2) / (Phi(2) - Phi(-2)) = 0.7737
  EXPECT_NEAR(x.var().item<double>(), 0.7737, 0.01);
  // and nearly as many draws beyond 1.9 as the density there predicts (no pile-up at the edge)
  EXPECT_GT(x.abs().gt(1.9).sum().item<int64_t>(), 200000 * 0.005);
}

TEST(SamplingTest, TruncatedNormalIsTheExactInverseCdfOfItsUniforms) {
  // the same seed gives the sampler's uniforms; at::erfinv in double precision is the reference
  auto g1 = test_generator(6), g2 = test_generator(6);
  auto x = torch::empty({50000});
  TruncatedNormalSampler sampler;
  sampler.sample_(x, g1);
  const double edge = 1.0 - 2.0 * 0.022750131948179195;
  auto u = torch::empty({50000}).uniform_(-edge, edge, g2).to(torch::kFloat64);
  EXPECT_TENSOR_CLOSE(x.to(torch::kFloat64), torch::erfinv(u) * std::sqrt(2.0), 0.0, 2e-6);

  // the buffers are reused across calls and shapes
  auto y = torch::empty({3, 7});
  sampler.sample_(y, g1);
  sampler.sample_(x, g1);
  EXPECT_LE(y.abs().max().item<double>(), 2.0);
}

// The variance colorednoise's powerlaw_psd_gaussian (version 2) gives, computed by hand from its
// spectrum: (2 s_0^2 + 4 sum_pairs s_k^2 + 2 s_Nyquist^2) / (4 sum_{k>=1} w_k^2), with the
// Nyquist w halved. Above 1 because its normaliser leaves the DC bin out.
TEST(SamplingTest, ColouredNoiseHasTheVarianceOfColorednoise) {
  struct Case {
    double beta;
    int64_t length;
    double variance;
  };
  for (const Case& c :
       {Case{0.0, 7, 1.1667}, Case{0.0, 16, 1.1034}, Case{1.0, 7, 1.2727}, Case{1.0, 16, 1.2024},
        Case{2.0, 7, 1.3673}, Case{2.0, 10, 1.3557}, Case{2.0, 16, 1.3325}, Case{2.0, 30, 1.3177},
        Case{0.0, 1, 1.0}, Case{2.0, 1, 1.0}}) {
    auto gen = test_generator(2);
    auto y = colored_noise(c.beta, {8000}, c.length, gen, torch::TensorOptions());
    EXPECT_SHAPE(y, {8000, c.length});
    // variance per time step, over the 8000 independent sequences
    EXPECT_NEAR(y.var(0).mean().item<double>(), c.variance, 0.04 * c.variance)
        << c.beta << " " << c.length;
    EXPECT_NEAR(y.mean().item<double>(), 0.0, 0.05);
  }
}

TEST(SamplingTest, ColouredNoiseCorrelationGrowsWithTheExponent) {
  auto lag1 = [](double beta) {
    auto gen = test_generator(3);
    auto y = colored_noise(beta, {2000}, 32, gen, torch::TensorOptions());
    return (y.narrow(1, 0, 31) * y.narrow(1, 1, 31)).mean().item<double>();
  };
  const double white = lag1(0.0), pink = lag1(1.0), red = lag1(2.0);
  EXPECT_LT(std::abs(white), 0.05);
  EXPECT_GT(pink, white + 0.2);
  EXPECT_GT(red, pink + 0.1);
  EXPECT_GT(red, 0.8);
}

TEST(SamplingTest, ColouredNoiseIsDeterministicPerGenerator) {
  auto g1 = test_generator(5), g2 = test_generator(5);
  auto a = colored_noise(2.0, {3, 2}, 10, g1, torch::TensorOptions());
  auto b = colored_noise(2.0, {3, 2}, 10, g2, torch::TensorOptions());
  EXPECT_SHAPE(a, {3, 2, 10});
  EXPECT_TRUE(torch::equal(a, b));
}

TEST(SamplingTest, ConstrainedVarianceKeepsTwoStdInsideTheBounds) {
  DeviceBounds bounds(Box(torch::tensor({-1.0, 0.0}), torch::tensor({1.0, 4.0})),
                      c10::Device(c10::kCPU));
  auto mean = torch::tensor({{0.5, 2.0}, {0.0, 3.9}});
  auto var = torch::tensor({1.0, 0.5});
  auto v = bounds.constrained_variance(mean, var);
  // row 0: (1 - 0.5)^2 / 4 = 0.0625; (2 - 0)^2 / 4 = 1 capped at 0.5
  // row 1: 1 / 4 = 0.25; (4 - 3.9)^2 / 4 = 0.0025
  EXPECT_TENSOR_CLOSE(v, torch::tensor({{0.0625, 0.5}, {0.25, 0.0025}}));
  EXPECT_TENSOR_CLOSE(bounds.middle(), torch::tensor({0.0, 2.0}));
  EXPECT_TENSOR_CLOSE(bounds.initial_variance(), torch::tensor({0.25, 1.0}));
}

TEST(SamplingTest, BoundsMustBeFinite) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW_WITH(DeviceBounds(Box::uniform(2, -1.0, inf), c10::Device(c10::kCPU)),
                    InvalidArgument, "action_space: expected finite action bounds");
}

}  // namespace
}  // namespace mbrl

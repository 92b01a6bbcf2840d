// Tests for nn/symlog.cc and nn/twohot.cc: the DreamerV3 output transforms, against hand values.
#include "mbrl/nn/twohot.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "mbrl/core/error.h"
#include "mbrl/nn/symlog.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

TEST(SymlogTest, ValuesAndRoundTrip) {
  auto x = torch::tensor({-1000.0, -3.0, -0.5, 0.0, 0.5, 3.0, 1000.0}, torch::kFloat64);
  auto expected = torch::tensor({-std::log(1001.0), -std::log(4.0), -std::log(1.5), 0.0,
                                 std::log(1.5), std::log(4.0), std::log(1001.0)},
                                torch::kFloat64);
  EXPECT_TENSOR_CLOSE(symlog(x), expected, 1e-12, 1e-12);
  EXPECT_TENSOR_CLOSE(symexp(symlog(x)), x, 1e-12, 1e-12);
  EXPECT_TENSOR_CLOSE(symlog(symexp(x.clamp(-20, 20))), x.clamp(-20, 20), 1e-12, 1e-12);
}

TEST(TwoHotTest, EncodesOnTheTwoNeighbouringBins) {
  TwoHotBins bins(5, -2.0, 2.0);  // centres -2, -1, 0, 1, 2 in symlog space
  // symlog(y) = 0.25: 3/4 on bin 2 (centre 0), 1/4 on bin 3 (centre 1)
  auto y = torch::tensor({std::expm1(0.25)}, torch::kFloat32);
  EXPECT_TENSOR_CLOSE(bins.encode(y), torch::tensor({{0.0f, 0.0f, 0.75f, 0.25f, 0.0f}}), 1e-5,
                      1e-6);
  // on a centre: all on it; beyond the range: all on the end bin
  auto edges = torch::tensor({0.0f, -100.0f, 100.0f});
  EXPECT_TENSOR_CLOSE(bins.encode(edges), torch::tensor({{0.0f, 0.0f, 1.0f, 0.0f, 0.0f},
                                                         {1.0f, 0.0f, 0.0f, 0.0f, 0.0f},
                                                         {0.0f, 0.0f, 0.0f, 0.0f, 1.0f}}));
}

TEST(TwoHotTest, DecodingTheEncodingGivesTheValueBack) {
  TwoHotBins bins;  // DreamerV3: 255 bins on [-20, 20]
  auto y = torch::tensor({{-5000.0f, -3.3f, -0.01f}, {0.0f, 0.7f, 123456.0f}});
  auto weights = bins.encode(y);
  EXPECT_SHAPE(weights, {2, 3, 255});
  EXPECT_TENSOR_CLOSE(weights.sum(-1), torch::ones({2, 3}));
  // logits whose softmax is exactly the two-hot weights decode to y (up to float rounding)
  auto logits = weights.clamp_min(1e-30).log();
  EXPECT_TENSOR_CLOSE(bins.decode(logits), y, 1e-4, 1e-5);
}

TEST(TwoHotTest, LossIsTheCrossEntropyOfTheTwoHotTarget) {
  TwoHotBins bins(5, -2.0, 2.0);
  auto logits = torch::tensor({{0.1f, -0.3f, 2.0f, 0.5f, -1.0f}}, torch::requires_grad());
  auto y = torch::tensor({std::expm1(0.25)}, torch::kFloat32);
  auto log_p = torch::log_softmax(logits.detach(), -1)[0];
  const double expected = -(0.75 * log_p[2].item<double>() + 0.25 * log_p[3].item<double>());
  auto loss = bins.loss(logits, y);
  EXPECT_NEAR(loss.item<double>(), expected, 1e-6);
  loss.sum().backward();  // gradient of cross-entropy: softmax - target
  EXPECT_TENSOR_CLOSE(logits.grad(), torch::softmax(logits.detach(), -1) - bins.encode(y), 1e-5,
                      1e-6);
}

// a diverged critic's NaN return must reach the loss (which reports it), not an index error
TEST(TwoHotTest, NaNTargetsGiveANaNLoss) {
  TwoHotBins bins(5, -2.0, 2.0);
  auto y = torch::tensor({0.5f, std::nanf("")});
  at::Tensor loss;
  ASSERT_NO_THROW(loss = bins.loss(torch::zeros({2, 5}), y));
  EXPECT_TRUE(std::isfinite(loss[0].item<double>()));
  EXPECT_TRUE(std::isnan(loss[1].item<double>()));
}

TEST(TwoHotTest, RejectsBadBins) {
  EXPECT_THROW_WITH(TwoHotBins(1), InvalidArgument, "bins");
  EXPECT_THROW_WITH(TwoHotBins(5, 1.0, 1.0), InvalidArgument, "bins");
}

}  // namespace
}  // namespace mbrl

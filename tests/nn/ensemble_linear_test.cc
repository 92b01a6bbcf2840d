// Tests for nn/ensemble_linear.cc.
#include "mbrl/nn/ensemble_linear.h"

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

TEST(EnsembleLinearTest, Shapes) {
  EnsembleLinear layer(EnsembleLinearOptions(3, 5, 7));
  EXPECT_SHAPE(layer->weight, {3, 5, 7});
  EXPECT_SHAPE(layer->bias, {3, 1, 7});
  EXPECT_SHAPE(layer(torch::randn({3, 11, 5})), {3, 11, 7});
  EXPECT_EQ(layer->parameters().size(), 2u);
}

TEST(EnsembleLinearTest, EachMemberIsItsOwnAffineMap) {
  EnsembleLinear layer(EnsembleLinearOptions(4, 3, 2));
  {
    torch::NoGradGuard no_grad;
    layer->bias.normal_();
  }
  auto x = torch::randn({4, 6, 3});
  auto y = layer(x);
  for (int64_t e = 0; e < 4; ++e) {
    EXPECT_TENSOR_CLOSE(y[e], torch::addmm(layer->bias[e], x[e], layer->weight[e]), 1e-5, 1e-6);
  }
}

TEST(EnsembleLinearTest, InitIsTruncatedNormalWithZeroBias) {
  EnsembleLinear layer(EnsembleLinearOptions(7, 100, 200));
  const double std = 1.0 / (2.0 * std::sqrt(100.0));
  EXPECT_LE(layer->weight.abs().max().item<double>(), 2.0 * std + 1e-7);
  // a normal truncated at 2 std has std 0.88 std
  EXPECT_NEAR(layer->weight.std().item<double>(), 0.88 * std, 0.02 * std);
  EXPECT_EQ(layer->bias.abs().max().item<double>(), 0.0);
}

TEST(EnsembleLinearTest, InitFromGeneratorIsReproducible) {
  EnsembleLinear a(EnsembleLinearOptions(2, 4, 3)), b(EnsembleLinearOptions(2, 4, 3));
  auto g1 = make_generator(7, torch::kCPU);
  auto g2 = make_generator(7, torch::kCPU);
  a->reset_parameters(g1);
  b->reset_parameters(g2);
  EXPECT_TRUE(torch::equal(a->weight, b->weight));
}

TEST(EnsembleLinearTest, XavierInitIsUniformWithinTheGlorotBoundPerMember) {
  auto gen = make_generator(3, torch::kCPU);
  EnsembleLinear layer(EnsembleLinearOptions(3, 40, 60).init(EnsembleInit::kXavierUniform));
  layer->reset_parameters(gen);
  const double a = std::sqrt(6.0 / (40 + 60));
  for (int64_t e = 0; e < 3; ++e) {
    EXPECT_LE(layer->weight[e].abs().max().item<double>(), a);
    // U(-a, a) has std a / sqrt(3)
    EXPECT_NEAR(layer->weight[e].std().item<double>(), a / std::sqrt(3.0), 0.03 * a);
  }
  EXPECT_FALSE(torch::equal(layer->weight[0], layer->weight[1]));
  EXPECT_EQ(layer->bias.abs().max().item<double>(), 0.0);
}

// central differences in double precision against autograd, for input, weight and bias
TEST(EnsembleLinearTest, GradientMatchesFiniteDifferences) {
  EnsembleLinear layer(EnsembleLinearOptions(2, 3, 4));
  layer->to(torch::kFloat64);
  {
    torch::NoGradGuard no_grad;
    layer->bias.normal_();
  }
  auto x = torch::randn({2, 5, 3}, torch::kFloat64).requires_grad_(true);
  auto coeff = torch::randn({2, 5, 4}, torch::kFloat64);
  auto objective = [&] { return (layer(x) * coeff).sum(); };
  objective().backward();

  const double h = 1e-6;
  for (at::Tensor* t : {&x, &layer->weight, &layer->bias}) {
    at::Tensor grad = t->grad().clone();
    at::Tensor numeric = torch::zeros_like(grad);
    auto flat = t->detach().view({-1});
    for (int64_t i = 0; i < flat.numel(); ++i) {
      torch::NoGradGuard no_grad;
      const double v = flat[i].item<double>();
      flat[i] = v + h;
      const double up = objective().item<double>();
      flat[i] = v - h;
      const double down = objective().item<double>();
      flat[i] = v;
      numeric.view({-1})[i] = (up - down) / (2 * h);
    }
    EXPECT_TENSOR_CLOSE(grad, numeric, 1e-6, 1e-8);
  }
}

TEST(EnsembleLinearTest, RejectsBadSizes) {
  EXPECT_THROW_WITH(EnsembleLinear(EnsembleLinearOptions(0, 3, 4)), InvalidArgument,
                    "ensemble_size");
  EXPECT_THROW_WITH(EnsembleLinear(EnsembleLinearOptions(2, 0, 4)), InvalidArgument, "in_features");
  EXPECT_THROW_WITH(EnsembleLinear(EnsembleLinearOptions(2, 3, 0)), InvalidArgument,
                    "out_features");
}

}  // namespace
}  // namespace mbrl

// Tests for nn/mlp.cc.
#include "mbrl/nn/mlp.h"

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

class MlpTest : public test::MbrlTest {};

int64_t count_parameters(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

TEST_F(MlpTest, HasDocumentedShapesAndLayers) {
  Mlp mlp(MlpOptions(3, 2).hidden_size(8).num_layers(2));
  EXPECT_SHAPE(mlp->forward(torch::randn({5, 3})), {5, 2});
  EXPECT_SHAPE(mlp->forward(torch::randn({4, 5, 3})), {4, 5, 2});
  EXPECT_EQ(count_parameters(*mlp), (3 * 8 + 8) + (8 * 8 + 8) + (8 * 2 + 2));
}

TEST_F(MlpTest, WithoutHiddenLayersIsAffine) {
  Mlp mlp(MlpOptions(3, 2).num_layers(0));
  auto params = mlp->named_parameters();
  auto x = torch::randn({6, 3});
  auto expected = x.matmul(params["linear0.weight"].t()) + params["linear0.bias"];
  EXPECT_TENSOR_CLOSE(mlp->forward(x), expected);
}

TEST_F(MlpTest, HiddenLayersUseRelu) {
  // with every weight and bias set to 1, one hidden layer of width 2 computes 2 * relu(sum x + 1)
  Mlp mlp(MlpOptions(2, 1).hidden_size(2).num_layers(1));
  torch::NoGradGuard no_grad;
  for (auto& p : mlp->parameters()) p.fill_(1.0);
  auto x = torch::tensor({{1.0f, 2.0f}, {-3.0f, -1.0f}});
  EXPECT_TENSOR_CLOSE(mlp->forward(x), torch::tensor({{2 * 4.0f + 1}, {0.0f + 1}}));
}

TEST_F(MlpTest, LayerNormSitsBetweenEachHiddenLinearAndItsActivation) {
  Mlp mlp(MlpOptions(3, 2).hidden_size(4).num_layers(1).layer_norm(true));
  EXPECT_EQ(count_parameters(*mlp), (3 * 4 + 4) + (4 + 4) + (4 * 2 + 2));
  auto p = mlp->named_parameters();
  auto x = torch::randn({5, 3});
  auto z = x.matmul(p["linear0.weight"].t()) + p["linear0.bias"];
  z = (z - z.mean(-1, true)) / (z.var(-1, false, true) + 1e-5).sqrt() * p["norm0.weight"] +
      p["norm0.bias"];
  auto expected = torch::relu(z).matmul(p["linear1.weight"].t()) + p["linear1.bias"];
  EXPECT_TENSOR_CLOSE(mlp->forward(x), expected, 1e-5, 1e-5);
}

TEST_F(MlpTest, ResetParametersDrawsFromTheGivenGenerator) {
  Mlp a(MlpOptions(4, 3).hidden_size(16)), b(MlpOptions(4, 3).hidden_size(16));
  a->reset_parameters(make_generator(7, torch::kCPU));
  b->reset_parameters(make_generator(7, torch::kCPU));
  auto pa = a->named_parameters(), pb = b->named_parameters();
  for (const auto& kv : pa) EXPECT_TRUE(torch::equal(kv.value(), pb[kv.key()])) << kv.key();

  // xavier bound sqrt(6 / (fan_in + fan_out)) and zero biases
  EXPECT_LE(pa["linear0.weight"].abs().max().item<double>(), std::sqrt(6.0 / (4 + 16)));
  EXPECT_GT(pa["linear0.weight"].abs().max().item<double>(), 0.5 * std::sqrt(6.0 / (4 + 16)));
  EXPECT_EQ(pa["linear1.bias"].abs().sum().item<double>(), 0.0);
}

TEST_F(MlpTest, CloneIsDeep) {
  Mlp a(MlpOptions(2, 2).hidden_size(4));
  auto b = std::dynamic_pointer_cast<MlpImpl>(a->clone());
  ASSERT_TRUE(b);
  auto x = torch::randn({3, 2});
  EXPECT_TENSOR_CLOSE(b->forward(x), a->forward(x));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : b->parameters()) p.add_(1.0);
  }
  EXPECT_FALSE(torch::allclose(b->forward(x), a->forward(x)));
}

TEST_F(MlpTest, RejectsBadOptions) {
  EXPECT_THROW_WITH(Mlp(MlpOptions(0, 2)), InvalidArgument, "in_features");
  EXPECT_THROW_WITH(Mlp(MlpOptions(2, 2).hidden_size(0)), InvalidArgument, "hidden_size");
  EXPECT_THROW_WITH(Mlp(MlpOptions(2, 2).num_layers(-1)), InvalidArgument, "num_layers");
}

TEST_F(MlpTest, HiddenLayersUseTheChosenActivation) {
  // one hidden layer of width 1 with unit weights and zero bias: out = act(x) for a scalar x
  for (Activation a : {Activation::kRelu, Activation::kSilu, Activation::kTanh, Activation::kElu,
                       Activation::kLeakyRelu}) {
    Mlp mlp(MlpOptions(1, 1).hidden_size(1).num_layers(1).activation(a));
    {
      torch::NoGradGuard no_grad;
      for (auto& p : mlp->named_parameters()) {
        p.value().fill_(p.key().find("weight") != std::string::npos ? 1.0 : 0.0);
      }
    }
    auto x = torch::tensor({{-1.5f}, {0.5f}, {2.0f}});
    EXPECT_TENSOR_CLOSE(mlp->forward(x), apply_activation(a, x), 1e-6, 1e-6) << activation_name(a);
  }
}

}  // namespace
}  // namespace mbrl

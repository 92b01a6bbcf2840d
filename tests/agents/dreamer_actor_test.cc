// Tests for agents/dreamer/bounded_normal.cc, actor_distribution.cc and actor_loss.cc against
// hand computations.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "mbrl/agents/dreamer/actor_distribution.h"
#include "mbrl/agents/dreamer/actor_loss.h"
#include "mbrl/agents/dreamer/bounded_normal.h"
#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

TEST(BoundedNormalTest, MeanAndStdStayInTheirBounds) {
  auto raw = torch::tensor({{-100.0, 0.0, 100.0}}, torch::kFloat64);
  BoundedNormal d(raw, raw);
  EXPECT_TENSOR_CLOSE(d.mean(), torch::tensor({{-1.0, 0.0, 1.0}}, torch::kFloat64), 1e-12, 1e-12);
  // std = 0.9 sigmoid(raw + 2) + 0.1: 0.1 at -inf, 0.9 sigmoid(2) + 0.1 at 0, 1 at +inf
  const double at_zero = 0.9 / (1.0 + std::exp(-2.0)) + 0.1;
  EXPECT_TENSOR_CLOSE(d.std(), torch::tensor({{0.1, at_zero, 1.0}}, torch::kFloat64), 1e-12, 1e-12);
  EXPECT_THROW_WITH(BoundedNormal(raw, raw, 1.0, 0.5), InvalidArgument, "min_std");
}

TEST(BoundedNormalTest, LogProbAndEntropyOfANormal) {
  auto mean_raw = torch::tensor({{0.3, -0.2}}, torch::kFloat64);
  auto std_raw = torch::tensor({{0.5, -1.0}}, torch::kFloat64);
  BoundedNormal d(mean_raw, std_raw);
  auto action = torch::tensor({{0.1, 0.4}}, torch::kFloat64);
  double log_p = 0, entropy = 0;
  for (int i = 0; i < 2; ++i) {
    const double m = std::tanh(mean_raw[0][i].item<double>());
    const double s = 0.9 / (1.0 + std::exp(-(std_raw[0][i].item<double>() + 2.0))) + 0.1;
    const double z = (action[0][i].item<double>() - m) / s;
    log_p += -0.5 * z * z - std::log(s) - 0.5 * std::log(2 * M_PI);
    entropy += std::log(s) + 0.5 * std::log(2 * M_PI * M_E);
  }
  EXPECT_NEAR(d.log_prob(action).item<double>(), log_p, 1e-12);
  EXPECT_NEAR(d.entropy().item<double>(), entropy, 1e-12);
}

TEST(BoundedNormalTest, ReparameterisedSamples) {
  auto gen = make_generator(0, torch::kCPU);
  auto mean_raw = torch::full({20000, 1}, 0.5).requires_grad_();
  auto std_raw = torch::zeros({20000, 1});
  BoundedNormal d(mean_raw, std_raw);
  auto a = d.rsample(gen);
  EXPECT_NEAR(a.mean().item<double>(), std::tanh(0.5), 0.02);
  EXPECT_NEAR(a.std().item<double>(), d.std()[0][0].item<double>(), 0.02);
  a.sum().backward();  // d a / d mean_raw = 1 - tanh^2
  EXPECT_NEAR(mean_raw.grad()[0][0].item<double>(), 1 - std::pow(std::tanh(0.5), 2), 1e-5);
}

// DreamerV3's discrete actor: p = 0.99 softmax + 0.01 / A
TEST(OneHotCategoricalTest, UnimixProbabilitiesModeLogProbAndEntropy) {
  const at::Tensor logits = torch::tensor({{0.0f, std::log(3.0f)}});  // softmax 1/4, 3/4
  OneHotCategorical d(logits, 0.01);
  const at::Tensor p = torch::tensor({{0.99f * 0.25f + 0.005f, 0.99f * 0.75f + 0.005f}});
  EXPECT_TENSOR_CLOSE(d.log_probs().exp(), p);
  EXPECT_TENSOR_CLOSE(d.mode(), torch::tensor({{0.0f, 1.0f}}));
  EXPECT_NEAR(d.log_prob(torch::tensor({{1.0f, 0.0f}})).item<double>(),
              std::log(0.99 * 0.25 + 0.005), 1e-6);
  const double p0 = 0.99 * 0.25 + 0.005, p1 = 0.99 * 0.75 + 0.005;
  EXPECT_NEAR(d.entropy().item<double>(), -(p0 * std::log(p0) + p1 * std::log(p1)), 1e-6);
}

TEST(OneHotCategoricalTest, OneHotSamplesAtTheMixedFrequenciesWithStraightThroughGradients) {
  auto gen = make_generator(0, torch::kCPU);
  const at::Tensor logits =
      torch::tensor({0.0f, std::log(3.0f), -1e9f}).repeat({20000, 1}).requires_grad_();
  const ActorDistribution d{OneHotCategorical(logits, 0.01)};
  EXPECT_TRUE(d.discrete());
  const at::Tensor a = d.rsample(gen);
  EXPECT_TENSOR_CLOSE(a.sum(-1), torch::ones({20000}));
  const at::Tensor freq = a.detach().mean(0);
  EXPECT_NEAR(freq[0].item<double>(), 0.99 * 0.25 + 0.01 / 3, 0.01);
  EXPECT_NEAR(freq[1].item<double>(), 0.99 * 0.75 + 0.01 / 3, 0.01);
  EXPECT_NEAR(freq[2].item<double>(), 0.01 / 3, 0.003);  // unimix keeps every choice possible
  (a.select(-1, 1)).sum().backward();  // straight-through: d a / d logits = d p / d logits
  ASSERT_TRUE(logits.grad().defined());
  EXPECT_GT(logits.grad().select(-1, 1).abs().sum().item<double>(), 0.0);
}

TEST(ActorLossTest, ImaginedStepWeights) {
  auto cont = torch::tensor({{1.0}, {1.0}, {0.5}, {1.0}}, torch::kFloat64);
  // cumprod(0.9 c) / 0.9: 1, 0.9, 0.405, 0.3645
  EXPECT_TENSOR_CLOSE(imagined_step_weights(cont, 0.9),
                      torch::tensor({{1.0}, {0.9}, {0.405}, {0.3645}}, torch::kFloat64), 1e-12,
                      1e-12);
}

TEST(ActorLossTest, BackpropAndReinforceOnAHandExample) {
  // H = 2, B = 1
  auto returns = torch::tensor({{3.0}, {1.0}}, torch::kFloat64).requires_grad_();
  auto values = torch::tensor({{1.0}, {2.0}}, torch::kFloat64);
  auto log_prob = torch::tensor({{-0.5}, {-1.5}}, torch::kFloat64).requires_grad_();
  auto entropy = torch::tensor({{0.7}, {0.2}}, torch::kFloat64).requires_grad_();
  auto weight = torch::tensor({{1.0}, {0.5}}, torch::kFloat64);
  const double scale = 2.0, eta = 0.1;
  // advantages (3 - 1) / 2 = 1 and (1 - 2) / 2 = -0.5
  auto backprop =
      actor_loss(returns, values, log_prob, entropy, weight, scale, eta, ActorGradient::kBackprop);
  // mean of ((-1 - 0.07) * 1, (0.5 - 0.02) * 0.5)
  EXPECT_NEAR(backprop.item<double>(), ((-1 - 0.07) * 1 + (0.5 - 0.02) * 0.5) / 2, 1e-12);
  backprop.backward();
  EXPECT_TENSOR_CLOSE(returns.grad(), torch::tensor({{-0.25}, {-0.125}}, torch::kFloat64), 1e-12,
                      1e-12);  // -w / (scale H)
  EXPECT_FALSE(log_prob.grad().defined());

  auto reinforce =
      actor_loss(returns, values, log_prob, entropy, weight, scale, eta, ActorGradient::kReinforce);
  // mean of ((0.5 * 1 - 0.07) * 1, (-1.5 * 0.5 - 0.02) * 0.5)
  EXPECT_NEAR(reinforce.item<double>(), ((0.5 - 0.07) + (-0.75 - 0.02) * 0.5) / 2, 1e-12);
  returns.grad().zero_();
  reinforce.backward();
  EXPECT_TENSOR_CLOSE(returns.grad(), torch::zeros({2, 1}, torch::kFloat64));  // sg(advantage)
  // d/d log_prob = -advantage w / H
  EXPECT_TENSOR_CLOSE(log_prob.grad(), torch::tensor({{-0.5}, {0.125}}, torch::kFloat64), 1e-12,
                      1e-12);
}

}  // namespace
}  // namespace mbrl

// Tests for models/world/categorical_latent.cc: unimix, straight-through samples, and DreamerV3's
// balanced KL with free bits on hand-made distributions.
#include "mbrl/models/world/categorical_latent.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "mbrl/core/rng.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

TEST(CategoricalLatentTest, UnimixKeepsOnePercentUniform) {
  auto logits = torch::tensor({{50.0f, 0.0f, 0.0f, 0.0f}});  // softmax ~ one-hot
  auto p = unimix_log_probs(logits).exp();
  EXPECT_TENSOR_CLOSE(p, torch::tensor({{0.9925f, 0.0025f, 0.0025f, 0.0025f}}), 1e-5, 1e-6);
  EXPECT_TENSOR_CLOSE(unimix_log_probs(logits, 0.0), torch::log_softmax(logits, -1));
}

TEST(CategoricalLatentTest, StraightThroughIsOneHotForwardAndProbabilityBackward) {
  auto gen = make_generator(0, torch::kCPU);
  auto logits = torch::randn({64, 32, 8}).requires_grad_();
  auto log_p = unimix_log_probs(logits);
  auto sample = sample_straight_through(log_p, gen);
  EXPECT_SHAPE(sample, {64, 32, 8});
  // forward: one-hot (up to the rounding of one_hot + p - p)
  auto one_hot = sample.detach().round();
  EXPECT_TENSOR_CLOSE(sample.detach(), one_hot, 0.0, 1e-6);
  EXPECT_TRUE(torch::equal(one_hot.sum(-1), torch::ones({64, 32})));
  // backward: d sample / d p is the identity, so the gradient equals that of sum(w * p)
  auto w = torch::randn({64, 32, 8});
  auto g1 = torch::autograd::grad({(sample * w).sum()}, {logits}, {}, /*retain_graph=*/true)[0];
  auto g2 = torch::autograd::grad({(log_p.exp() * w).sum()}, {logits})[0];
  EXPECT_TENSOR_CLOSE(g1, g2, 1e-5, 1e-6);
  // the class frequencies follow p: 20000 draws of one distribution
  auto fixed = unimix_log_probs(torch::tensor({{1.0f, 0.0f, -1.0f, 2.0f}}).expand({20000, 4}));
  auto freq = sample_straight_through(fixed, gen).mean(0);
  EXPECT_TENSOR_CLOSE(freq, fixed[0].exp(), 0.0, 0.015);
}

// a diverged model's NaN probabilities must reach the losses (which report them), not throw
// from inside the sampler
TEST(CategoricalLatentTest, NonFiniteProbabilitiesGiveNonFiniteSamples) {
  auto gen = make_generator(0, torch::kCPU);
  auto log_p = torch::full({3, 2, 4}, std::nan(""));
  at::Tensor sample;
  ASSERT_NO_THROW(sample = sample_straight_through(log_p, gen));
  EXPECT_SHAPE(sample, {3, 2, 4});
  EXPECT_TRUE(torch::isnan(sample).all().item<bool>());
}

TEST(CategoricalLatentTest, KlOfHandMadeDistributions) {
  // two latents of two classes: q = (0.5, 0.5), (0.9, 0.1); p = (0.25, 0.75), (0.5, 0.5)
  auto q = torch::tensor({{{0.5, 0.5}, {0.9, 0.1}}}, torch::kFloat64).log();
  auto p = torch::tensor({{{0.25, 0.75}, {0.5, 0.5}}}, torch::kFloat64).log();
  const double kl = 0.5 * std::log(0.5 / 0.25) + 0.5 * std::log(0.5 / 0.75) +
                    0.9 * std::log(0.9 / 0.5) + 0.1 * std::log(0.1 / 0.5);  // 0.4123
  EXPECT_NEAR(categorical_kl(q, p).item<double>(), kl, 1e-12);
  EXPECT_NEAR(categorical_kl(q, q).item<double>(), 0.0, 1e-12);

  // free bits: each term is max(1, KL), per step; here KL < 1 so both are 1, no gradient
  KlLosses small = kl_losses(q, p, 1.0);
  EXPECT_DOUBLE_EQ(small.dyn.item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(small.rep.item<double>(), 1.0);
  EXPECT_NEAR(small.kl.item<double>(), kl, 1e-12);
  KlLosses unclipped = kl_losses(q, p, 0.1);
  EXPECT_NEAR(unclipped.dyn.item<double>(), kl, 1e-12);
  EXPECT_NEAR(unclipped.rep.item<double>(), kl, 1e-12);
}

TEST(CategoricalLatentTest, DynamicsTermTrainsThePriorAndRepresentationTermThePosterior) {
  auto post = torch::randn({3, 4, 5}, torch::kFloat64).requires_grad_();
  auto prior = torch::randn({3, 4, 5}, torch::kFloat64).requires_grad_();
  KlLosses l = kl_losses(unimix_log_probs(post), unimix_log_probs(prior), 0.0);
  auto dyn = torch::autograd::grad({l.dyn.sum()}, {post, prior}, {}, true, false, true);
  auto rep = torch::autograd::grad({l.rep.sum()}, {post, prior}, {}, true, false, true);
  EXPECT_FALSE(dyn[0].defined() && dyn[0].abs().sum().item<double>() > 0);  // sg(posterior)
  EXPECT_GT(dyn[1].abs().sum().item<double>(), 0);
  EXPECT_GT(rep[0].abs().sum().item<double>(), 0);
  EXPECT_FALSE(rep[1].defined() && rep[1].abs().sum().item<double>() > 0);  // sg(prior)
  EXPECT_SHAPE(l.dyn, {3});
}

}  // namespace
}  // namespace mbrl

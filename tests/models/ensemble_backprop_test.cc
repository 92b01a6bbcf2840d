// Tests for models/ensemble_backprop.cc and models/fused_adam.cc: the hand-written gradients and
// the fused Adam step agree with autograd and torch::optim::Adam.
#include "mbrl/models/ensemble_backprop.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/Parallel.h>

#include "mbrl/core/device.h"
#include "mbrl/core/rng.h"
#include "mbrl/models/fused_adam.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

struct Batch {
  at::Tensor x, y, t;
  at::Tensor w;  // per-element loss weights, or undefined
};

Batch random_batch(const GaussianMlpEnsemble& model, int64_t b) {
  const int64_t e = model.ensemble_size();
  return {torch::randn({e, b, model.input_dim()}), torch::randn({e, b, model.target_dim()}),
          (torch::rand({e, b}) < 0.3).to(torch::kFloat32)};
}

GaussianMlpEnsembleOptions options() {
  return GaussianMlpEnsembleOptions(3, 2).ensemble_size(3).num_layers(3).hidden_size(12).num_elites(
      2);
}

// gradient of loss + weight decay penalty by autograd, in EnsembleBackprop's parameter order
std::vector<at::Tensor> autograd_gradients(GaussianMlpEnsemble& model, const Batch& b,
                                           const std::vector<at::Tensor>& params, double* loss) {
  for (auto p : params) p.mutable_grad() = at::Tensor();
  at::Tensor l = model.loss(b.x, b.y, model.learns_termination() ? b.t : at::Tensor(), b.w);
  *loss = l.item<double>();
  (l + model.weight_decay_penalty()).backward();
  std::vector<at::Tensor> grads;
  for (const auto& p : params) grads.push_back(p.grad().clone());
  return grads;
}

void expect_gradients_match(const GaussianMlpEnsembleOptions& opts, int threads,
                            bool weighted = false) {
  const int saved_threads = configured_threads();
  configure_threads(threads);  // one part per thread of the run
  auto model = std::make_shared<GaussianMlpEnsemble>(opts, make_generator(3, torch::kCPU));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->member_parameters()) p.add_(0.1 * torch::randn_like(p));
  }
  Batch b = random_batch(*model, 10);
  if (weighted) b.w = 2.0 * torch::rand_like(b.y);
  EnsembleBackprop backprop(model);
  const double loss =
      backprop.compute(b.x, b.y, opts.learn_termination() ? b.t : at::Tensor(), b.w);
  double expected_loss = 0;
  auto expected = autograd_gradients(*model, b, backprop.parameters(), &expected_loss);
  EXPECT_NEAR(loss, expected_loss, 1e-4 * std::abs(expected_loss));

  // fold weight decay in, as FusedAdam does, then sum the parts
  const auto& params = backprop.parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    at::Tensor g = backprop.weight_decay()[i] * params[i].detach();
    for (const auto& part : backprop.grad_parts()) g = g + part[i];
    EXPECT_TENSOR_CLOSE(g, expected[i], 1e-4, 1e-6) << "parameter " << i;
  }
  EXPECT_EQ(backprop.grad_parts().size(), static_cast<size_t>(std::min(threads, 10)));
  configure_threads(saved_threads);
}

// share_cpus may lower the threads that run mid-run: the parts, and so the loss and the summed
// gradients, follow the run's configured threads, bit for bit
TEST(EnsembleBackpropTest, ResultsFollowTheConfiguredThreadsNotTheRunningOnes) {
  const int saved_threads = configured_threads();
  configure_threads(2);
  auto model = std::make_shared<GaussianMlpEnsemble>(options(), make_generator(3, torch::kCPU));
  const Batch b = random_batch(*model, 33);
  EnsembleBackprop backprop(model);
  std::vector<double> losses;
  std::vector<std::vector<at::Tensor>> sums;
  for (int running : {1, 2, 1}) {
    at::set_num_threads(running);
    losses.push_back(backprop.compute(b.x, b.y, at::Tensor()));
    ASSERT_EQ(backprop.grad_parts().size(), 2u);
    std::vector<at::Tensor> g;
    for (size_t i = 0; i < backprop.parameters().size(); ++i)
      g.push_back(backprop.grad_parts()[0][i] + backprop.grad_parts()[1][i]);
    sums.push_back(g);
  }
  for (size_t k = 1; k < losses.size(); ++k) {
    EXPECT_EQ(losses[k], losses[0]) << k;
    for (size_t i = 0; i < sums[0].size(); ++i)
      EXPECT_TRUE(sums[k][i].equal(sums[0][i])) << "running threads " << k << " parameter " << i;
  }
  configure_threads(saved_threads);
}

TEST(EnsembleBackpropTest, SiluGaussianMatchesAutograd) {
  expect_gradients_match(options(), 1);
  expect_gradients_match(options(), 2);
}

TEST(EnsembleBackpropTest, OtherActivationsMatchAutograd) {
  for (Activation a :
       {Activation::kRelu, Activation::kLeakyRelu, Activation::kTanh, Activation::kElu}) {
    SCOPED_TRACE(activation_name(a));
    expect_gradients_match(options().activation(a), 2);
  }
}

TEST(EnsembleBackpropTest, LearnedBoundsRewardTerminationAndDecayMatchAutograd) {
  expect_gradients_match(
      options().learn_logvar_bounds(true).learn_reward(true).learn_termination(true).weight_decay(
          {1e-2, 2e-2, 3e-2, 4e-2}),
      2);
}

TEST(EnsembleBackpropTest, DeterministicMatchesAutograd) {
  expect_gradients_match(options().loss(EnsembleLoss::kMse).learn_termination(true), 2);
}

TEST(EnsembleBackpropTest, WeightedLossesMatchAutograd) {
  expect_gradients_match(options().learn_reward(true).learn_logvar_bounds(true), 2, true);
  expect_gradients_match(options().loss(EnsembleLoss::kMse), 2, true);
}

// the sum over parts of every parameter's gradient of the last compute
std::vector<at::Tensor> fused_gradients(const EnsembleBackprop& backprop) {
  std::vector<at::Tensor> out;
  for (size_t i = 0; i < backprop.parameters().size(); ++i) {
    at::Tensor g = torch::zeros_like(backprop.parameters()[i]);
    for (const auto& part : backprop.grad_parts()) g = g + part[i];
    out.push_back(g);
  }
  return out;
}

void expect_bitwise_equal(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].equal(b[i])) << "parameter " << i;
}

TEST(EnsembleBackpropTest, UnitWeightsGiveThePlainLossBitForBit) {
  for (bool deterministic : {false, true}) {
    SCOPED_TRACE(deterministic ? "mse" : "nll");
    auto opts =
        options().learn_reward(true).loss(deterministic ? EnsembleLoss::kMse : EnsembleLoss::kNll);
    auto model = std::make_shared<GaussianMlpEnsemble>(opts, make_generator(5, torch::kCPU));
    Batch b = random_batch(*model, 9);
    const at::Tensor ones = torch::ones_like(b.y);
    EnsembleBackprop backprop(model);
    const double plain = backprop.compute(b.x, b.y, at::Tensor());
    const auto plain_grads = fused_gradients(backprop);
    EXPECT_EQ(backprop.compute(b.x, b.y, at::Tensor(), ones), plain);
    expect_bitwise_equal(fused_gradients(backprop), plain_grads);

    double l1 = 0, l2 = 0;
    const auto auto_plain = autograd_gradients(*model, b, backprop.parameters(), &l1);
    b.w = ones;
    expect_bitwise_equal(autograd_gradients(*model, b, backprop.parameters(), &l2), auto_plain);
    EXPECT_EQ(l1, l2);
  }
}

TEST(EnsembleBackpropTest, ZeroWeightRemovesARowsGradient) {
  auto model = std::make_shared<GaussianMlpEnsemble>(options().learn_reward(true),
                                                     make_generator(6, torch::kCPU));
  Batch b = random_batch(*model, 8);
  b.w = torch::rand_like(b.y) + 0.5;
  b.w.select(1, 3).zero_();  // row 3 of every member
  EnsembleBackprop backprop(model);
  backprop.compute(b.x, b.y, at::Tensor(), b.w);
  const auto fused = fused_gradients(backprop);
  double loss = 0;
  const auto autograd = autograd_gradients(*model, b, backprop.parameters(), &loss);

  // any target for the zero-weight row: the same gradients
  b.y.select(1, 3).mul_(100.0).add_(7.0);
  backprop.compute(b.x, b.y, at::Tensor(), b.w);
  expect_bitwise_equal(fused_gradients(backprop), fused);
  expect_bitwise_equal(autograd_gradients(*model, b, backprop.parameters(), &loss), autograd);
  // while a weighted row's target does move them
  b.y.select(1, 4).add_(1.0);
  backprop.compute(b.x, b.y, at::Tensor(), b.w);
  EXPECT_FALSE(fused_gradients(backprop)[0].equal(fused[0]));
}

TEST(EnsembleBackpropTest, MemberLossesSumToTheLoss) {
  auto model = std::make_shared<GaussianMlpEnsemble>(options());
  Batch b = random_batch(*model, 7);
  EnsembleBackprop backprop(model);
  const double loss = backprop.compute(b.x, b.y, at::Tensor());
  double sum = 0;
  for (double l : backprop.member_losses()) sum += l;
  EXPECT_NEAR(sum, loss, 1e-9);
  EXPECT_EQ(backprop.member_losses().size(), 3u);
}

TEST(FusedAdamTest, MatchesTorchAdamWithL2Decay) {
  auto a = torch::randn({4, 5}), b = torch::randn({7});
  auto a2 = a.clone().requires_grad_(true), b2 = b.clone().requires_grad_(true);
  FusedAdam fused({a, b}, {0.1, 0.0}, FusedAdamOptions().lr(0.01).eps(1e-6));
  torch::optim::Adam reference_a({a2}, torch::optim::AdamOptions(0.01).eps(1e-6).weight_decay(0.1));
  torch::optim::Adam reference_b({b2}, torch::optim::AdamOptions(0.01).eps(1e-6));
  for (int step = 0; step < 5; ++step) {
    auto ga = torch::randn({4, 5}), gb = torch::randn({7});
    // the gradient arrives as two parts
    fused.step({{0.25 * ga, 0.25 * gb}, {0.75 * ga, 0.75 * gb}});
    a2.mutable_grad() = ga;
    b2.mutable_grad() = gb;
    reference_a.step();
    reference_b.step();
  }
  EXPECT_EQ(fused.steps(), 5);
  EXPECT_TENSOR_CLOSE(a, a2.detach(), 1e-5, 1e-6);
  EXPECT_TENSOR_CLOSE(b, b2.detach(), 1e-5, 1e-6);
}

}  // namespace
}  // namespace mbrl

// Tests for agents/squashed_gaussian_policy.cc and agents/q_ensemble.cc.
#include <cmath>

#include <sstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/agents/q_ensemble.h"
#include "mbrl/agents/squashed_gaussian_policy.h"
#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

class SacNetworksTest : public test::MbrlTest {};

TEST_F(SacNetworksTest, PolicySamplesAreSquashedWithShapes) {
  SquashedGaussianPolicy policy(SquashedGaussianPolicyOptions(3, 2).hidden_size(16));
  auto gen = make_generator(1, torch::kCPU);
  auto obs = torch::randn({64, 3});
  PolicySample s = policy->sample(obs, gen);
  EXPECT_SHAPE(s.action, {64, 2});
  EXPECT_SHAPE(s.log_prob, {64});
  EXPECT_SHAPE(s.mean_action, {64, 2});
  EXPECT_LT(s.action.abs().max().item<double>(), 1.0);
  EXPECT_TENSOR_CLOSE(s.mean_action, torch::tanh(policy->forward(obs).first));
  EXPECT_TENSOR_CLOSE(policy->mean_action(obs), s.mean_action);
  EXPECT_FALSE(torch::allclose(s.action, s.mean_action));
}

TEST_F(SacNetworksTest, PolicyClampsLogStd) {
  SquashedGaussianPolicy policy(SquashedGaussianPolicyOptions(1, 1)
                                    .hidden_size(4)
                                    .num_layers(1)
                                    .log_std_min(-1.0)
                                    .log_std_max(0.5));
  auto p = policy->named_parameters();
  torch::NoGradGuard no_grad;
  for (auto& t : policy->parameters()) t.zero_();

  // the output bias alone sets (mean, raw log std)
  p["trunk.linear1.bias"].copy_(torch::tensor({0.25f, 100.0f}));
  auto [mean, log_std] = policy->forward(torch::ones({2, 1}));
  EXPECT_TENSOR_CLOSE(mean, torch::full({2, 1}, 0.25f));
  EXPECT_TENSOR_CLOSE(log_std, torch::full({2, 1}, 0.5f));
  p["trunk.linear1.bias"].copy_(torch::tensor({0.0f, -100.0f}));
  EXPECT_TENSOR_CLOSE(policy->forward(torch::ones({2, 1})).second, torch::full({2, 1}, -1.0f));
  p["trunk.linear1.bias"].copy_(torch::tensor({0.0f, 0.3f}));
  EXPECT_TENSOR_CLOSE(policy->forward(torch::ones({2, 1})).second, torch::full({2, 1}, 0.3f));
}

// density of a = tanh(u), u ~ N(mu, sigma^2) by differentiating its CDF numerically
double squashed_density_fd(double a, double mu, double sigma) {
  auto cdf = [&](double y) { return 0.5 * std::erfc(-(std::atanh(y) - mu) / (sigma * M_SQRT2)); };
  const double h = 1e-6;
  return (cdf(a + h) - cdf(a - h)) / (2 * h);
}

TEST_F(SacNetworksTest, PolicyLogProbMatchesFiniteDifferenceDensity) {
  // per dimension: (mean, log_std, action); the joint density is the product over dimensions
  const double mu[3] = {0.3, -1.2, 2.0}, log_std[3] = {-0.5, 0.4, 0.0}, a[3] = {0.5, -0.9, 0.99};
  double expected = 0;
  std::vector<double> u;
  for (int i = 0; i < 3; ++i) {
    expected += std::log(squashed_density_fd(a[i], mu[i], std::exp(log_std[i])));
    u.push_back(std::atanh(a[i]));
  }
  auto opts = torch::kFloat64;
  auto lp = SquashedGaussianPolicyImpl::squashed_log_prob(
      torch::tensor(u, opts).unsqueeze(0), torch::tensor({mu[0], mu[1], mu[2]}, opts).unsqueeze(0),
      torch::tensor({log_std[0], log_std[1], log_std[2]}, opts).unsqueeze(0));
  EXPECT_SHAPE(lp, {1});
  EXPECT_NEAR(lp.item<double>(), expected, 1e-5);
}

TEST_F(SacNetworksTest, PolicyLogProbIsStableForSaturatedActions) {
  // u = 20: tanh(u) rounds to 1 in float32, but log(1 - tanh(u)^2) = log 4 - 2u - 2 log(1 + e^-2u)
  auto u = torch::tensor({{20.0f}});
  auto lp = SquashedGaussianPolicyImpl::squashed_log_prob(u, torch::tensor({{20.0f}}),
                                                          torch::zeros({1, 1}));
  const double expected = -0.5 * std::log(2 * M_PI) - (std::log(4.0) - 40.0);
  EXPECT_TRUE(std::isfinite(lp.item<double>()));
  EXPECT_NEAR(lp.item<double>(), expected, 1e-4);
}

TEST_F(SacNetworksTest, PolicyLogProbMatchesSampleHistogram) {
  // one state, one action dimension: the fraction of samples in a bin matches the density
  SquashedGaussianPolicy policy(SquashedGaussianPolicyOptions(1, 1).hidden_size(8));
  auto gen = make_generator(3, torch::kCPU);
  auto obs = torch::zeros({200000, 1});
  torch::NoGradGuard no_grad;
  PolicySample s = policy->sample(obs, gen);
  auto [mean, log_std] = policy->forward(obs.narrow(0, 0, 1));
  const double lo = 0.1, hi = 0.2;
  double frac =
      s.action.ge(lo).logical_and(s.action.lt(hi)).to(torch::kFloat64).mean().item<double>();
  // midpoint rule on the analytic density
  double integral = 0;
  const int n = 100;
  for (int i = 0; i < n; ++i) {
    const double y = lo + (i + 0.5) * (hi - lo) / n;
    auto lp = SquashedGaussianPolicyImpl::squashed_log_prob(torch::full({1, 1}, std::atanh(y)),
                                                            mean, log_std);
    integral += std::exp(lp.item<double>()) * (hi - lo) / n;
  }
  EXPECT_NEAR(frac, integral, 4e-3);
}

TEST_F(SacNetworksTest, PolicySampleIsReparameterised) {
  SquashedGaussianPolicy policy(SquashedGaussianPolicyOptions(2, 2).hidden_size(8));
  auto gen = make_generator(2, torch::kCPU);
  auto s = policy->sample(torch::randn({16, 2}), gen);
  (s.action.sum() + s.log_prob.sum()).backward();
  for (const auto& p : policy->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_GT(p.grad().abs().sum().item<double>(), 0.0);
  }
}

TEST_F(SacNetworksTest, PolicyRejectsBadOptions) {
  EXPECT_THROW_WITH(SquashedGaussianPolicy(SquashedGaussianPolicyOptions(2, 0)), InvalidArgument,
                    "act_dim");
  EXPECT_THROW_WITH(
      SquashedGaussianPolicy(SquashedGaussianPolicyOptions(2, 1).log_std_min(3).log_std_max(2)),
      InvalidArgument, "log_std_min");
}

TEST_F(SacNetworksTest, QEnsembleMembersAreIndependentMlps) {
  QEnsemble q(QEnsembleOptions(3, 2).num_critics(4).hidden_size(8).num_layers(2));
  auto obs = torch::randn({5, 3}), act = torch::randn({5, 2});
  auto out = q->forward(obs, act);
  EXPECT_SHAPE(out, {4, 5});

  // reference: member n as a plain MLP with its own slice of the weights
  auto p = q->named_parameters();
  auto x = torch::cat({obs, act}, 1);
  for (int64_t n = 0; n < 4; ++n) {
    auto h = torch::relu(x.matmul(p["mlp.linear0.weight"][n]) + p["mlp.linear0.bias"][n]);
    h = torch::relu(h.matmul(p["mlp.linear1.weight"][n]) + p["mlp.linear1.bias"][n]);
    auto qn = (h.matmul(p["mlp.linear2.weight"][n]) + p["mlp.linear2.bias"][n]).squeeze(-1);
    EXPECT_TENSOR_CLOSE(out[n], qn, 1e-5, 1e-5);
  }
  EXPECT_TENSOR_CLOSE(q->min_q(obs, act), std::get<0>(out.min(0)));
  EXPECT_FALSE(torch::allclose(out[0], out[1]));
}

TEST_F(SacNetworksTest, QEnsembleCloneIsDeepAndInitIsSeeded) {
  QEnsemble a(QEnsembleOptions(2, 1).hidden_size(8)), b(QEnsembleOptions(2, 1).hidden_size(8));
  a->reset_parameters(make_generator(5, torch::kCPU));
  b->reset_parameters(make_generator(5, torch::kCPU));
  auto obs = torch::randn({3, 2}), act = torch::randn({3, 1});
  EXPECT_TENSOR_CLOSE(a->forward(obs, act), b->forward(obs, act), 0, 0);
  auto c = std::dynamic_pointer_cast<QEnsembleImpl>(a->clone());
  ASSERT_TRUE(c);
  EXPECT_TENSOR_CLOSE(c->forward(obs, act), a->forward(obs, act), 0, 0);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : c->parameters()) p.add_(1.0);
  }
  EXPECT_FALSE(torch::allclose(c->forward(obs, act), a->forward(obs, act)));
}

// agent.pt files written before the critics were an EnsembleMlp hold layer0..layerL as the
// module's own children: they still load, as do files in today's layout
TEST_F(SacNetworksTest, QEnsembleLoadsTodaysAndTheEarlierLayout) {
  const auto options = QEnsembleOptions(3, 2).num_critics(2).hidden_size(8).num_layers(2);
  QEnsemble saved(options);
  saved->reset_parameters(make_generator(3, torch::kCPU));
  auto obs = torch::randn({4, 3}), act = torch::randn({4, 2});
  const auto params = saved->named_parameters();

  torch::serialize::OutputArchive earlier;
  for (int l = 0; l <= 2; ++l) {
    torch::serialize::OutputArchive layer;
    layer.write("weight", params["mlp.linear" + std::to_string(l) + ".weight"]);
    layer.write("bias", params["mlp.linear" + std::to_string(l) + ".bias"]);
    earlier.write("layer" + std::to_string(l), layer);
  }
  torch::serialize::OutputArchive today;
  saved->save(today);
  for (auto* out : {&earlier, &today}) {
    std::stringstream bytes;
    out->save_to(bytes);
    torch::serialize::InputArchive in;
    in.load_from(bytes);
    QEnsemble loaded(options);
    loaded->load(in);
    EXPECT_TENSOR_CLOSE(loaded->forward(obs, act), saved->forward(obs, act), 0, 0);
  }
}

TEST_F(SacNetworksTest, QEnsembleRejectsBadOptions) {
  EXPECT_THROW_WITH(QEnsemble(QEnsembleOptions(2, 1).num_critics(0)), InvalidArgument,
                    "num_critics");
  EXPECT_THROW_WITH(QEnsemble(QEnsembleOptions(2, 1).num_layers(0)), InvalidArgument, "num_layers");
}

}  // namespace
}  // namespace mbrl

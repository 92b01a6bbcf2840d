// Tests for planners/mppi.cc.
#include "mbrl/planners/mppi.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "tests/planners/test_problems.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

using test::ObjectiveProbe;
using test::quadratic;
using test::test_generator;

MppiOptimizer make(MppiOptions o, uint64_t seed = 0) {
  return MppiOptimizer(o, Box::uniform(1, -2.0, 2.0), c10::Device(c10::kCPU), test_generator(seed));
}

TEST(MppiOptimizerTest, FindsASmoothOptimumWithSmoothing) {
  // the smoothing filter favours slowly varying sequences; a constant target is reachable
  auto target = torch::full({2, 8, 1}, 0.6);
  target[1].fill_(-1.1);
  auto mppi = make(MppiOptions().population_size(400).num_iterations(15).gamma(5.0).sigma(0.3), 1);
  auto solution = mppi.optimize(quadratic(target), torch::zeros({2, 8, 1}));
  auto error = (solution - target).abs();
  EXPECT_LT(error.narrow(1, 1, 7).max().item<double>(), 0.1) << solution;

  // the first action is filtered against u_{-1} = 0 (no executed action yet): it lies between
  // 0 and the target, nearer the target
  auto first = solution.select(1, 0).squeeze(-1) / target.select(1, 0).squeeze(-1);
  EXPECT_GT(first.min().item<double>(), 0.7) << solution;
  EXPECT_LT(first.max().item<double>(), 1.0) << solution;
}

TEST(MppiOptimizerTest, SmoothingStartsFromTheExecutedAction) {
  // beta = 0.5 and sigma tiny: u_0 = (mean_0 + noise) / 2 + u_{-1} / 2
  auto mppi = make(MppiOptions().population_size(8).num_iterations(1).sigma(1e-6).beta(0.5));
  ObjectiveProbe probe(quadratic(torch::zeros({1, 3, 1})), mppi.action_space(), true);
  auto initial = torch::tensor({1.0, 1.0, 1.0}).view({1, 3, 1});

  // no executed action yet: u_{-1} is the first action of the initial mean
  mppi.optimize(probe.objective(), initial);
  EXPECT_NEAR(probe.candidates[0][0][0][0][0].item<double>(), 1.0, 1e-4);

  // after executing one step of the plan (all ones), u_{-1} = 1; from a mean of -1 the first
  // candidate action is (-1 + 1) / 2 = 0, the next (-1 + 0) / 2
  mppi.shift(1);
  mppi.optimize(probe.objective(), -initial);
  auto c = probe.candidates[1][0][0];
  EXPECT_NEAR(c[0][0].item<double>(), 0.0, 1e-4);
  EXPECT_NEAR(c[1][0].item<double>(), -0.5, 1e-4);
  EXPECT_NEAR(c[2][0].item<double>(), -0.75, 1e-4);

  // reset forgets the executed action again
  mppi.reset();
  mppi.optimize(probe.objective(), -initial);
  EXPECT_NEAR(probe.candidates[2][0][0][0][0].item<double>(), -1.0, 1e-4);
}

TEST(MppiOptimizerTest, MeanIsTheScoreWeightedAverage) {
  // one iteration: the result equals sum_p w_p u_p / sum_p w_p with w = exp(gamma (v - max v))
  auto target = torch::full({1, 2, 1}, 0.3);
  auto mppi = make(MppiOptions().population_size(16).num_iterations(1).gamma(2.0).beta(1.0), 5);
  ObjectiveProbe probe(quadratic(target), mppi.action_space(), true);
  auto solution = mppi.optimize(probe.objective(), torch::zeros({1, 2, 1}));
  auto x = probe.candidates[0];
  auto v = quadratic(target)(x);
  auto w = (2.0 * (v - v.max())).exp();
  auto expected = (w.view({1, 16, 1, 1}) * x).sum(1) / w.sum();
  EXPECT_TENSOR_CLOSE(solution, expected, 1e-5, 1e-6);
}

TEST(MppiOptimizerTest, RejectsBadOptionsNamingThem) {
  EXPECT_THROW_WITH(make(MppiOptions().beta(0.0)), InvalidArgument, "beta");
  EXPECT_THROW_WITH(make(MppiOptions().beta(1.5)), InvalidArgument, "beta");
  EXPECT_THROW_WITH(make(MppiOptions().gamma(0.0)), InvalidArgument, "gamma");
  EXPECT_THROW_WITH(make(MppiOptions().sigma(-1.0)), InvalidArgument, "sigma");
  EXPECT_THROW_WITH(make(MppiOptions().population_size(0)), InvalidArgument, "population_size");
}

}  // namespace
}  // namespace mbrl

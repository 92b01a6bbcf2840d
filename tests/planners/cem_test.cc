// Tests for planners/cem.cc and planners/elite_set.cc.
#include "mbrl/planners/cem.h"

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

const c10::Device kCpu(c10::kCPU);

CemOptimizer make(CemOptions o, uint64_t seed = 0) {
  return CemOptimizer(o, Box::uniform(1, -1.0, 1.0), kCpu, test_generator(seed));
}

TEST(CemOptimizerTest, ElitesAreRoundedUp) {
  EXPECT_EQ(make(CemOptions().population_size(350).elite_ratio(0.1)).num_elites(), 35);
  EXPECT_EQ(make(CemOptions().population_size(15).elite_ratio(0.1)).num_elites(), 2);
  EXPECT_EQ(make(CemOptions().population_size(7).elite_ratio(1.0)).num_elites(), 7);
}

TEST(CemOptimizerTest, StopsEarlyOnceTheVarianceCollapses) {
  auto target = torch::full({1, 3, 1}, 0.3);
  auto initial = torch::zeros({1, 3, 1});

  // a threshold above the initial variance 4/16: one iteration only
  auto quick = make(CemOptions().num_iterations(8).min_variance(0.3));
  ObjectiveProbe probe(quadratic(target), quick.action_space());
  quick.optimize(probe.objective(), initial);
  EXPECT_EQ(probe.sizes.size(), 1u);
  EXPECT_EQ(quick.last_iterations(), 1);

  // disabled: every iteration runs
  auto full = make(CemOptions().num_iterations(8).min_variance(0.0));
  ObjectiveProbe probe_full(quadratic(target), full.action_space());
  full.optimize(probe_full.objective(), initial);
  EXPECT_EQ(probe_full.sizes.size(), 8u);
  EXPECT_EQ(full.last_iterations(), 8);
}

TEST(CemOptimizerTest, StoppedProblemsKeepTheirSolutionWhileOthersContinue) {
  // problem 0 is flat (every candidate scores 0): its elites stay spread and it keeps going;
  // problem 1 is a sharp quadratic whose variance collapses fast
  auto target = torch::full({2, 3, 1}, 0.4);
  auto objective = [&](const at::Tensor& x) {
    auto v = quadratic(target)(x);
    v.select(0, 0).zero_();
    return v * 1000.0;
  };
  auto cem = make(CemOptions().num_iterations(30).min_variance(1e-3).alpha(0.0), 5);
  auto joint = cem.optimize(objective, torch::zeros({2, 3, 1}));
  const int64_t joint_iterations = cem.last_iterations();

  auto alone = make(CemOptions().num_iterations(30).min_variance(1e-3).alpha(0.0), 5);
  auto sharp = [&](const at::Tensor& x) { return quadratic(target.narrow(0, 1, 1))(x) * 1000.0; };
  auto one = alone.optimize(sharp, torch::zeros({1, 3, 1}));
  EXPECT_LT(alone.last_iterations(), joint_iterations);
  EXPECT_TENSOR_CLOSE(one[0], joint[1], 1e-5, 1e-6);
  EXPECT_LT((one - 0.4).abs().max().item<double>(), 0.05);
}

TEST(CemOptimizerTest, ReturnsTheBestCandidateSeenWhenAsked) {
  auto target = torch::full({1, 2, 1}, -0.35);
  auto cem = make(CemOptions().population_size(40).num_iterations(3).return_mean_elites(false), 8);
  ObjectiveProbe probe(quadratic(target), cem.action_space(), /*keep_candidates=*/true);
  auto best = cem.optimize(probe.objective(), torch::zeros({1, 2, 1}));

  // the answer is one of the scored candidates, and none scored higher
  auto all = torch::cat(probe.candidates, 1);  // [1, 120, 2, 1]
  auto scores = quadratic(target)(all);
  const int64_t i = scores.argmax(1).item<int64_t>();
  EXPECT_TENSOR_CLOSE(best[0], all[0][i]);
}

TEST(CemOptimizerTest, TruncatedSamplesStayWithinTwoStdOfTheMean) {
  // around a mean of 0.8 in [-1, 1] the variance is shrunk to (0.2)^2 / 4: samples in [0.6, 1]
  auto cem = make(CemOptions().population_size(500).num_iterations(1));
  ObjectiveProbe probe(quadratic(torch::zeros({1, 2, 1})), cem.action_space(), true);
  cem.optimize(probe.objective(), torch::full({1, 2, 1}, 0.8));
  auto x = probe.candidates.at(0);
  EXPECT_GE(x.min().item<double>(), 0.6 - 1e-5);
  EXPECT_LE(x.max().item<double>(), 1.0);
  EXPECT_GT(x.std().item<double>(), 0.05);
}

TEST(CemOptimizerTest, RejectsBadOptionsNamingThem) {
  EXPECT_THROW_WITH(make(CemOptions().elite_ratio(1.5)), InvalidArgument,
                    "elite_ratio: expected a number in (0, 1], got 1.5");
  EXPECT_THROW_WITH(make(CemOptions().elite_ratio(0.0)), InvalidArgument, "elite_ratio");
  EXPECT_THROW_WITH(make(CemOptions().num_iterations(0)), InvalidArgument, "num_iterations");
  EXPECT_THROW_WITH(make(CemOptions().population_size(0)), InvalidArgument, "population_size");
  EXPECT_THROW_WITH(make(CemOptions().alpha(1.0)), InvalidArgument, "alpha");
  EXPECT_THROW_WITH(make(CemOptions().min_variance(-1.0)), InvalidArgument, "min_variance");
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW_WITH(CemOptimizer(CemOptions(), Box::uniform(1, -inf, inf), kCpu, test_generator(0)),
                    InvalidArgument, "finite action bounds");
}

TEST(CemOptimizerTest, RunsOnCuda_CUDA) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const c10::Device cuda(c10::kCUDA);
  CemOptimizer cem(CemOptions().num_iterations(6), Box::uniform(2, -1.0, 1.0), cuda,
                   make_generator(3, cuda));
  auto target = torch::full({2, 4, 2}, 0.25, torch::TensorOptions().device(cuda));
  auto solution = cem.optimize(quadratic(target), torch::zeros({2, 4, 2}, target.options()));
  EXPECT_TRUE(solution.is_cuda());
  EXPECT_LT((solution - target).abs().max().item<double>(), 0.05);
}

}  // namespace
}  // namespace mbrl

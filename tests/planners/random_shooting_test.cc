// Tests for planners/random_shooting.cc.
#include "mbrl/planners/random_shooting.h"

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

TEST(RandomShootingOptimizerTest, ReturnsTheBestCandidateOfEachProblem) {
  const Box box(torch::tensor({-1.0, 0.0}), torch::tensor({1.0, 3.0}));
  RandomShootingOptimizer rs(RandomShootingOptions().population_size(64), box,
                             c10::Device(c10::kCPU), test_generator(3));
  auto target = torch::tensor({0.5, 2.0, -0.5, 0.5}).view({2, 1, 2});
  ObjectiveProbe probe(quadratic(target), box, /*keep_candidates=*/true);
  auto best = rs.optimize(probe.objective(), torch::zeros({2, 1, 2}));

  ASSERT_EQ(probe.candidates.size(), 1u);
  auto x = probe.candidates[0];
  EXPECT_SHAPE(x, {2, 64, 1, 2});
  EXPECT_TRUE(probe.all_inside);
  auto index = quadratic(target)(x).argmax(1);
  for (int64_t s = 0; s < 2; ++s) {
    EXPECT_TENSOR_CLOSE(best[s], x[s][index[s].item<int64_t>()]);
  }
  // 64 uniform samples in a 2-d box land near the optimum
  EXPECT_LT((best - target).abs().max().item<double>(), 0.6);
}

TEST(RandomShootingOptimizerTest, SamplesCoverTheBox) {
  const Box box = Box::uniform(1, -3.0, 3.0);
  RandomShootingOptimizer rs(RandomShootingOptions().population_size(2000), box,
                             c10::Device(c10::kCPU), test_generator(4));
  ObjectiveProbe probe(quadratic(torch::zeros({1, 2, 1})), box, true);
  rs.optimize(probe.objective(), torch::zeros({1, 2, 1}));
  auto x = probe.candidates[0];
  EXPECT_LT(x.min().item<double>(), -2.9);
  EXPECT_GT(x.max().item<double>(), 2.9);
  EXPECT_NEAR(x.mean().item<double>(), 0.0, 0.15);
}

TEST(RandomShootingOptimizerTest, RejectsAnEmptyPopulation) {
  EXPECT_THROW_WITH(RandomShootingOptimizer(RandomShootingOptions().population_size(0),
                                            Box::uniform(1, -1.0, 1.0), c10::Device(c10::kCPU),
                                            test_generator(0)),
                    InvalidArgument, "population_size");
}

}  // namespace
}  // namespace mbrl

// Tests of the ActionOptimizer contract shared by every optimizer: known optimum of a quadratic,
// bounds, multi-start equivalence, determinism and shape errors.
#include "mbrl/planners/action_optimizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <string>

#include "mbrl/core/error.h"
#include "mbrl/planners/cem.h"
#include "mbrl/planners/icem.h"
#include "mbrl/planners/mppi.h"
#include "mbrl/planners/random_shooting.h"
#include "tests/planners/test_problems.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

using test::ObjectiveProbe;
using test::quadratic;
using test::test_generator;

using Factory = std::function<std::shared_ptr<ActionOptimizer>(const Box&, uint64_t seed)>;

struct OptimizerCase {
  std::string name;
  Factory make;
  double tolerance;  // max |solution - optimum| on the quadratic; < 0: not a local optimizer
};
// gtest prints a case by its name (test listings and ctest names)
void PrintTo(const OptimizerCase& c, std::ostream* out) { *out << c.name; }

std::vector<OptimizerCase> cases() {
  const c10::Device cpu(c10::kCPU);
  return {
      {"cem",
       [cpu](const Box& box, uint64_t seed) {
         return std::make_shared<CemOptimizer>(
             CemOptions().population_size(300).num_iterations(10).min_variance(1e-5), box, cpu,
             test_generator(seed));
       },
       0.05},
      {"cem_clipped",
       [cpu](const Box& box, uint64_t seed) {
         return std::make_shared<CemOptimizer>(
             CemOptions().population_size(300).num_iterations(10).clipped_normal(true), box, cpu,
             test_generator(seed));
       },
       0.05},
      {"icem",
       [cpu](const Box& box, uint64_t seed) {
         // white noise here: the quadratic's optimum is an uncorrelated random sequence
         return std::make_shared<IcemOptimizer>(
             IcemOptions().population_size(300).num_iterations(10).colored_noise_exponent(0.0), box,
             cpu, test_generator(seed));
       },
       0.05},
      {"mppi",
       [cpu](const Box& box, uint64_t seed) {
         // no smoothing; a small fixed noise, since the weighted mean cannot be more precise
         // than the noise allows (30 seeds: largest error 0.027)
         return std::make_shared<MppiOptimizer>(
             MppiOptions().population_size(500).num_iterations(20).gamma(10.0).sigma(0.2).beta(1.0),
             box, cpu, test_generator(seed));
       },
       0.05},
      {"random_shooting",
       [cpu](const Box& box, uint64_t seed) {
         return std::make_shared<RandomShootingOptimizer>(
             RandomShootingOptions().population_size(300), box, cpu, test_generator(seed));
       },
       -1.0},
  };
}

class ActionOptimizerTest : public ::testing::TestWithParam<OptimizerCase> {};

// bounds that differ per dimension, and an optimum well inside them (near a bound, PETS's
// truncated sampling shrinks the variance with the distance to it, and CEM stops short)
Box asymmetric_box() { return Box(torch::tensor({-1.0, 0.0}), torch::tensor({2.0, 0.5})); }

at::Tensor inside_target(int64_t S, int64_t H) {
  auto g = test_generator(99);
  auto u = torch::rand({S, H, 2}, g);
  return torch::stack({-0.4 + 1.8 * u.select(2, 0), 0.15 + 0.2 * u.select(2, 1)}, 2);
}

TEST_P(ActionOptimizerTest, FindsQuadraticOptimum) {
  const auto& c = GetParam();
  if (c.tolerance < 0) GTEST_SKIP() << "random shooting is not a local optimizer";
  const Box box = asymmetric_box();
  auto target = inside_target(3, 4);
  auto optimizer = c.make(box, 1);
  auto initial = ((box.low + box.high) / 2).expand({3, 4, 2}).contiguous();
  auto solution = optimizer->optimize(quadratic(target), initial);
  EXPECT_SHAPE(solution, {3, 4, 2});
  EXPECT_LT((solution - target).abs().max().item<double>(), c.tolerance);
}

TEST_P(ActionOptimizerTest, ImprovesOnTheInitialSolution) {
  const auto& c = GetParam();
  const Box box = asymmetric_box();
  auto target = inside_target(2, 1);
  auto objective = quadratic(target);
  auto initial = ((box.low + box.high) / 2).expand({2, 1, 2}).contiguous();
  auto solution = c.make(box, 2)->optimize(objective, initial);
  // every optimizer, random shooting included, improves on the middle of the bounds
  auto gain = objective(solution.unsqueeze(1)) - objective(initial.unsqueeze(1));
  EXPECT_TRUE(gain.gt(0).all().item<bool>()) << gain;
}

TEST_P(ActionOptimizerTest, EveryActionStaysInsideTheBounds) {
  const auto& c = GetParam();
  const Box box = asymmetric_box();
  // the optimum lies outside the bounds, so the search presses against them
  auto target = torch::tensor({3.0, -1.0}).expand({2, 5, 2}).contiguous();
  ObjectiveProbe probe(quadratic(target), box);
  auto optimizer = c.make(box, 3);
  auto initial = torch::tensor({1.9, 0.01}).expand({2, 5, 2}).contiguous();
  for (int call = 0; call < 3; ++call) {
    auto solution = optimizer->optimize(probe.objective(), initial);
    EXPECT_TRUE(box.contains(solution)) << solution;
    optimizer->shift(1);
  }
  EXPECT_TRUE(probe.all_inside);
  EXPECT_FALSE(probe.sizes.empty());
}

TEST_P(ActionOptimizerTest, MultiStartEqualsEachStartAlone) {
  const auto& c = GetParam();
  const Box box = asymmetric_box();
  const int64_t S = 3, H = 6;
  auto target = inside_target(S, H);
  auto initial = inside_target(S, H).flip({0});

  // two consecutive calls with a shift, so carried state (kept elites, last action) is covered
  auto together = c.make(box, 7);
  std::vector<at::Tensor> joint;
  for (int call = 0; call < 2; ++call) {
    joint.push_back(together->optimize(quadratic(target), initial));
    together->shift(1);
  }
  for (int64_t s = 0; s < S; ++s) {
    auto alone = c.make(box, 7);
    for (int call = 0; call < 2; ++call) {
      auto one = alone->optimize(quadratic(target.narrow(0, s, 1)), initial.narrow(0, s, 1));
      alone->shift(1);
      EXPECT_TENSOR_CLOSE(one[0], joint[call][s], 1e-5, 1e-5)
          << c.name << " start " << s << " call " << call;
    }
  }
}

TEST_P(ActionOptimizerTest, SameSeedSameResultOtherSeedOther) {
  const auto& c = GetParam();
  const Box box = asymmetric_box();
  auto target = inside_target(2, 5);
  auto initial = ((box.low + box.high) / 2).expand({2, 5, 2}).contiguous();
  auto a = c.make(box, 11)->optimize(quadratic(target), initial);
  auto b = c.make(box, 11)->optimize(quadratic(target), initial);
  auto d = c.make(box, 12)->optimize(quadratic(target), initial);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, d));
}

TEST_P(ActionOptimizerTest, RejectsWrongShapes) {
  const auto& c = GetParam();
  const Box box = asymmetric_box();
  auto optimizer = c.make(box, 0);
  auto target = inside_target(1, 3);
  EXPECT_THROW_WITH(optimizer->optimize(quadratic(target), torch::zeros({1, 3, 5})), ShapeError,
                    "initial");
  auto bad = [](const at::Tensor& x) { return torch::zeros({x.size(0) * x.size(1)}); };
  EXPECT_THROW_WITH(optimizer->optimize(bad, torch::zeros({1, 3, 2}) + 0.2), ShapeError,
                    "objective: expected scores [1, ");
}

TEST_P(ActionOptimizerTest, NanScoresAreNeverChosen) {
  const auto& c = GetParam();
  const Box box = asymmetric_box();
  auto target = inside_target(1, 3);
  // candidates whose first action is in the upper half of dimension 0 score NaN
  auto objective = [&](const at::Tensor& x) {
    auto v = quadratic(target)(x);
    return torch::where(x.select(2, 0).select(2, 0).gt(0.5), torch::full_like(v, NAN), v);
  };
  auto solution = c.make(box, 4)->optimize(objective, torch::zeros({1, 3, 2}) + 0.2);
  EXPECT_LE(solution[0][0][0].item<double>(), 0.5 + 1e-6);
}

INSTANTIATE_TEST_SUITE_P(AllOptimizers, ActionOptimizerTest, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace mbrl

// Tests for planners/icem.cc.
#include "mbrl/planners/icem.h"

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

IcemOptimizer make(IcemOptions o, uint64_t seed = 0) {
  return IcemOptimizer(o, Box::uniform(1, -1.0, 1.0), c10::Device(c10::kCPU), test_generator(seed));
}

TEST(IcemOptimizerTest, PopulationDecaysToTwiceTheElites) {
  // 100 * 1.3^-i, rounded up: 100, 77, 60, 46, 36, 27, 21, then 2 * 10 elites
  auto icem = make(IcemOptions().population_size(100).num_iterations(8));
  EXPECT_EQ(icem.num_elites(), 10);
  EXPECT_EQ(icem.num_kept(), 3);
  std::vector<int64_t> expected{100, 77, 60, 46, 36, 27, 21, 20};
  for (int64_t i = 0; i < 8; ++i) EXPECT_EQ(icem.sampled_population(i), expected[i]) << i;

  // scored per iteration: the samples, plus 3 kept elites after the first, plus the mean last
  ObjectiveProbe probe(quadratic(torch::zeros({2, 4, 1})), icem.action_space());
  icem.optimize(probe.objective(), torch::zeros({2, 4, 1}));
  EXPECT_EQ(probe.sizes, (std::vector<int64_t>{100, 80, 63, 49, 39, 30, 24, 24}));

  // the next call starts with the last call's kept elites
  probe.sizes.clear();
  icem.optimize(probe.objective(), torch::zeros({2, 4, 1}));
  EXPECT_EQ(probe.sizes.front(), 103);
}

TEST(IcemOptimizerTest, CarriesShiftedElitesIntoTheNextCall) {
  const int64_t H = 5;
  auto target = torch::linspace(-0.8, 0.8, H).view({1, H, 1});
  auto icem = make(IcemOptions().population_size(60).num_iterations(3), 2);
  ObjectiveProbe probe(quadratic(target), icem.action_space(), /*keep_candidates=*/true);
  icem.optimize(probe.objective(), torch::zeros({1, H, 1}));
  const auto last = probe.candidates.size();

  // the final elites of the call: the top 6 of the last population
  auto final_pop = probe.candidates.back();
  auto top = std::get<1>(quadratic(target)(final_pop).topk(icem.num_elites(), 1));
  auto elites = final_pop.index_select(1, top[0]);  // [1, 6, H, 1]

  icem.shift(1);
  icem.optimize(probe.objective(), torch::zeros({1, H, 1}));
  auto first = probe.candidates.at(last);
  const int64_t n = icem.sampled_population(0);
  ASSERT_EQ(first.size(1), n + icem.num_kept());
  auto kept = first.narrow(1, n, icem.num_kept());

  // every kept candidate is an elite moved one step earlier, with a fresh last action
  for (int64_t k = 0; k < icem.num_kept(); ++k) {
    auto head = kept[0][k].narrow(0, 0, H - 1);
    auto match = (elites[0].narrow(1, 1, H - 1) - head.unsqueeze(0)).abs().amax({1, 2});
    EXPECT_LT(match.min().item<double>(), 1e-6) << "kept candidate " << k;
  }
}

TEST(IcemOptimizerTest, ResetDropsTheKeptElites) {
  auto icem = make(IcemOptions().population_size(50).num_iterations(2));
  ObjectiveProbe probe(quadratic(torch::zeros({1, 3, 1})), icem.action_space());
  icem.optimize(probe.objective(), torch::zeros({1, 3, 1}));
  icem.reset();
  probe.sizes.clear();
  icem.optimize(probe.objective(), torch::zeros({1, 3, 1}));
  EXPECT_EQ(probe.sizes.front(), 50);
}

TEST(IcemOptimizerTest, ColouredNoiseSamplesAreSmoothInTime) {
  // with beta = 2 neighbouring actions of a candidate are strongly correlated; with 0 they are not
  auto lag1 = [](double beta) {
    auto icem =
        make(IcemOptions().population_size(400).num_iterations(1).colored_noise_exponent(beta), 4);
    ObjectiveProbe probe(quadratic(torch::zeros({1, 20, 1})), icem.action_space(), true);
    // a wide box keeps clipping rare: samples have std 0.5 around 0 inside [-1, 1]
    icem.optimize(probe.objective(), torch::zeros({1, 20, 1}));
    auto x = probe.candidates[0][0].squeeze(-1);  // [P, H]
    x = x - x.mean();
    return (x.narrow(1, 0, 19) * x.narrow(1, 1, 19)).mean().item<double>() /
           x.square().mean().item<double>();
  };
  EXPECT_GT(lag1(2.0), 0.7);
  EXPECT_LT(std::abs(lag1(0.0)), 0.1);
}

TEST(IcemOptimizerTest, RejectsBadOptionsNamingThem) {
  EXPECT_THROW_WITH(make(IcemOptions().keep_elite_frac(1.2)), InvalidArgument, "keep_elite_frac");
  EXPECT_THROW_WITH(make(IcemOptions().population_decay_factor(0.9)), InvalidArgument,
                    "population_decay_factor");
  EXPECT_THROW_WITH(make(IcemOptions().colored_noise_exponent(-1.0)), InvalidArgument,
                    "colored_noise_exponent");
  EXPECT_THROW_WITH(make(IcemOptions().elite_ratio(2.0)), InvalidArgument, "elite_ratio");
}

}  // namespace
}  // namespace mbrl

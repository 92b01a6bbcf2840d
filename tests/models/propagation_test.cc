// Tests for models/propagation.cc.
#include "mbrl/models/propagation.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

TEST(PropagationTest, NamesRoundTrip) {
  for (auto p : {Propagation::kTs1, Propagation::kTsInf, Propagation::kExpectation,
                 Propagation::kRandomModel}) {
    EXPECT_EQ(parse_propagation(propagation_name(p)), p);
  }
  EXPECT_THROW_WITH(parse_propagation("fixed_model"), InvalidArgument,
                    "expected one of expectation, random_model, ts1, ts_inf");
}

TEST(PropagationTest, TsInfKeepsEachParticleOnOneMember) {
  auto gen = make_generator(0, torch::kCPU);
  auto first = draw_groups(Propagation::kTsInf, 60, 20, 5, gen);
  EXPECT_SHAPE(first, {60});
  for (int step = 0; step < 5; ++step) {
    EXPECT_TRUE(torch::equal(draw_groups(Propagation::kTsInf, 60, 20, 5, gen), first));
  }
  // each candidate's 20 particles: 4 on every member
  auto counts = first.view({3, 20});
  for (int64_t g = 0; g < 5; ++g)
    EXPECT_TRUE(torch::equal((counts == g).sum(1), torch::full({3}, 4, torch::kInt64)));
}

TEST(PropagationTest, Ts1RedealsParticlesEveryStepButEvenly) {
  auto gen = make_generator(0, torch::kCPU);
  auto first = draw_groups(Propagation::kTs1, 60, 20, 5, gen);
  bool changed = false;
  for (int step = 0; step < 5; ++step) {
    auto next = draw_groups(Propagation::kTs1, 60, 20, 5, gen);
    changed |= !torch::equal(next, first);
    auto per_candidate = next.view({3, 20});
    for (int64_t g = 0; g < 5; ++g) {
      EXPECT_TRUE(torch::equal((per_candidate == g).sum(1), torch::full({3}, 4, torch::kInt64)));
    }
  }
  EXPECT_TRUE(changed);
}

// PETS's TS1 draws each candidate's permutation on its own: candidates are not dealt alike
TEST(PropagationTest, Ts1DealsEachCandidateOnItsOwn) {
  auto gen = make_generator(0, torch::kCPU);
  const int64_t candidates = 50, particles = 20;
  auto perm = draw_groups(Propagation::kTs1, candidates * particles, particles, particles, gen)
                  .view({candidates, particles});
  // with groups = particles each row is a permutation of the particles
  EXPECT_TRUE(torch::equal(std::get<0>(perm.sort(1)),
                           torch::arange(particles).expand({candidates, particles})));
  int64_t same_as_first = 0;
  for (int64_t c = 1; c < candidates; ++c) same_as_first += torch::equal(perm[c], perm[0]);
  EXPECT_EQ(same_as_first, 0);  // 49 independent permutations of 20: a repeat has p < 1e-16
}

TEST(PropagationTest, RandomModelDrawsIndependently) {
  auto gen = make_generator(0, torch::kCPU);
  auto g = draw_groups(Propagation::kRandomModel, 10000, 20, 5, gen);
  EXPECT_GE(g.min().item<int64_t>(), 0);
  EXPECT_LE(g.max().item<int64_t>(), 4);
  // uniform within a few percent
  auto freq = g.bincount({}, 5).to(torch::kFloat64) / 10000.0;
  EXPECT_TENSOR_CLOSE(freq, torch::full({5}, 0.2, torch::kFloat64), 0, 0.03);
}

TEST(PropagationTest, SameSeedSameDraws) {
  auto g1 = make_generator(5, torch::kCPU), g2 = make_generator(5, torch::kCPU);
  EXPECT_TRUE(torch::equal(draw_groups(Propagation::kTs1, 40, 20, 7, g1),
                           draw_groups(Propagation::kTs1, 40, 20, 7, g2)));
}

TEST(PropagationTest, GroupRowsSortsStably) {
  auto group = torch::tensor({2, 0, 2, 1, 0}, torch::kInt64);
  MemberAssignment a = group_rows(group, 4);
  EXPECT_TRUE(torch::equal(a.order, torch::tensor({1, 4, 3, 0, 2}, torch::kInt64)));
  EXPECT_EQ(a.offsets, (std::vector<int64_t>{0, 2, 3, 5, 5}));
}

}  // namespace
}  // namespace mbrl

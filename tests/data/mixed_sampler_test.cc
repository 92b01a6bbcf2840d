// Tests for data/mixed_sampler.cc: MBPO's real/model minibatch split.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "mbrl/data/mixed_sampler.h"
#include "mbrl/data/replay_buffer.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"

namespace mbrl {
namespace {

class MixedSamplerTest : public test::MbrlTest {};

// a buffer of n transitions whose reward is `tag` (to tell the sources apart) and obs[0] = row
std::unique_ptr<ReplayBuffer> tagged_buffer(int64_t n, float tag) {
  auto b = std::make_unique<ReplayBuffer>(100, 2, 1);
  for (int64_t i = 0; i < n; ++i) {
    b->add(torch::tensor({static_cast<float>(i), 0.f}), torch::zeros({1}), torch::zeros({2}), tag,
           false, false);
  }
  return b;
}

TEST_F(MixedSamplerTest, RealRowsIsTheFlooredShare) {
  EXPECT_EQ(real_rows(256, 0.05), 12);  // 12.8
  EXPECT_EQ(real_rows(256, 0.0), 0);
  EXPECT_EQ(real_rows(256, 1.0), 256);
  EXPECT_EQ(real_rows(10, 0.5), 5);
  EXPECT_EQ(real_rows(3, 0.3), 0);  // 0.9
  EXPECT_THROW_WITH(real_rows(256, 1.5), InvalidArgument, "real_ratio");
  EXPECT_THROW_WITH(real_rows(256, -0.1), InvalidArgument, "real_ratio");
}

TEST_F(MixedSamplerTest, RealRowsFirstThenModelRows) {
  auto real = tagged_buffer(10, 1.f), model = tagged_buffer(20, -1.f);
  at::Generator gen = make_generator(3, torch::kCPU);
  TransitionBatch b = sample_mixed(*real, *model, 40, 0.25, gen);
  ASSERT_EQ(b.size(), 40);
  EXPECT_TRUE(b.reward.slice(0, 0, 10).eq(1.f).all().item<bool>());
  EXPECT_TRUE(b.reward.slice(0, 10, 40).eq(-1.f).all().item<bool>());
  // every row comes from its buffer's stored rows
  EXPECT_LT(b.obs.slice(0, 0, 10).select(1, 0).max().item<float>(), 10.f);
  EXPECT_LT(b.obs.slice(0, 10, 40).select(1, 0).max().item<float>(), 20.f);
  b.check(2, 1);
}

TEST_F(MixedSamplerTest, SameGeneratorStateSameBatch) {
  auto real = tagged_buffer(10, 1.f), model = tagged_buffer(20, -1.f);
  at::Generator g1 = make_generator(7, torch::kCPU), g2 = make_generator(7, torch::kCPU);
  TransitionBatch a = sample_mixed(*real, *model, 32, 0.5, g1);
  TransitionBatch b = sample_mixed(*real, *model, 32, 0.5, g2);
  EXPECT_TRUE(a.obs.equal(b.obs));
  TransitionBatch c = sample_mixed(*real, *model, 32, 0.5, g1);
  EXPECT_FALSE(a.obs.equal(c.obs));
}

TEST_F(MixedSamplerTest, PureRatiosNeedOnlyOneBuffer) {
  auto real = tagged_buffer(5, 1.f), empty = tagged_buffer(0, 0.f);
  at::Generator gen = make_generator(1, torch::kCPU);
  EXPECT_TRUE(sample_mixed(*real, *empty, 8, 1.0, gen).reward.eq(1.f).all().item<bool>());
  EXPECT_TRUE(sample_mixed(*empty, *real, 8, 0.0, gen).reward.eq(1.f).all().item<bool>());
}

TEST_F(MixedSamplerTest, ErrorsNameTheProblem) {
  auto real = tagged_buffer(5, 1.f), empty = tagged_buffer(0, 0.f);
  at::Generator gen = make_generator(1, torch::kCPU);
  EXPECT_THROW_WITH(sample_mixed(*real, *empty, 8, 0.5, gen), Error, "empty");
  EXPECT_THROW_WITH(sample_mixed(*empty, *real, 8, 0.5, gen), Error, "empty");
  EXPECT_THROW_WITH(sample_mixed(*real, *real, 0, 0.5, gen), InvalidArgument, "batch_size");
  EXPECT_THROW_WITH(sample_mixed(*real, *real, 8, 2.0, gen), InvalidArgument, "real_ratio");
}

}  // namespace
}  // namespace mbrl

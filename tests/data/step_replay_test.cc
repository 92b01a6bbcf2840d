// Tests for data/step_replay.cc: DreamerV3's step layout from an online loop's calls, the ring,
// sampling of consecutive chunks, and checkpoints.
#include "mbrl/data/step_replay.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>

#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

at::Tensor vec(std::initializer_list<float> v) { return torch::tensor(std::vector<float>(v)); }

// two episodes: o0 -a0,r0-> o1 -a1,r1-> o2 (terminated), then p0 -b0,s0-> p1
StepReplay two_episodes(int64_t capacity = 10) {
  StepReplay r(capacity, 2, 1);
  r.add_first(vec({0, 0}));
  r.add(vec({1, 1}), vec({0.5}), 1.0, false);
  r.add(vec({2, 2}), vec({-0.5}), 2.0, true);
  r.add_first(vec({10, 10}));
  r.add(vec({11, 11}), vec({0.25}), 3.0, false);
  return r;
}

TEST(StepReplayTest, EpisodesBecomeStepsAsDreamerRecordsThem) {
  StepReplay r = two_episodes();
  ASSERT_EQ(r.size(), 5);
  StepBatch b = r.chunks_at(torch::tensor({0}, torch::kInt64), 5);
  EXPECT_SHAPE(b.obs, {5, 1, 2});
  EXPECT_TENSOR_CLOSE(b.obs.select(1, 0).select(1, 0), vec({0, 1, 2, 10, 11}));
  EXPECT_TENSOR_CLOSE(b.prev_act.select(1, 0).select(1, 0), vec({0, 0.5, -0.5, 0, 0.25}));
  EXPECT_TENSOR_CLOSE(b.reward.select(1, 0), vec({0, 1, 2, 0, 3}));
  EXPECT_TRUE(
      torch::equal(b.is_first.select(1, 0), torch::tensor({1, 0, 0, 1, 0}).to(torch::kBool)));
  EXPECT_TRUE(
      torch::equal(b.is_terminal.select(1, 0), torch::tensor({0, 0, 1, 0, 0}).to(torch::kBool)));
}

TEST(StepReplayTest, TheRingKeepsTheNewestStepsInOrder) {
  StepReplay r = two_episodes(3);
  ASSERT_EQ(r.size(), 3);
  StepBatch b = r.chunks_at(torch::tensor({0}, torch::kInt64), 3);
  EXPECT_TENSOR_CLOSE(b.obs.select(1, 0).select(1, 0), vec({2, 10, 11}));
  EXPECT_TRUE(torch::equal(b.is_first.select(1, 0), torch::tensor({0, 1, 0}).to(torch::kBool)));
}

TEST(StepReplayTest, SamplesAreConsecutiveChunks) {
  StepReplay r(50, 1, 1);
  r.add_first(vec({0}));
  for (int i = 1; i < 80; ++i) r.add(vec({static_cast<float>(i)}), vec({0}), 0.0, false);
  auto gen = make_generator(0, torch::kCPU);
  StepBatch b = r.sample(64, 8, gen);
  EXPECT_SHAPE(b.obs, {8, 64, 1});
  auto o = b.obs.squeeze(-1);
  EXPECT_TRUE(torch::equal(o.narrow(0, 1, 7) - o.narrow(0, 0, 7), torch::ones({7, 64})));
  EXPECT_GE(o.min().item<float>(), 30.0f);  // the 50 newest of 80
  EXPECT_THROW(r.sample(1, 51, gen), Error);
}

TEST(StepReplayTest, AddBeforeTheFirstObservationIsAnError) {
  StepReplay r(5, 2, 1);
  EXPECT_THROW(r.add(vec({1, 1}), vec({0}), 0.0, false), std::logic_error);
}

TEST(StepReplayTest, CheckpointRoundTrip) {
  StepReplay r = two_episodes(4);
  torch::serialize::OutputArchive out;
  r.save(out);
  const auto path = test::scratch_dir() / "step_replay.pt";
  out.save_to(path.string());
  torch::serialize::InputArchive in;
  in.load_from(path.string());
  StepReplay back(4, 2, 1);
  back.load(in, path.string());
  ASSERT_EQ(back.size(), 4);
  StepBatch a = r.chunks_at(torch::tensor({0}, torch::kInt64), 4);
  StepBatch b = back.chunks_at(torch::tensor({0}, torch::kInt64), 4);
  EXPECT_TRUE(torch::equal(a.obs, b.obs));
  EXPECT_TRUE(torch::equal(a.prev_act, b.prev_act));
  EXPECT_TRUE(torch::equal(a.reward, b.reward));
  EXPECT_TRUE(torch::equal(a.is_first, b.is_first));
  EXPECT_TRUE(torch::equal(a.is_terminal, b.is_terminal));
  // the episode goes on after the resume, and the ring overwrites the same way
  r.add(vec({12, 12}), vec({0}), 4.0, false);
  back.add(vec({12, 12}), vec({0}), 4.0, false);
  EXPECT_TRUE(torch::equal(r.chunks_at(torch::tensor({0}, torch::kInt64), 4).obs,
                           back.chunks_at(torch::tensor({0}, torch::kInt64), 4).obs));

  torch::serialize::InputArchive empty;
  StepReplay none(4, 2, 1);
  EXPECT_THROW_WITH(none.load(empty, "ckpt.pt"), DataError, "steps_state");
}

}  // namespace
}  // namespace mbrl

// Tests for data/replay_buffer.cc.
#include "mbrl/data/replay_buffer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "mbrl/core/rng.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

// transition i: obs = [i, i], act = [-i], next = [i+1, i+1], reward i; episodes of `len` steps
void fill(ReplayBuffer& buf, int n, int len = 1000, int start = 0) {
  for (int i = start; i < start + n; ++i) {
    buf.add(torch::full({2}, double(i)), torch::full({1}, double(-i)), torch::full({2}, i + 1.0), i,
            false, (i + 1) % len == 0);
  }
}

TEST(ReplayBufferTest, StoresInOrderUntilFull) {
  ReplayBuffer buf(10, 2, 1);
  fill(buf, 4);
  EXPECT_EQ(buf.size(), 4);
  auto all = buf.all();
  EXPECT_SHAPE(all.obs, {4, 2});
  EXPECT_TENSOR_CLOSE(all.reward, torch::tensor({0.f, 1.f, 2.f, 3.f}));
}

TEST(ReplayBufferTest, WrapsAroundOverwritingTheOldest) {
  ReplayBuffer buf(5, 2, 1);
  fill(buf, 8);
  EXPECT_EQ(buf.size(), 5);
  EXPECT_EQ(buf.num_added(), 8);
  auto all = buf.all();
  EXPECT_TENSOR_CLOSE(all.reward, torch::tensor({3.f, 4.f, 5.f, 6.f, 7.f}));
  EXPECT_TENSOR_CLOSE(all.act.squeeze(1), -all.reward);
  EXPECT_TENSOR_CLOSE(all.next_obs.select(1, 0), all.reward + 1);
}

TEST(ReplayBufferTest, AddBatchEqualsRepeatedAdd) {
  ReplayBuffer a(6, 2, 1), b(6, 2, 1);
  fill(a, 9, 4);
  ReplayBuffer src(9, 2, 1);
  fill(src, 9, 4);
  b.add_batch(src.all());
  auto x = a.all(), y = b.all();
  EXPECT_TRUE(x.obs.equal(y.obs));
  EXPECT_TRUE(x.truncated.equal(y.truncated));
  EXPECT_EQ(a.episodes(), b.episodes());
  EXPECT_EQ(b.num_added(), 9);
}

TEST(ReplayBufferTest, SamplingIsUniformAndSeeded) {
  ReplayBuffer buf(100, 2, 1);
  fill(buf, 10);
  auto g1 = make_generator(5, torch::kCPU), g2 = make_generator(5, torch::kCPU);
  auto s1 = buf.sample(4000, g1), s2 = buf.sample(4000, g2);
  EXPECT_TRUE(s1.obs.equal(s2.obs));
  // every stored transition is drawn, about equally often
  auto counts = torch::bincount(s1.reward.to(torch::kInt64), {}, 10).to(torch::kFloat32);
  EXPECT_GT(counts.min().item<float>(), 300);
  EXPECT_LT(counts.max().item<float>(), 500);
  // rows stay consistent
  EXPECT_TENSOR_CLOSE(s1.obs.select(1, 0), s1.reward);
}

TEST(ReplayBufferTest, SequencesAreConsecutiveAndMarkEpisodeStarts) {
  ReplayBuffer buf(30, 2, 1);
  fill(buf, 47, /*len=*/7);  // stored: transitions 17..46; episodes start at multiples of 7
  auto gen = make_generator(2, torch::kCPU);
  const SequenceBatch seq = buf.sample_sequences(500, 9, gen);
  EXPECT_SHAPE(seq.obs, {9, 500, 2});
  EXPECT_SHAPE(seq.act, {9, 500, 1});
  EXPECT_SHAPE(seq.reward, {9, 500});
  EXPECT_SHAPE(seq.is_first, {9, 500});
  // each column is 9 consecutive transitions (rewards count up by one) inside the stored range
  EXPECT_TENSOR_CLOSE(seq.reward.diff(1, 0), torch::ones({8, 500}));
  EXPECT_GE(seq.reward.min().item<float>(), 17);
  EXPECT_LE(seq.reward.max().item<float>(), 46);
  // every first start position 17 .. 38 is drawn
  EXPECT_EQ(std::get<0>(at::_unique(seq.reward[0])).numel(), 22);
  EXPECT_TRUE(seq.is_first.equal(seq.reward.to(torch::kInt64).remainder(7) == 0));
  EXPECT_TRUE(seq.truncated.equal(seq.reward.to(torch::kInt64).remainder(7) == 6));
  EXPECT_TENSOR_CLOSE(seq.obs.select(2, 0), seq.reward);
  EXPECT_TENSOR_CLOSE(seq.next_obs.select(2, 0), seq.reward + 1);
  // seeded
  auto again = make_generator(2, torch::kCPU);
  EXPECT_TRUE(buf.sample_sequences(500, 9, again).obs.equal(seq.obs));
  EXPECT_THROW_WITH(buf.sample_sequences(4, 31, gen), InvalidArgument, "length");
  EXPECT_THROW_WITH(buf.sample_sequences(4, 0, gen), InvalidArgument, "length");
  EXPECT_SHAPE(buf.sample_sequences(4, 30, gen).obs, {30, 4, 2});
}

// Ids that stay with a transition as the ring turns: transition i (reward i) has transition_id i
// and episode_id 7 * floor(i / 7), also after save/load; the starts are the draw sample_sequences
// makes.
TEST(ReplayBufferTest, TransitionAndEpisodeIdsStayWithTheirTransitions) {
  ReplayBuffer buf(30, 2, 1);
  fill(buf, 47, /*len=*/7);  // stored: transitions 17..46
  const at::Tensor positions = torch::tensor({{0, 1}, {3, 29}});
  const at::Tensor reward = buf.at(positions.flatten()).reward.to(torch::kInt64).view({2, 2});
  EXPECT_TRUE(buf.transition_ids(positions).equal(reward));
  EXPECT_TRUE(buf.episode_ids(positions).equal(reward - reward.remainder(7)));
  EXPECT_TRUE(buf.episode_ids(positions).equal(torch::tensor({{14, 14}, {14, 42}})));
  // 28 later additions shift the positions, not the ids
  fill(buf, 28, 7, 47);
  const at::Tensor last = torch::tensor({29});
  EXPECT_EQ(buf.transition_ids(last).item<int64_t>(), 74);
  EXPECT_EQ(buf.episode_ids(last).item<int64_t>(), 70);
  const auto path = test::scratch_dir() / "ids.pt";
  buf.save(path);
  ReplayBuffer loaded(30, 2, 1);
  loaded.load(path);
  const at::Tensor all = torch::arange(30);
  EXPECT_TRUE(loaded.transition_ids(all).equal(buf.transition_ids(all)));
  EXPECT_TRUE(loaded.episode_ids(all).equal(buf.episode_ids(all)));

  auto g1 = make_generator(4, torch::kCPU), g2 = make_generator(4, torch::kCPU);
  const at::Tensor first = buf.sample_sequence_starts(50, 9, g1);
  EXPECT_SHAPE(first, {50});
  EXPECT_TRUE(buf.sequences_at(first, 9).obs.equal(buf.sample_sequences(50, 9, g2).obs));
  EXPECT_THROW_WITH(buf.sample_sequence_starts(4, 31, g1), InvalidArgument, "length");
}

TEST(ReplayBufferTest, RolloutStartsCarryTheTransitionsBeforeEachPosition) {
  ReplayBuffer buf(30, 2, 1);
  fill(buf, 47, /*len=*/7);  // stored: transitions 17..46 at positions 0..29; episodes at 7k
  // transition 31 (mid-episode), 35 (an episode's first step), 18 (one stored before it)
  const at::Tensor positions = torch::tensor({14, 18, 1});
  const RolloutStart start = buf.rollout_starts(positions, 4);
  EXPECT_TENSOR_CLOSE(start.obs, buf.at(positions).obs);
  EXPECT_TRUE(start.is_first.equal(torch::tensor({false, true, false})));
  EXPECT_SHAPE(start.history.obs, {4, 3, 2});
  EXPECT_SHAPE(start.history.act, {4, 3, 1});
  // the 4 transitions before each, padded with the oldest (17) where there are fewer
  EXPECT_TENSOR_CLOSE(
      start.history.reward,
      torch::tensor({{27, 31, 17}, {28, 32, 17}, {29, 33, 17}, {30, 34, 17}}).to(torch::kFloat32));
  // episodes start at 28; the padding and the oldest transition reset the memory
  EXPECT_TRUE(start.history.is_first.equal(torch::tensor(
      {{false, false, true}, {true, false, true}, {false, false, true}, {false, false, true}})));
  // the last transition of each history leads to the start (fill's episodes continue the count)
  EXPECT_TENSOR_CLOSE(start.history.next_obs[3], start.obs);
  // without history only the observations and the flags; position 0 starts afresh
  const RolloutStart none = buf.rollout_starts(torch::tensor({0, 5}), 0);
  EXPECT_FALSE(none.history.obs.defined());
  EXPECT_TRUE(none.is_first.equal(torch::tensor({true, false})));
  // sampled starts are sample()'s positions
  auto gen = make_generator(4, torch::kCPU), again = make_generator(4, torch::kCPU);
  EXPECT_TRUE(buf.sample_rollout_starts(50, 3, gen).obs.equal(buf.sample(50, again).obs));
  EXPECT_THROW_WITH(buf.rollout_starts(torch::tensor({30}), 2), Error, "positions");
  EXPECT_THROW_WITH(buf.rollout_starts(torch::tensor({3}), -1), InvalidArgument, "history");
}

TEST(ReplayBufferTest, EpisodeBoundaries) {
  ReplayBuffer buf(100, 2, 1);
  fill(buf, 10, 3);  // episodes [0,3) [3,6) [6,9), then one unfinished step
  auto eps = buf.episodes();
  ASSERT_EQ(eps.size(), 3u);
  EXPECT_EQ(eps[0], (std::pair<int64_t, int64_t>{0, 3}));
  EXPECT_EQ(eps[2], (std::pair<int64_t, int64_t>{6, 9}));
}

TEST(ReplayBufferTest, EpisodeWhoseStartWasOverwrittenIsLeftOut) {
  ReplayBuffer buf(7, 2, 1);
  fill(buf, 9, 3);  // stored: steps 2..8 -> partial [2], full [3,6), full [6,9)
  auto eps = buf.episodes();
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps[0], (std::pair<int64_t, int64_t>{1, 4}));
}

TEST(ReplayBufferTest, TerminatedEndsAnEpisode) {
  ReplayBuffer buf(10, 1, 1);
  buf.add(torch::zeros({1}), torch::zeros({1}), torch::zeros({1}), 0, false, false);
  buf.add(torch::zeros({1}), torch::zeros({1}), torch::zeros({1}), 0, true, false);
  buf.add(torch::zeros({1}), torch::zeros({1}), torch::zeros({1}), 0, false, false);
  ASSERT_EQ(buf.episodes().size(), 1u);
  EXPECT_EQ(buf.episodes()[0].second, 2);
}

TEST(ReplayBufferTest, SaveLoadRoundTrip) {
  auto dir = test::scratch_dir();
  ReplayBuffer buf(8, 2, 1);
  fill(buf, 11, 4);
  buf.save(dir / "buffer.pt");
  ReplayBuffer loaded(8, 2, 1);
  loaded.load(dir / "buffer.pt");
  EXPECT_EQ(loaded.size(), buf.size());
  EXPECT_EQ(loaded.num_added(), 11);
  EXPECT_TRUE(loaded.all().obs.equal(buf.all().obs));
  EXPECT_EQ(loaded.episodes(), buf.episodes());
  // the ring continues where it left off
  fill(buf, 3, 4, 11);
  fill(loaded, 3, 4, 11);
  EXPECT_TRUE(loaded.all().reward.equal(buf.all().reward));
}

TEST(ReplayBufferTest, LoadErrorsNameThePath) {
  auto dir = test::scratch_dir();
  ReplayBuffer buf(8, 2, 1);
  EXPECT_THROW_WITH(buf.load(dir / "missing.pt"), DataError, "missing.pt: file does not exist");
  std::ofstream(dir / "garbage.pt") << "not a torch archive";
  EXPECT_THROW_WITH(buf.load(dir / "garbage.pt"), DataError,
                    "garbage.pt: not a replay buffer file");
  ReplayBuffer other(8, 3, 1);
  fill(buf, 2);
  buf.save(dir / "two_dims.pt");
  EXPECT_THROW_WITH(other.load(dir / "two_dims.pt"), DataError,
                    "two_dims.pt: replay buffer entry 'obs' has shape [2, 2]");
}

TEST(ReplayBufferTest, LoadRejectsNonFiniteData) {
  auto dir = test::scratch_dir();
  ReplayBuffer buf(4, 1, 1);
  buf.add(torch::full({1}, NAN), torch::zeros({1}), torch::zeros({1}), 0, false, false);
  buf.save(dir / "nan.pt");
  ReplayBuffer loaded(4, 1, 1);
  EXPECT_THROW_WITH(loaded.load(dir / "nan.pt"), DataError,
                    "nan.pt: replay buffer contains non-finite values");
}

TEST(ReplayBufferTest, ShapeChecks) {
  ReplayBuffer buf(4, 2, 1);
  EXPECT_THROW_WITH(
      buf.add(torch::zeros({3}), torch::zeros({1}), torch::zeros({2}), 0, false, false), ShapeError,
      "obs: expected shape [2], got [3]");
  EXPECT_THROW_WITH(ReplayBuffer(0, 2, 1), InvalidArgument,
                    "capacity: expected a positive integer");
}

}  // namespace
}  // namespace mbrl

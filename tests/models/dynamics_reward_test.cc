// Tests for models/dynamics_reward.cc: the reward formula by hand, a fit that tells true
// transitions from corrupted ones, saving and loading.
#include "mbrl/models/dynamics_reward.h"

#include <cmath>
#include <sstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

TEST(DynamicsRewardTest, FromLogitsMatchesHandComputation) {
  // K = 2 discriminators, 2 transitions; R = 2 max(|2|, |-1|, |1|, |-3|) = 6
  const at::Tensor logits = torch::tensor({1.0f, 5.0f, 0.0f, -4.0f}).reshape({2, 2});
  const at::Tensor expert = torch::tensor({2.0f, 1.0f}), learner = torch::tensor({-1.0f, -3.0f});
  // discriminator 0 maps [-1, 2] onto [-3, 3]: 1 -> 1, 5 (clamped to 2) -> 3
  // discriminator 1 maps [-3, 1] onto [-3, 3]: 0 -> 1.5, -4 (clamped to -3) -> -3
  const double p0 = (sigmoid(1.0) + sigmoid(1.5)) / 2, p1 = (sigmoid(3.0) + sigmoid(-3.0)) / 2;
  const at::Tensor r = dynamics_reward_from_logits(logits, expert, learner, 1.0);
  EXPECT_TENSOR_CLOSE(r, torch::tensor({static_cast<float>(-std::log(1 - p0)),
                                        static_cast<float>(-std::log(1 - p1))}));
  // clip 0.5: every probability above 0.5 counts as 0.5
  const double q1 = (0.5 + sigmoid(-3.0)) / 2;
  EXPECT_TENSOR_CLOSE(
      dynamics_reward_from_logits(logits, expert, learner, 0.5),
      torch::tensor({static_cast<float>(std::log(2.0)), static_cast<float>(-std::log(1 - q1))}));
}

// s' = s + 0.1 a on 2-D states: the data the reward learns from
TransitionBatch linear_transitions(int64_t n, uint64_t seed) {
  at::Generator gen = make_generator(seed, torch::kCPU);
  TransitionBatch b;
  b.obs = torch::randn({n, 2}, gen);
  b.act = torch::rand({n, 1}, gen) * 2 - 1;
  b.next_obs = b.obs + 0.1 * b.act.expand({n, 2});
  b.reward = torch::zeros({n});
  b.terminated = torch::zeros({n}, torch::kBool);
  b.truncated = torch::zeros({n}, torch::kBool);
  return b;
}

DynamicsRewardOptions small_options() {
  return DynamicsRewardOptions()
      .hidden_size(32)
      .pretrain_steps(300)
      .iterations(600)
      .snapshot_every(20)
      .max_snapshots(10)
      .discriminator_lr(1e-3)
      .generator_lr(1e-3);
}

TEST(DynamicsRewardTest, FitRatesTrueTransitionsAboveCorruptedOnes) {
  const TransitionBatch data = linear_transitions(2000, 1);
  DynamicsReward reward(small_options(), 2, 1);
  at::Generator gen = make_generator(2, torch::kCPU);
  const DynamicsRewardFit fit = reward->fit(data, gen);
  EXPECT_GE(fit.snapshots, 1);
  EXPECT_LE(fit.snapshots, 10);
  EXPECT_EQ(reward->snapshots(), fit.snapshots);

  // held-out transitions: true ones, and the same with the next state pushed by 0.3 per dim
  const TransitionBatch test = linear_transitions(1000, 3);
  const at::Tensor true_r = reward->score(test.obs, test.act, test.next_obs);
  const at::Tensor wrong_r = reward->score(test.obs, test.act, test.next_obs + 0.3);
  EXPECT_SHAPE(true_r, {1000});
  EXPECT_TRUE((true_r >= 0).all().item<bool>());
  EXPECT_GT(true_r.mean().item<double>(), wrong_r.mean().item<double>() + 0.1)
      << true_r.mean() << " vs " << wrong_r.mean();
  EXPECT_GT((true_r > wrong_r).to(torch::kFloat).mean().item<double>(), 0.8);
  EXPECT_NEAR(
      fit.data_reward,
      reward->score(data.obs, data.act, data.next_obs).narrow(0, 0, 1000).mean().item<double>(),
      0.2);

  // leading dims are kept: [C, N] candidates of N rows
  const at::Tensor candidates = test.next_obs.narrow(0, 0, 5).unsqueeze(0).repeat({3, 1, 1});
  const at::Tensor obs = test.obs.narrow(0, 0, 5).unsqueeze(0).expand({3, 5, 2});
  const at::Tensor act = test.act.narrow(0, 0, 5).unsqueeze(0).expand({3, 5, 1});
  const at::Tensor r = reward->score(obs, act, candidates);
  EXPECT_SHAPE(r, {3, 5});
  EXPECT_TENSOR_CLOSE(r[2], true_r.narrow(0, 0, 5));
}

TEST(DynamicsRewardTest, SavedRewardLoadsWithTheSameScores) {
  const TransitionBatch data = linear_transitions(500, 4);
  DynamicsReward reward(small_options().iterations(100).pretrain_steps(50), 2, 1);
  at::Generator gen = make_generator(5, torch::kCPU);
  reward->fit(data, gen);
  std::stringstream stream;
  {
    torch::serialize::OutputArchive archive;
    reward->save(archive);
    archive.save_to(stream);
  }
  DynamicsReward loaded(small_options(), 2, 1);
  torch::serialize::InputArchive archive;
  archive.load_from(stream);
  loaded->load(archive, "reward.pt");
  EXPECT_EQ(loaded->snapshots(), reward->snapshots());
  EXPECT_TENSOR_CLOSE(loaded->score(data.obs, data.act, data.next_obs),
                      reward->score(data.obs, data.act, data.next_obs));

  stream.seekg(0);
  DynamicsReward other(small_options().hidden_size(16), 2, 1);
  torch::serialize::InputArchive again;
  again.load_from(stream);
  EXPECT_THROW_WITH(other->load(again, "reward.pt"), DataError, "reward.pt");
}

TEST(DynamicsRewardTest, RejectsBadOptionsAndScoresOnlyWhenFitted) {
  EXPECT_THROW_WITH(DynamicsReward(DynamicsRewardOptions().clip(1.5), 2, 1), InvalidArgument,
                    "clip");
  EXPECT_THROW_WITH(DynamicsReward(DynamicsRewardOptions().batch_size(1), 2, 1), InvalidArgument,
                    "batch_size");
  DynamicsReward reward(small_options(), 2, 1);
  EXPECT_THROW_WITH(reward->score(torch::zeros({1, 2}), torch::zeros({1, 1}), torch::zeros({1, 2})),
                    Error, "not fitted");
}

}  // namespace
}  // namespace mbrl

// Tests for envs/memory/delayed_recall.cc: the cue, the recall step and its reward, termination,
// seeding, options.
#include "mbrl/envs/memory/delayed_recall.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/envs/env_registry.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

TEST(DelayedRecallTest, CueFirstRewardAfterTheDelayThenTermination) {
  DelayedRecallEnv env(DelayedRecallOptions().delay(3).num_cues(4), /*seed=*/7);
  EXPECT_EQ(env.spec().obs_dim(), 5);
  EXPECT_EQ(env.spec().act_dim(), 4);
  EXPECT_EQ(env.spec().max_episode_steps, 4);
  const at::Tensor obs = env.reset();
  const int64_t cue = env.cue();
  EXPECT_TENSOR_CLOSE(obs.narrow(0, 0, 4), torch::one_hot(torch::tensor(cue), 4).to(torch::kFloat));
  EXPECT_EQ(obs[4].item<float>(), 0.f);
  const at::Tensor act = torch::tensor({0.1f, -0.2f, 0.3f, -0.4f});
  for (int t = 0; t < 3; ++t) {
    StepResult r = env.step(act);
    EXPECT_EQ(r.reward, 0.0) << t;
    EXPECT_FALSE(r.terminated) << t;
    EXPECT_TENSOR_CLOSE(r.obs.narrow(0, 0, 4), torch::zeros({4}));
    EXPECT_EQ(r.obs[4].item<float>(), t == 2 ? 1.f : 0.f) << t;  // the flag at t = L = 3
  }
  StepResult recall = env.step(act);
  EXPECT_NEAR(recall.reward, act[cue].item<double>(), 1e-7);
  EXPECT_TRUE(recall.terminated);
  EXPECT_THROW(env.step(act), Error);
}

TEST(DelayedRecallTest, CuesAreUniformAndSeeded) {
  DelayedRecallEnv a(DelayedRecallOptions().delay(1).num_cues(3), 1);
  DelayedRecallEnv b(DelayedRecallOptions().delay(1).num_cues(3), 1);
  std::vector<int> counts(3, 0);
  for (int i = 0; i < 600; ++i) {
    a.reset();
    b.reset();
    EXPECT_EQ(a.cue(), b.cue());
    ++counts[static_cast<size_t>(a.cue())];
  }
  for (int c : counts) EXPECT_GT(c, 150);
}

TEST(DelayedRecallTest, DistractorNoiseHidesNothingOfTheFirstStep) {
  DelayedRecallEnv env(DelayedRecallOptions().delay(5).num_cues(2).distractor_noise(0.5), 3);
  const at::Tensor first = env.reset();
  EXPECT_EQ(first.narrow(0, 0, 2).sum().item<float>(), 1.f);
  const at::Tensor later = env.step(torch::zeros({2})).obs;
  EXPECT_GT(later.narrow(0, 0, 2).abs().sum().item<float>(), 0.f);
}

TEST(DelayedRecallTest, BuiltFromConfigWithBadOptionsNamed) {
  register_envs();
  auto env =
      make_env(load_config_string("type: delayed_recall\ndelay: 10\nnum_cues: 3\n", "e.yaml"),
               BuildContext{});
  EXPECT_EQ(env->spec().max_episode_steps, 11);
  EXPECT_EQ(env->spec().obs_dim(), 4);
  EXPECT_THROW_WITH(
      make_env(load_config_string("type: delayed_recall\ndelay: 0\n", "e.yaml"), BuildContext{}),
      ConfigError, "delay");
  EXPECT_THROW_WITH(
      make_env(load_config_string("type: delayed_recall\nnum_cues: 1\n", "e.yaml"), BuildContext{}),
      ConfigError, "num_cues");
}

}  // namespace
}  // namespace mbrl

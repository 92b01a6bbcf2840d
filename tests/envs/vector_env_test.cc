// Tests for envs/vector_env.cc.
#include "mbrl/envs/vector_env.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/core/error.h"
#include "mbrl/envs/env_registry.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

std::shared_ptr<Env> build(const std::string& yaml) {
  return make_env(load_config_string(yaml, "test"), BuildContext{});
}

std::vector<std::shared_ptr<Env>> build_n(const std::string& yaml, int n) {
  std::vector<std::shared_ptr<Env>> envs;
  for (int i = 0; i < n; ++i) envs.push_back(build(yaml));
  return envs;
}

at::Tensor random_actions(const EnvSpec& spec, int64_t n, at::Generator& gen) {
  const Box& box = spec.action_space;
  return box.low + (box.high - box.low) * torch::rand({n, spec.act_dim()}, gen);
}

struct Trace {
  std::vector<at::Tensor> next_obs, final_obs, reward, terminated, truncated;
};

Trace run(VectorEnv& venv, int steps, uint64_t seed) {
  Trace t;
  venv.reset(seed);
  auto gen = make_generator(seed, torch::kCPU);
  for (int s = 0; s < steps; ++s) {
    VectorStepResult r = venv.step(random_actions(venv.spec(), venv.num_envs(), gen));
    t.next_obs.push_back(r.next_obs);
    t.final_obs.push_back(r.final_obs);
    t.reward.push_back(r.reward);
    t.terminated.push_back(r.terminated);
    t.truncated.push_back(r.truncated);
  }
  return t;
}

// N envs stepped by the VectorEnv give exactly what N envs stepped one by one give, auto-reset
// included (a reset without seed continues each env's stream).
TEST(VectorEnvTest, MatchesEnvsSteppedOneByOne) {
  const int n = 3;
  VectorEnv venv(build_n("type: hopper", n), std::make_shared<ThreadPool>(2));
  auto singles = build_n("type: hopper", n);
  Trace t = run(venv, 120, 9);

  auto gen = make_generator(9, torch::kCPU);
  std::vector<at::Tensor> obs;
  for (int i = 0; i < n; ++i) obs.push_back(singles[i]->reset(9 + i));
  int64_t resets = 0;
  for (int s = 0; s < 120; ++s) {
    const at::Tensor act = random_actions(venv.spec(), n, gen);
    for (int i = 0; i < n; ++i) {
      StepResult r = singles[i]->step(act[i]);
      ASSERT_TRUE(torch::equal(t.final_obs[s][i], r.obs)) << "step " << s << " env " << i;
      ASSERT_EQ(t.reward[s][i].item<float>(), static_cast<float>(r.reward));
      ASSERT_EQ(t.terminated[s][i].item<bool>(), r.terminated);
      obs[i] = (r.terminated || r.truncated) ? singles[i]->reset() : r.obs;
      resets += r.terminated || r.truncated;
      ASSERT_TRUE(torch::equal(t.next_obs[s][i], obs[i]));
    }
  }
  EXPECT_GT(resets, 0);  // random hoppers fall: auto-reset was exercised
}

TEST(VectorEnvTest, SameResultsForAnyThreadCount) {
  VectorEnv one(build_n("type: walker2d", 4), std::make_shared<ThreadPool>(1));
  VectorEnv two(build_n("type: walker2d", 4), std::make_shared<ThreadPool>(2));
  VectorEnv three(build_n("type: walker2d", 4), std::make_shared<ThreadPool>(3));
  Trace a = run(one, 60, 1), b = run(two, 60, 1), c = run(three, 60, 1);
  for (int s = 0; s < 60; ++s) {
    ASSERT_TRUE(torch::equal(a.next_obs[s], b.next_obs[s]));
    ASSERT_TRUE(torch::equal(a.next_obs[s], c.next_obs[s]));
    ASSERT_TRUE(torch::equal(a.reward[s], c.reward[s]));
    ASSERT_TRUE(torch::equal(a.terminated[s], c.terminated[s]));
  }
}

TEST(VectorEnvTest, ShapesAndFinalObservations) {
  VectorEnv venv(build_n("type: hopper", 2), nullptr);
  EXPECT_SHAPE(venv.reset(std::vector<uint64_t>{4, 5}), {2, 11});
  auto gen = make_generator(0, torch::kCPU);
  bool saw_end = false;
  for (int s = 0; s < 200 && !saw_end; ++s) {
    VectorStepResult r = venv.step(random_actions(venv.spec(), 2, gen).to(torch::kFloat64));
    EXPECT_SHAPE(r.next_obs, {2, 11});
    EXPECT_SHAPE(r.reward, {2});
    EXPECT_EQ(r.terminated.scalar_type(), torch::kBool);
    for (int i = 0; i < 2; ++i) {
      const bool done = r.terminated[i].item<bool>() || r.truncated[i].item<bool>();
      EXPECT_EQ(torch::equal(r.next_obs[i], r.final_obs[i]), !done);
      if (done) {
        saw_end = true;
        EXPECT_NEAR(r.next_obs[i][0].item<double>(), 1.25, 5e-3);  // a fresh hopper stands tall
      }
    }
  }
  EXPECT_TRUE(saw_end);
}

TEST(VectorEnvTest, WorksForClassicEnvsAndTruncates) {
  BuildContext ctx;
  ctx.thread_pool = std::make_shared<ThreadPool>(2);
  auto venv = make_vector_env(load_config_string("type: pendulum", "test"), ctx, 3);
  venv->reset(0);
  VectorStepResult r;
  for (int s = 0; s < 200; ++s) r = venv->step(torch::zeros({3, 1}));
  EXPECT_TRUE(r.truncated.all().item<bool>());  // pendulum's 200-step time limit
  EXPECT_FALSE(r.terminated.any().item<bool>());
  EXPECT_FALSE(torch::equal(r.next_obs, r.final_obs));
  r = venv->step(torch::zeros({3, 1}));
  EXPECT_FALSE(r.truncated.any().item<bool>());
}

TEST(VectorEnvTest, MakeVectorEnvGivesEachEnvItsOwnStream) {
  auto venv = make_vector_env(load_config_string("type: ant", "test"), BuildContext{}, 2);
  const at::Tensor unseeded = venv->reset();  // each env's stream from its build seed
  EXPECT_FALSE(torch::equal(unseeded[0], unseeded[1]));
  auto again = make_vector_env(load_config_string("type: ant", "test"), BuildContext{}, 2);
  EXPECT_TRUE(torch::equal(again->reset(), unseeded));
  const at::Tensor same = venv->reset(std::vector<uint64_t>{3, 3});
  EXPECT_TRUE(torch::equal(same[0], same[1]));
  const at::Tensor obs = venv->reset(3);  // seeds 3 and 4
  EXPECT_FALSE(torch::equal(obs[0], obs[1]));
}

TEST(VectorEnvTest, RejectsBadCalls) {
  VectorEnv venv(build_n("type: inverted_pendulum", 2), nullptr);
  EXPECT_THROW_WITH(venv.step(torch::zeros({2, 1})), Error, "before reset");
  EXPECT_THROW_WITH(venv.reset(std::vector<uint64_t>{1}), InvalidArgument, "seeds");
  venv.reset(0);
  EXPECT_THROW_WITH(venv.step(torch::zeros({3, 1})), ShapeError, "act");
  EXPECT_THROW_WITH(make_vector_env(load_config_string("type: hopper", "t"), BuildContext{}, 0),
                    InvalidArgument, "num_envs");
  std::vector<std::shared_ptr<Env>> mixed{build("type: hopper"), build("type: ant")};
  EXPECT_THROW_WITH(VectorEnv(mixed, nullptr), Error, "same spec");
}

}  // namespace
}  // namespace mbrl

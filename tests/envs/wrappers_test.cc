// Tests for envs/wrappers/*.cc and make_env's wrapper keys.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/envs/task_functions.h"
#include "mbrl/envs/wrappers/rescale_action.h"
#include "mbrl/envs/wrappers/time_limit.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

std::shared_ptr<Env> build(const std::string& yaml) {
  register_envs();
  auto node = load_config_string(yaml, "env.yaml");
  return make_env(node, BuildContext{});
}

TEST(TimeLimitTest, TruncatesAtTheLimit) {
  auto env = build("type: pendulum\nmax_episode_steps: 5\n");
  EXPECT_EQ(env->spec().max_episode_steps, 5);
  env->reset(0);
  for (int i = 1; i <= 5; ++i) {
    StepResult r = env->step(torch::zeros({1}));
    EXPECT_EQ(r.truncated, i == 5) << i;
  }
  env->reset();
  EXPECT_FALSE(env->step(torch::zeros({1})).truncated);
}

TEST(TimeLimitTest, DefaultIsTheTasksOwnLimit) {
  EXPECT_EQ(build("type: cartpole_swingup\n")->spec().max_episode_steps, 200);
  EXPECT_EQ(build("type: mountain_car_continuous\n")->spec().max_episode_steps, 999);
  EXPECT_EQ(build("type: pendulum\nmax_episode_steps: 0\n")->spec().max_episode_steps, 0);
}

TEST(TimeLimitTest, NegativeLimitIsAConfigError) {
  EXPECT_THROW_WITH(build("type: pendulum\nmax_episode_steps: -1\n"), ConfigError,
                    "env.yaml:2:20: max_episode_steps: expected a non-negative integer");
}

TEST(RescaleActionTest, MapsUnitBoxOntoBoundsForEnvAndTask) {
  auto raw = build("type: pendulum\n");
  auto env = build("type: pendulum\nnormalize_actions: true\n");
  EXPECT_TENSOR_CLOSE(env->spec().action_space.low, torch::tensor({-1.0f}));
  EXPECT_TENSOR_CLOSE(env->spec().action_space.high, torch::tensor({1.0f}));
  raw->reset(7);
  env->reset(7);
  // 0.5 in [-1, 1] is torque 1.0 in [-2, 2]
  StepResult a = env->step(torch::tensor({0.5f}));
  StepResult b = raw->step(torch::tensor({1.0f}));
  EXPECT_TRUE(a.obs.equal(b.obs));
  EXPECT_DOUBLE_EQ(a.reward, b.reward);
  auto obs = torch::tensor({{1.0f, 0.0f, 0.5f}});
  EXPECT_TENSOR_CLOSE(env->task_functions()->reward(obs, torch::tensor({{0.5f}}), obs),
                      raw->task_functions()->reward(obs, torch::tensor({{1.0f}}), obs));
}

TEST(ObserveSubsetTest, KeepsTheListedEntriesAndHasNoTaskFunctions) {
  auto full = build("type: pendulum\n");
  auto partial = build("type: pendulum\nobserve: [1, 0]\n");
  EXPECT_EQ(partial->spec().obs_dim(), 2);
  EXPECT_EQ(partial->task_functions(), nullptr);
  EXPECT_TENSOR_CLOSE(partial->spec().observation_space.high, torch::tensor({1.f, 1.f}));
  const at::Tensor o_full = full->reset(4), o_part = partial->reset(4);
  EXPECT_TENSOR_CLOSE(o_part, torch::stack({o_full[1], o_full[0]}));
  const StepResult a = full->step(torch::ones({1})), b = partial->step(torch::ones({1}));
  EXPECT_TENSOR_CLOSE(b.obs, torch::stack({a.obs[1], a.obs[0]}));
  EXPECT_EQ(a.reward, b.reward);
}

TEST(ObserveSubsetTest, BadIndicesAreConfigErrorsAtTheKey) {
  EXPECT_THROW_WITH(build("type: pendulum\nobserve: [0, 3]\n"), ConfigError, "observe");
  EXPECT_THROW_WITH(build("type: pendulum\nobserve: [0, 0]\n"), ConfigError, "distinct");
  EXPECT_THROW_WITH(build("type: pendulum\nobserve: []\n"), ConfigError, "observe");
  EXPECT_THROW_WITH(build("type: pendulum\nobserve: velocity\n"), ConfigError, "observe");
}

TEST(MakeEnvTest, UnknownTypeListsRegisteredTypes) {
  EXPECT_THROW_WITH(
      build("type: cartpol\n"), ConfigError,
      "env.yaml:1:7: type: unknown envs type 'cartpol'; registered: ant, cartpole_swingup, ");
}

TEST(MakeEnvTest, EnvOptionTypeIsChecked) {
  EXPECT_THROW_WITH(build("type: pendulum\ngravity: heavy\n"), ConfigError,
                    "gravity: expected a finite number, got 'heavy'");
  EXPECT_THROW_WITH(build("type: pendulum\ngravity: -1\n"), ConfigError,
                    "env.yaml:2:10: gravity: expected a positive number, got -1");
}

}  // namespace
}  // namespace mbrl

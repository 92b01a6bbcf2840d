// Tests for envs/classic/cartpole.cc (Gymnasium CartPole-v1): steps against a hand-computed
// trajectory, the discrete action read as a choice, termination, reset, the task functions, and
// the wrappers and agents that refuse discrete actions.
#include "mbrl/envs/classic/cartpole.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "mbrl/agents/random_agent.h"
#include "mbrl/config/loader.h"
#include "mbrl/core/rng.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/envs/env_tensors.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

at::Tensor choice(int64_t index) { return one_hot_action(index, 2); }

// Gymnasium cartpole.py's Euler step worked out in double precision for this start and these
// choices (right, right, left, right, left)
TEST(CartpoleTest, FollowsTheHandComputedTrajectory) {
  CartpoleEnv env;
  env.reset(0);
  env.set_state({0.01, -0.02, 0.03, 0.04});
  const int64_t choices[] = {1, 1, 0, 1, 0};
  const std::array<double, 4> expected[] = {
      {0.009600000000, 0.174679195748, 0.030800000000, -0.243068717960},
      {0.013093583915, 0.369347976058, 0.025938625641, -0.525879628050},
      {0.020480543436, 0.173870812605, 0.015421033080, -0.225137416092},
      {0.023957959688, 0.368769010175, 0.010918284758, -0.512916347803},
      {0.031333339892, 0.173494992751, 0.000659957802, -0.216812868357}};
  for (int t = 0; t < 5; ++t) {
    StepResult r = env.step(choice(choices[t]));
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(env.state()[i], expected[t][i], 1e-11) << t << i;
    EXPECT_TENSOR_CLOSE(r.obs,
                        torch::tensor(std::vector<double>(expected[t].begin(), expected[t].end()))
                            .to(torch::kFloat32));
    EXPECT_EQ(r.reward, 1.0);
    EXPECT_FALSE(r.terminated);
  }
}

TEST(CartpoleTest, TheChoiceIsTheFirstLargestEntry) {
  auto after = [](const at::Tensor& act) {
    CartpoleEnv env;
    env.reset(0);
    env.set_state({0, 0, 0, 0});
    env.step(act);
    return env.state()[1];  // x_dot: positive after a push to the right
  };
  EXPECT_GT(after(torch::tensor({0.2f, 0.9f})), 0);
  EXPECT_LT(after(torch::tensor({0.9f, 0.2f})), 0);
  EXPECT_LT(after(torch::tensor({0.5f, 0.5f})), 0);  // a tie picks the first: left
  CartpoleEnv env;
  env.reset(0);
  EXPECT_THROW_WITH(env.step(torch::zeros({1})), ShapeError,
                    "cartpole_v1: expected an action of shape [2], got [1]");
}

TEST(CartpoleTest, TerminatesPastTwelveDegreesOrOffTheTrack) {
  CartpoleEnv env;
  env.reset(0);
  // theta' = 0.2 + 0.02 * 0.5 = 0.21 > 12 degrees (0.20944): terminated, still rewarded
  env.set_state({0, 0, 0.2, 0.5});
  StepResult r = env.step(choice(0));
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, 1.0);
  env.set_state({2.39, 1.0, 0, 0});  // x' = 2.41
  EXPECT_TRUE(env.step(choice(1)).terminated);
  env.set_state({2.3, 1.0, 0, 0});
  EXPECT_FALSE(env.step(choice(1)).terminated);
}

TEST(CartpoleTest, SpecResetAndTaskFunctions) {
  register_envs();
  auto env = make_env(load_config_string("type: cartpole_v1", "t"), BuildContext{});
  const EnvSpec& spec = env->spec();
  EXPECT_TRUE(spec.discrete_actions);
  EXPECT_EQ(spec.act_dim(), 2);
  EXPECT_EQ(spec.obs_dim(), 4);
  EXPECT_EQ(spec.max_episode_steps, 500);
  EXPECT_TRUE(spec.action_space.contains(choice(1)));
  for (uint64_t s = 0; s < 20; ++s) {
    EXPECT_LE(env->reset(s).abs().max().item<float>(), 0.05f);
  }
  // random choices: the task's terminated flags and rewards are the env's
  RandomAgent agent(spec.action_space, make_generator(0, torch::kCPU), true);
  std::vector<at::Tensor> obs, act, next;
  std::vector<uint8_t> terminated;
  at::Tensor o = env->reset(1);
  int episodes = 0;
  while (episodes < 20) {
    const at::Tensor a = agent.act(o);
    StepResult r = env->step(a);
    obs.push_back(o), act.push_back(a), next.push_back(r.obs);
    terminated.push_back(r.terminated);
    if (r.terminated || r.truncated) ++episodes;
    o = (r.terminated || r.truncated) ? env->reset() : r.obs;
  }
  auto task = env->task_functions();
  const at::Tensor O = torch::stack(obs), A = torch::stack(act), N = torch::stack(next);
  EXPECT_TRUE(task->terminated(N).equal(torch::tensor(terminated).to(torch::kBool)));
  EXPECT_TRUE(task->reward(O, A, N).equal(torch::ones({O.size(0)})));
  // random play lasts about 22 steps per episode (Gymnasium's CartPole-v1 with random actions)
  const double mean_length = static_cast<double>(O.size(0)) / episodes;
  EXPECT_GT(mean_length, 12);
  EXPECT_LT(mean_length, 40);
}

TEST(CartpoleTest, TheRandomAgentChoosesOneHotUniformly) {
  RandomAgent agent(Box::uniform(3, 0.0, 1.0), make_generator(4, torch::kCPU), true);
  at::Tensor counts = torch::zeros({3});
  for (int i = 0; i < 3000; ++i) {
    const at::Tensor a = agent.act(torch::zeros({4}));
    ASSERT_EQ(a.sum().item<float>(), 1.0f);
    ASSERT_EQ(a.max().item<float>(), 1.0f);
    counts += a;
  }
  EXPECT_LT((counts / 3000 - 1.0 / 3).abs().max().item<float>(), 0.04f);
}

TEST(CartpoleTest, RescalingDiscreteActionsIsRefused) {
  register_envs();
  EXPECT_THROW_WITH(
      make_env(load_config_string("type: cartpole_v1\nnormalize_actions: true\n", "env.yaml"),
               BuildContext{}),
      ConfigError, "normalize_actions");
}

}  // namespace
}  // namespace mbrl

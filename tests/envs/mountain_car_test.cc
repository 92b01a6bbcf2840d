// Tests for envs/classic/mountain_car.cc (Gymnasium MountainCar-v0): steps against a
// hand-computed trajectory, the left wall, the goal, and random play.
#include "mbrl/envs/classic/mountain_car.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/agents/random_agent.h"
#include "mbrl/config/loader.h"
#include "mbrl/core/rng.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/envs/env_tensors.h"
#include "tests/support/expect_throw.h"

namespace mbrl {
namespace {

at::Tensor choice(int64_t index) { return one_hot_action(index, 3); }

// mountain_car.py's step worked out in double precision from p = -0.5, v = 0 for the choices
// right, right, left, none, right
TEST(MountainCarTest, FollowsTheHandComputedTrajectory) {
  MountainCarEnv env;
  env.reset(0);
  env.set_state(-0.5, 0.0);
  const int64_t choices[] = {2, 2, 0, 1, 2};
  const double expected[][2] = {{-0.499176843004169, 0.000823156995831},
                                {-0.497536686679353, 0.001640156324816},
                                {-0.497091796932347, 0.000444889747006},
                                {-0.496845500067847, 0.000246296864500},
                                {-0.495799637420493, 0.001045862647354}};
  for (int t = 0; t < 5; ++t) {
    StepResult r = env.step(choice(choices[t]));
    EXPECT_NEAR(env.state()[0], expected[t][0], 1e-13) << t;
    EXPECT_NEAR(env.state()[1], expected[t][1], 1e-13) << t;
    EXPECT_EQ(r.reward, -1.0);
    EXPECT_FALSE(r.terminated);
  }
  EXPECT_THROW_WITH(env.step(torch::zeros({2})), ShapeError,
                    "mountain_car: expected an action of shape [3], got [2]");
}

TEST(MountainCarTest, TheLeftWallStopsTheCarAndTheGoalTerminates) {
  MountainCarEnv env;
  env.reset(0);
  env.set_state(-1.19, -0.05);
  env.step(choice(0));
  EXPECT_EQ(env.state()[0], -1.2);
  EXPECT_EQ(env.state()[1], 0.0);
  env.set_state(0.49, 0.02);  // p' = 0.49 + v' >= 0.5 with v' > 0
  StepResult r = env.step(choice(2));
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, -1.0);
  EXPECT_TRUE(env.task_functions()->terminated(r.obs.unsqueeze(0)).item<bool>());
}

TEST(MountainCarTest, RandomPlayNeverReachesTheGoal) {
  register_envs();
  auto env = make_env(load_config_string("type: mountain_car", "t"), BuildContext{});
  EXPECT_TRUE(env->spec().discrete_actions);
  EXPECT_EQ(env->spec().act_dim(), 3);
  RandomAgent agent(env->spec().action_space, make_generator(0, torch::kCPU), true);
  for (uint64_t episode = 0; episode < 5; ++episode) {
    at::Tensor obs = env->reset(episode);
    int steps = 0;
    StepResult r;
    do {
      r = env->step(agent.act(obs));
      obs = r.obs;
      ++steps;
    } while (!r.terminated && !r.truncated);
    EXPECT_FALSE(r.terminated);
    EXPECT_EQ(steps, 200);
  }
}

}  // namespace
}  // namespace mbrl

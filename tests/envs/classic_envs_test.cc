// Tests for envs/classic/*.cc: dynamics against hand-computed steps and against MuJoCo, rewards,
// termination, seeding, and batched task functions against the envs.
#include <gtest/gtest.h>
#include <mujoco/mujoco.h>
#include <torch/torch.h>

#include <cmath>

#include "mbrl/config/loader.h"
#include "mbrl/envs/classic/cartpole_swingup.h"
#include "mbrl/envs/classic/mountain_car_continuous.h"
#include "mbrl/envs/classic/pendulum.h"
#include "mbrl/envs/env_registry.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

constexpr double kPi = 3.14159265358979323846;

at::Tensor action(double a) { return torch::tensor({a}, torch::kFloat32); }

TEST(PendulumTest, OneStepByHand) {
  PendulumEnv env;
  env.reset(0);
  env.set_state(0.5, -1.0);
  StepResult r = env.step(action(1.5));
  // Gymnasium Pendulum-v1: thdot' = thdot + (3g/2l sin th + 3/(ml^2) u) dt, th' = th + thdot' dt
  const double thdot = -1.0 + (15.0 * std::sin(0.5) + 3.0 * 1.5) * 0.05;
  const double th = 0.5 + thdot * 0.05;
  EXPECT_NEAR(env.state()[0], th, 1e-12);
  EXPECT_NEAR(env.state()[1], thdot, 1e-12);
  EXPECT_NEAR(r.reward, -(0.25 + 0.1 * 1.0 + 0.001 * 2.25), 1e-12);
  EXPECT_TENSOR_CLOSE(r.obs, torch::tensor({std::cos(th), std::sin(th), thdot}, torch::kFloat32));
  EXPECT_FALSE(r.terminated);
}

TEST(PendulumTest, ClipsTorqueAndSpeedAndWrapsAngleInCost) {
  PendulumEnv env;
  env.reset(0);
  env.set_state(2 * kPi + 0.1, 7.9);
  StepResult r = env.step(action(10.0));  // torque clipped to 2
  EXPECT_NEAR(r.reward, -(0.01 + 0.1 * 7.9 * 7.9 + 0.001 * 4.0), 1e-9);
  EXPECT_DOUBLE_EQ(env.state()[1], 8.0);  // speed clipped
}

TEST(PendulumTest, ResetDistribution) {
  PendulumEnv env;
  for (uint64_t s = 0; s < 50; ++s) {
    env.reset(s);
    EXPECT_LE(std::abs(env.state()[0]), kPi);
    EXPECT_LE(std::abs(env.state()[1]), 1.0);
  }
}

TEST(MountainCarContinuousTest, OneStepByHand) {
  MountainCarContinuousEnv env;
  env.reset(0);
  env.set_state(-0.5, 0.01);
  StepResult r = env.step(action(0.75));  // exact in float32
  const double v = 0.01 + 0.75 * 0.0015 - 0.0025 * std::cos(-1.5);
  EXPECT_NEAR(env.state()[1], v, 1e-12);
  EXPECT_NEAR(env.state()[0], -0.5 + v, 1e-12);
  EXPECT_NEAR(r.reward, -0.1 * 0.5625, 1e-12);
  EXPECT_FALSE(r.terminated);
}

TEST(MountainCarContinuousTest, TerminatesAtTheGoalWithBonus) {
  MountainCarContinuousEnv env;
  env.reset(0);
  env.set_state(0.44, 0.02);
  StepResult r = env.step(action(1.0));
  EXPECT_TRUE(r.terminated);
  EXPECT_NEAR(r.reward, 100.0 - 0.1, 1e-12);
}

TEST(MountainCarContinuousTest, LeftWallStopsTheCar) {
  MountainCarContinuousEnv env;
  env.reset(0);
  env.set_state(-1.19, -0.05);
  env.step(action(-1.0));
  EXPECT_DOUBLE_EQ(env.state()[0], -1.2);
  EXPECT_DOUBLE_EQ(env.state()[1], 0.0);
}

TEST(CartpoleSwingupTest, RewardIsOneUprightAtTheCentre) {
  CartpoleSwingupEnv env;
  env.reset(0);
  env.set_state({0.0, kPi, 0.0, 0.0});
  StepResult r = env.step(action(0.0));
  EXPECT_NEAR(r.reward, 1.0, 1e-3);  // the pole barely moves in 0.04 s from upright rest
  env.set_state({0.0, 0.0, 0.0, 0.0});
  r = env.step(action(0.0));
  EXPECT_NEAR(r.reward, std::exp(-1.44 / 0.36), 1e-9);  // hanging down, tip at distance 1.2
  EXPECT_TRUE(env.state() == (std::array<double, 4>{0, 0, 0, 0}));  // rest is an equilibrium
}

TEST(CartpoleSwingupTest, ControlCostAndClipping) {
  CartpoleSwingupEnv a, b;
  a.reset(0);
  b.reset(0);
  a.set_state({0.1, 0.2, 0.3, 0.4});
  b.set_state({0.1, 0.2, 0.3, 0.4});
  StepResult ra = a.step(action(3.0));
  StepResult rb = b.step(action(5.0));  // clipped to 3
  EXPECT_EQ(a.state(), b.state());
  EXPECT_DOUBLE_EQ(ra.reward, rb.reward);
}

// our own MJCF of the same cart-pole (capsule geoms, density 1000, damping 1, gear 100, RK4 0.02)
constexpr char kCartpoleXml[] = R"(
<mujoco>
  <compiler inertiafromgeom="true"/>
  <default><joint damping="1"/><geom contype="0" conaffinity="0"/></default>
  <option gravity="0 0 -9.81" integrator="RK4" timestep="0.02"/>
  <worldbody>
    <body name="cart">
      <joint name="slider" type="slide" axis="1 0 0"/>
      <geom type="capsule" size="0.1 0.1" quat="0.70710678 0 0.70710678 0"/>
      <body name="pole">
        <joint name="hinge" type="hinge" axis="0 1 0"/>
        <geom type="capsule" fromto="0 0 0 0 0 -0.6" size="0.049"/>
      </body>
    </body>
  </worldbody>
  <actuator><motor joint="slider" gear="100" ctrlrange="-3 3" ctrllimited="true"/></actuator>
</mujoco>)";

TEST(CartpoleSwingupTest, MatchesMujocoSimulationOfTheSameModel) {
  char error[1000] = "";
  mjVFS vfs;
  mj_defaultVFS(&vfs);
  ASSERT_EQ(mj_makeEmptyFileVFS(&vfs, "cartpole.xml", sizeof(kCartpoleXml)), 0);
  std::memcpy(vfs.filedata[vfs.nfile - 1], kCartpoleXml, sizeof(kCartpoleXml));
  mjModel* m = mj_loadXML("cartpole.xml", &vfs, error, sizeof(error));
  ASSERT_NE(m, nullptr) << error;
  mjData* d = mj_makeData(m);

  CartpoleSwingupEnv env;
  env.reset(0);
  // a swing that stays clear of the rail ends (the MJCF has no rail limit)
  const std::array<double, 4> start{0.1, 2.5, -0.2, 0.7};
  env.set_state(start);
  d->qpos[0] = start[0], d->qpos[1] = start[1], d->qvel[0] = start[2], d->qvel[1] = start[3];
  for (int t = 0; t < 50; ++t) {
    ASSERT_LT(std::abs(env.state()[0]), 2.4);
    const double u = 0.5 * std::sin(0.5 * t);
    env.step(action(u));
    d->ctrl[0] = u;
    mj_step(m, d);
    mj_step(m, d);  // frame skip 2
  }
  const auto& s = env.state();
  EXPECT_NEAR(s[0], d->qpos[0], 1e-6);
  EXPECT_NEAR(s[1], d->qpos[1], 1e-6);
  EXPECT_NEAR(s[2], d->qvel[0], 1e-5);
  EXPECT_NEAR(s[3], d->qvel[1], 1e-5);
  mj_deleteData(d);
  mj_deleteModel(m);
  mj_deleteVFS(&vfs);
}

TEST(CartpoleSwingupTest, RailEndStopsTheCart) {
  CartpoleSwingupEnv env;
  env.reset(0);
  env.set_state({2.49, 0.0, 2.0, 0.0});
  env.step(action(3.0));
  EXPECT_DOUBLE_EQ(env.state()[0], 2.5);
  EXPECT_DOUBLE_EQ(env.state()[2], 0.0);
}

// every built-in env: batched task functions reproduce the env's own steps
class ClassicTaskFunctionsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ClassicTaskFunctionsTest, MatchEnvStepsOnRandomTransitions) {
  register_envs();
  auto env = make_env(load_config_string("type: " + GetParam(), "test"), BuildContext{});
  auto task = env->task_functions();
  ASSERT_NE(task, nullptr);
  auto dynamics = std::dynamic_pointer_cast<const TrueDynamics>(task);
  ASSERT_NE(dynamics, nullptr);
  const Box& box = env->spec().action_space;
  torch::manual_seed(1);
  std::vector<at::Tensor> obs, act, next;
  std::vector<double> rewards;
  std::vector<bool> terms;
  at::Tensor o = env->reset(3);
  for (int i = 0; i < 1000; ++i) {
    auto a = box.low + (box.high - box.low) * torch::rand({box.dim()});
    StepResult r = env->step(a);
    obs.push_back(o), act.push_back(a), next.push_back(r.obs);
    rewards.push_back(r.reward), terms.push_back(r.terminated);
    o = (r.terminated || r.truncated) ? env->reset() : r.obs;
  }
  auto O = torch::stack(obs), A = torch::stack(act), N = torch::stack(next);
  auto R = torch::tensor(rewards, torch::kFloat64).to(torch::kFloat32);
  EXPECT_TENSOR_CLOSE(task->reward(O, A, N), R, 1e-4, 1e-4);
  std::vector<uint8_t> t(terms.begin(), terms.end());
  EXPECT_TRUE(task->terminated(N).equal(torch::tensor(t).to(torch::kBool)));
  // float32 batched dynamics agree with the double-precision env on every step
  EXPECT_TENSOR_CLOSE(dynamics->next_obs(O, A), N, 1e-3, 1e-3);
}

INSTANTIATE_TEST_SUITE_P(AllClassic, ClassicTaskFunctionsTest,
                         ::testing::Values("cartpole_swingup", "pendulum",
                                           "mountain_car_continuous"));

TEST(ClassicEnvsTest, SameSeedSameTrajectory) {
  for (const char* type : {"cartpole_swingup", "pendulum", "mountain_car_continuous"}) {
    auto make = [&] {
      return make_env(load_config_string(std::string("type: ") + type, "t"), BuildContext{});
    };
    auto a = make(), b = make();
    EXPECT_TRUE(a->reset(42).equal(b->reset(42))) << type;
    auto act = a->spec().action_space.high * 0.3;
    for (int i = 0; i < 20; ++i) EXPECT_TRUE(a->step(act).obs.equal(b->step(act).obs)) << type;
    EXPECT_FALSE(a->reset(1).equal(b->reset(2))) << type;
  }
}

TEST(ClassicEnvsTest, WrongActionShapeIsAShapeError) {
  CartpoleSwingupEnv env;
  env.reset(0);
  EXPECT_THROW_WITH(env.step(torch::zeros({2})), ShapeError,
                    "cartpole_swingup: expected an action of shape [1], got [2]");
  EXPECT_THROW_WITH(env.step(torch::full({1}, NAN)), Error, "action contains NaN");
}

}  // namespace
}  // namespace mbrl

// Tests for the MuJoCo tasks (envs/mujoco/{planar_locomotion,ant,inverted_pendulum,reacher,
// pets_half_cheetah}.cc): reward terms, termination boundaries, and the batched task functions
// against the env on recorded transitions.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "mbrl/config/loader.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/envs/mujoco/ant.h"
#include "mbrl/envs/mujoco/half_cheetah.h"
#include "mbrl/envs/mujoco/hopper.h"
#include "mbrl/envs/mujoco/inverted_pendulum.h"
#include "mbrl/envs/mujoco/mujoco_env.h"
#include "mbrl/envs/mujoco/pets_half_cheetah.h"
#include "mbrl/envs/mujoco/reacher.h"
#include "mbrl/envs/mujoco/walker2d.h"
#include "mbrl/envs/task_functions.h"
#include "mbrl/envs/wrappers/env_wrapper.h"
#include "tests/support/fixture.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

std::shared_ptr<MujocoEnv> build_raw(const std::string& yaml) {
  auto env = make_env(load_config_string(yaml, "test"), BuildContext{});
  auto wrapper = std::dynamic_pointer_cast<EnvWrapper>(env);
  return std::dynamic_pointer_cast<MujocoEnv>(wrapper->inner());
}

double sum_sq(const at::Tensor& a) { return a.to(torch::kFloat64).pow(2).sum().item<double>(); }

std::vector<double> qpos_of(const MujocoEnv& env) {
  return {env.data()->qpos, env.data()->qpos + env.model()->nq};
}

// --- reward terms recomputed from the simulator state ---

struct RewardCase {
  const char* type;
  double forward_weight, healthy, ctrl_weight;
  bool torso_xpos;  // Ant: Gymnasium reads the torso body's xpos, not qpos
};

TEST(MujocoTasksTest, RewardTermsRecomputedFromQposChanges) {
  const RewardCase cases[] = {{"half_cheetah", 1.0, 0.0, 0.1, false},
                              {"hopper", 1.0, 1.0, 1e-3, false},
                              {"walker2d", 1.0, 1.0, 1e-3, false},
                              {"ant", 1.0, 1.0, 0.5, true},
                              {"pets_half_cheetah", 1.0, 0.0, 0.1, false}};
  auto gen = make_generator(3, torch::kCPU);
  for (const RewardCase& c : cases) {
    SCOPED_TRACE(c.type);
    auto env = build_raw(std::string("type: ") + c.type);
    env->reset(0);
    const int torso = mj_name2id(env->model(), mjOBJ_BODY, "torso");
    for (int t = 0; t < 20; ++t) {
      auto act = torch::rand({env->spec().act_dim()}, gen, torch::kFloat64) * 2.4 - 1.2;
      const double x0 = c.torso_xpos ? env->data()->xpos[3 * torso] : env->data()->qpos[0];
      StepResult r = env->step(act);
      const double x1 = c.torso_xpos ? env->data()->xpos[3 * torso] : env->data()->qpos[0];
      const double expected = c.forward_weight * (x1 - x0) / env->task().dt() + c.healthy -
                              c.ctrl_weight * sum_sq(act.clamp(-1, 1));
      ASSERT_NEAR(r.reward, expected, 1e-9) << "step " << t;
      if (r.terminated) break;
    }
  }
}

TEST(MujocoTasksTest, PetsObservationStartsWithTheForwardVelocity) {
  auto env = build_raw("type: pets_half_cheetah");
  EXPECT_EQ(env->reset(0)[0].item<float>(), 0.0f);
  const double x0 = env->data()->qpos[0];
  StepResult r = env->step(torch::full({6}, 0.5));
  const double v = (env->data()->qpos[0] - x0) / 0.05;
  EXPECT_NEAR(r.obs[0].item<double>(), v, 1e-6);
  EXPECT_NEAR(r.obs[1].item<double>(), env->data()->qpos[1], 1e-6);
  EXPECT_NEAR(r.obs[9].item<double>(), env->data()->qvel[0], 1e-6);
  EXPECT_NEAR(r.reward, v - 0.1 * 6 * 0.25, 1e-9);
}

TEST(MujocoTasksTest, ReacherRewardsTheDistanceBeforeTheStep) {
  auto env = build_raw("type: reacher");
  const at::Tensor obs = env->reset(4);
  StepResult r = env->step(torch::tensor({0.5, -0.25}));
  const double distance = obs.slice(0, 8, 11).to(torch::kFloat64).norm().item<double>();
  EXPECT_NEAR(r.reward, -distance - (0.25 + 0.0625), 1e-6);
  EXPECT_EQ(obs[10].item<float>(), 0.0f);  // fingertip and target share their height
  // the target lies inside the 0.2 disc and stays put
  EXPECT_LT(std::hypot(obs[4].item<double>(), obs[5].item<double>()), 0.2);
  EXPECT_TRUE(torch::equal(r.obs.slice(0, 4, 6), obs.slice(0, 4, 6)));
}

TEST(MujocoTasksTest, ObservationLayouts) {
  auto hopper = build_raw("type: hopper");
  at::Tensor obs = hopper->reset(0);
  const mjData* d = hopper->data();
  for (int i = 1; i < 6; ++i) EXPECT_FLOAT_EQ(obs[i - 1].item<float>(), d->qpos[i]);
  // velocities are clipped to +-10 in the observation
  std::vector<double> qvel(6, 0.0);
  qvel[5] = 50.0;
  hopper->set_state(qpos_of(*hopper), qvel);
  EXPECT_FLOAT_EQ(hopper->observation()[10].item<float>(), 10.0f);

  auto ant = build_raw("type: ant");
  obs = ant->reset(0);
  EXPECT_FLOAT_EQ(obs[0].item<float>(), ant->data()->qpos[2]);  // torso height first
  EXPECT_FLOAT_EQ(obs[13].item<float>(), ant->data()->qvel[0]);
}

// --- termination at the boundaries, on the simulator and over observations ---

// sets qpos[index] = value (and qvel[vindex] = vvalue when vindex >= 0) and compares the env's
// task and the task functions
void expect_terminated(MujocoEnv& env, int index, double value, bool expected, int vindex = -1,
                       double vvalue = 0.0) {
  env.reset(0);
  std::vector<double> qpos = qpos_of(env);
  std::vector<double> qvel(env.model()->nv, 0.0);
  if (index >= 0) qpos[index] = value;
  if (vindex >= 0) qvel[vindex] = vvalue;
  env.set_state(qpos, qvel);
  SCOPED_TRACE(env.spec().name + " qpos[" + std::to_string(index) + "]=" + std::to_string(value));
  EXPECT_EQ(env.task().terminated(env.data()), expected);
  // the float32 observation a planner sees; thresholds compare in its dtype
  auto next_obs = env.observation().unsqueeze(0);
  EXPECT_EQ(env.task_functions()->terminated(next_obs)[0].item<bool>(), expected);
}

TEST(MujocoTasksTest, HopperTerminationBoundaries) {
  MujocoEnv env(make_hopper_task(), 0);
  expect_terminated(env, 1, 0.7, true);  // open interval
  expect_terminated(env, 1, 0.7001, false);
  expect_terminated(env, 1, 25.0, false);
  expect_terminated(env, 2, 0.2, true);
  expect_terminated(env, 2, 0.1999, false);
  expect_terminated(env, 2, -0.2, true);
  expect_terminated(env, 2, -0.1999, false);
  expect_terminated(env, 3, -100.0, true);  // the state range covers qpos[2:]
  expect_terminated(env, 3, -99.9, false);
  expect_terminated(env, 1, NAN, true);
}

TEST(MujocoTasksTest, WalkerTerminationBoundaries) {
  MujocoEnv env(make_walker2d_task(), 0);
  expect_terminated(env, 1, 0.8, true);
  expect_terminated(env, 1, 0.8001, false);
  expect_terminated(env, 1, 2.0, true);
  expect_terminated(env, 1, 1.9999, false);
  expect_terminated(env, 2, 1.0, true);
  expect_terminated(env, 2, -0.9999, false);
  expect_terminated(env, 3, -100.0, false);  // no state range for the walker
}

TEST(MujocoTasksTest, AntTerminationBoundaries) {
  MujocoEnv env(make_ant_task(), 0);
  expect_terminated(env, 2, 0.2, false);  // closed interval
  expect_terminated(env, 2, 0.1999, true);
  expect_terminated(env, 2, 1.0, false);
  expect_terminated(env, 2, 1.0001, true);
  expect_terminated(env, 7, NAN, true);  // any non-finite state element
  expect_terminated(env, -1, 0.0, true, 5, INFINITY);
}

TEST(MujocoTasksTest, InvertedPendulumTerminationBoundaries) {
  MujocoEnv env(make_inverted_pendulum_task(), 0);
  expect_terminated(env, 1, 0.2, false);  // |angle| > 0.2 ends it
  expect_terminated(env, 1, 0.2001, true);
  expect_terminated(env, 1, -0.2001, true);
  expect_terminated(env, 0, 0.9, false);
  expect_terminated(env, -1, 0.0, true, 0, NAN);
}

TEST(MujocoTasksTest, UnhealthyStatesDoNotTerminateWhenDisabled) {
  MujocoEnv env(make_hopper_task(HopperOptions().terminate_when_unhealthy(false)), 0);
  expect_terminated(env, 1, 0.1, false);
  // and then the healthy reward is paid only while healthy
  auto f = env.task_functions();
  auto obs = env.observation().unsqueeze(0);
  auto act = torch::zeros({1, 3});
  auto healthy_obs = obs.clone();
  healthy_obs[0][0] = 1.2;
  EXPECT_NEAR((f->reward(obs, act, healthy_obs) - f->reward(obs, act, obs)).item<double>(), 1.0,
              1e-6);
}

// --- task functions against the env on recorded random transitions ---

struct Recorded {
  at::Tensor obs, act, next_obs, reward, terminated;
  at::Tensor true_forward;  // Gymnasium's (x' - x) / dt of each transition
};

Recorded record(MujocoEnv& env, int64_t n, uint64_t seed, const char* x_body = nullptr) {
  const int64_t o = env.spec().obs_dim(), a = env.spec().act_dim();
  auto gen = make_generator(seed, torch::kCPU);
  const at::Tensor actions =
      env.spec().action_space.low +
      (env.spec().action_space.high - env.spec().action_space.low) * torch::rand({n, a}, gen);
  Recorded rec{torch::empty({n, o}),
               actions,
               torch::empty({n, o}),
               torch::empty({n}),
               torch::empty({n}, torch::kBool),
               torch::empty({n}, torch::kFloat64)};
  const int body = x_body ? mj_name2id(env.model(), mjOBJ_BODY, x_body) : -1;
  auto x_of = [&] { return body >= 0 ? env.data()->xpos[3 * body] : env.data()->qpos[0]; };
  at::Tensor obs = env.reset(seed);
  int64_t steps = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double x0 = x_of();
    StepResult r = env.step(actions[i]);
    rec.obs[i] = obs;
    rec.next_obs[i] = r.obs;
    rec.reward[i] = r.reward;
    rec.terminated[i] = r.terminated;
    rec.true_forward[i] = (x_of() - x0) / env.task().dt();
    obs = r.obs;
    if (r.terminated || ++steps == env.spec().max_episode_steps) {
      obs = env.reset();
      steps = 0;
    }
  }
  return rec;
}

void expect_task_functions_match(const std::string& yaml, double atol) {
  SCOPED_TRACE(yaml);
  auto env = build_raw(yaml);
  Recorded rec = record(*env, 1000, 11);
  auto f = env->task_functions();
  EXPECT_TENSOR_CLOSE(f->reward(rec.obs, rec.act, rec.next_obs), rec.reward, 1e-5, atol);
  EXPECT_TRUE(torch::equal(f->terminated(rec.next_obs), rec.terminated));
}

TEST(MujocoTasksTest, TaskFunctionsEqualEnvRewardsOnRandomTransitions) {
  expect_task_functions_match("type: pets_half_cheetah", 1e-4);
  expect_task_functions_match("type: inverted_pendulum", 0.0);
  expect_task_functions_match("type: reacher", 1e-5);
  // with the root x observed the forward velocity is exact too (float32 positions: 1e-3)
  expect_task_functions_match(
      "type: half_cheetah\nexclude_current_positions_from_observation: false", 1e-3);
  expect_task_functions_match("type: hopper\nexclude_current_positions_from_observation: false",
                              1e-3);
  expect_task_functions_match("type: walker2d\nexclude_current_positions_from_observation: false",
                              1e-3);
}

// Gymnasium's default observations leave the root x out, so (x' - x) / dt is estimated from the
// observed velocities; every other term is exact.
void expect_default_layout_matches(const char* type, int64_t vx_index, double forward_weight,
                                   bool terminates, const char* x_body = nullptr) {
  SCOPED_TRACE(type);
  auto env = build_raw(std::string("type: ") + type);
  Recorded rec = record(*env, 1000, 12, x_body);
  auto f = env->task_functions();
  auto estimate = 0.5 * (rec.obs.select(1, vx_index) + rec.next_obs.select(1, vx_index));
  auto expected = rec.reward - forward_weight * rec.true_forward.to(torch::kFloat32) +
                  forward_weight * estimate;
  EXPECT_TENSOR_CLOSE(f->reward(rec.obs, rec.act, rec.next_obs), expected, 1e-5, 1e-4);
  EXPECT_TRUE(torch::equal(f->terminated(rec.next_obs), rec.terminated));
  EXPECT_EQ(rec.terminated.any().item<bool>(), terminates);

  // the estimate follows the true velocity (random actions make the cheetah's the roughest: mean
  // errors 0.14 m/s for HalfCheetah, 0.001-0.04 for the others), better than next_obs's velocity
  auto error = (estimate.to(torch::kFloat64) - rec.true_forward).abs().mean().item<double>();
  auto end_error = (rec.next_obs.select(1, vx_index).to(torch::kFloat64) - rec.true_forward)
                       .abs()
                       .mean()
                       .item<double>();
  auto spread = rec.true_forward.std().item<double>();
  EXPECT_LT(error, 0.3 * spread) << "mean |error| " << error << ", std " << spread;
  EXPECT_LT(error, end_error);
}

TEST(MujocoTasksTest, TaskFunctionsOnDefaultObservationsDifferOnlyInTheVelocityEstimate) {
  expect_default_layout_matches("half_cheetah", 8, 1.0, false);
  expect_default_layout_matches("hopper", 5, 1.0, true);
  expect_default_layout_matches("walker2d", 8, 1.0, true);
  // the recorded random-action run flips the ant out of its healthy z range at least once, so
  // its termination function is compared on terminal transitions too
  expect_default_layout_matches("ant", 13, 1.0, true, "torso");
}

TEST(MujocoTasksTest, TaskFunctionsRunOnTheDeviceOfTheirInputs_CUDA) {
  MBRL_SKIP_WITHOUT_CUDA();
  const torch::Device cuda(torch::kCUDA);
  for (const char* type : {"half_cheetah", "hopper", "walker2d", "ant", "inverted_pendulum",
                           "reacher", "pets_half_cheetah"}) {
    SCOPED_TRACE(type);
    auto env = build_raw(std::string("type: ") + type);
    Recorded rec = record(*env, 200, 5);
    auto f = env->task_functions();
    const at::Tensor reward = f->reward(rec.obs.to(cuda), rec.act.to(cuda), rec.next_obs.to(cuda));
    const at::Tensor terminated = f->terminated(rec.next_obs.to(cuda));
    EXPECT_TRUE(reward.is_cuda());
    EXPECT_TENSOR_CLOSE(reward.cpu(), f->reward(rec.obs, rec.act, rec.next_obs), 1e-5, 1e-5);
    EXPECT_TRUE(torch::equal(terminated.cpu(), f->terminated(rec.next_obs)));
  }
}

}  // namespace
}  // namespace mbrl

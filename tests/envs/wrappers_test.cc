// Tests for envs/wrappers/*.cc and make_env's wrapper keys.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/envs/task_functions.h"
#include "mbrl/envs/wrappers/distractor_observation.h"
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

// Steps `env` from reset(seed) with the actions `act(t)`; returns the observations [T + 1, n].
template <class Act>
at::Tensor observations(Env& env, uint64_t seed, int64_t steps, Act act) {
  std::vector<at::Tensor> obs{env.reset(seed)};
  for (int64_t t = 0; t < steps; ++t) obs.push_back(env.step(act(t)).obs);
  return torch::stack(obs);
}

at::Tensor sine_action(int64_t t) { return torch::full({1}, std::sin(0.3 * t)); }

TEST(DistractorObservationTest, TaskEntriesRewardAndTerminationAreTheBaseEnvs) {
  for (const std::string base : {"cartpole_swingup", "hopper"}) {
    auto plain = build("type: " + base + "\n");
    auto env = build("type: " + base + "_distractor\ndistractor: {dimensions: 5}\n");
    const int64_t n = plain->spec().obs_dim();
    ASSERT_EQ(env->spec().obs_dim(), n + 5) << base;
    EXPECT_EQ(env->spec().name, base + "_distractor");
    EXPECT_TRUE(std::isinf(env->spec().observation_space.high[n + 2].item<float>()));
    EXPECT_TENSOR_CLOSE(plain->reset(3), env->reset(3).narrow(0, 0, n));
    const int64_t a = plain->spec().act_dim();
    for (int t = 0; t < 30; ++t) {
      const at::Tensor act = torch::full({a}, 0.5 * std::sin(0.7 * t));
      const StepResult p = plain->step(act), d = env->step(act);
      ASSERT_TRUE(p.obs.equal(d.obs.narrow(0, 0, n))) << base << " step " << t;
      EXPECT_EQ(p.reward, d.reward);
      EXPECT_EQ(p.terminated, d.terminated);
      if (p.terminated) break;
    }
    // the task functions read only the task entries, whatever the distractors hold
    const at::Tensor obs = torch::randn({4, n + 5}), next = torch::randn({4, n + 5});
    const at::Tensor act = torch::rand({4, a});
    auto with_noise = next.clone();
    with_noise.narrow(1, n, 5).mul_(100.0);
    EXPECT_TENSOR_CLOSE(
        env->task_functions()->reward(obs, act, next),
        plain->task_functions()->reward(obs.narrow(1, 0, n), act, next.narrow(1, 0, n)));
    EXPECT_TRUE(env->task_functions()
                    ->terminated(with_noise)
                    .equal(plain->task_functions()->terminated(next.narrow(1, 0, n))));
  }
}

TEST(DistractorObservationTest, DistractorsAreSeededAndIgnoreActionsUnlessCorrelated) {
  auto env = build("type: cartpole_swingup_distractor\n");
  ASSERT_EQ(env->spec().obs_dim(), 4 + 20);  // VaGraM's 20 dimensions by default
  auto zero = [](int64_t) { return torch::zeros({1}); };
  const at::Tensor a = observations(*env, 5, 50, sine_action).narrow(1, 4, 20);
  const at::Tensor b = observations(*env, 5, 50, zero).narrow(1, 4, 20);
  EXPECT_TRUE(a.equal(b));  // uncorrelated: the actions do not reach the distractors
  EXPECT_FALSE(a.equal(observations(*env, 6, 50, zero).narrow(1, 4, 20)));  // start state
  // switching keeps the chaotic dynamics bounded, and they do move
  EXPECT_LE(a.abs().max().item<float>(), 20.0f);
  EXPECT_GT((a[50] - a[49]).abs().max().item<float>(), 1e-3f);
  // the maps are part of the task: same `seed`, same dynamics in another run's env
  auto other_run = build("type: cartpole_swingup_distractor\n");
  EXPECT_TRUE(observations(*other_run, 5, 50, zero).narrow(1, 4, 20).equal(a));
  auto other_task = build("type: cartpole_swingup_distractor\ndistractor: {seed: 1}\n");
  EXPECT_FALSE(observations(*other_task, 5, 50, zero).narrow(1, 4, 20).equal(a));

  auto correlated = build("type: cartpole_swingup_distractor\ndistractor: {correlated: true}\n");
  EXPECT_FALSE(observations(*correlated, 5, 50, sine_action)
                   .narrow(1, 4, 20)
                   .equal(observations(*correlated, 5, 50, zero).narrow(1, 4, 20)));
}

TEST(DistractorObservationTest, LinearDistractorFollowsItsMap) {
  // one linear, unswitched, uncorrelated dimension: d' = m d, so d_{t+1} / d_t is constant
  auto env = build(
      "type: cartpole_swingup_distractor\n"
      "distractor: {dimensions: 1, linear: true, switching: false}\n");
  const at::Tensor d = observations(*env, 2, 6, sine_action).select(1, 4).to(torch::kFloat64);
  const at::Tensor ratio = d.narrow(0, 1, 6) / d.narrow(0, 0, 6);
  EXPECT_TENSOR_CLOSE(ratio, torch::full({6}, ratio[0].item<double>(), torch::kFloat64));
  // without switching the same map grows past the switching bound where switching resets it
  auto wide = build(
      "type: cartpole_swingup_distractor\n"
      "distractor: {linear: true, switching: false}\n");
  EXPECT_GT(observations(*wide, 2, 100, sine_action).abs().max().item<float>(), 20.0f);
  auto noise = build("type: cartpole_swingup_distractor\ndistractor: {pure_noise: true}\n");
  const at::Tensor z = observations(*noise, 2, 2000, sine_action).narrow(1, 4, 20);
  EXPECT_NEAR(z.std().item<float>(), 1.0f, 0.02f);
}

TEST(DistractorObservationTest, BadOptionsAreConfigErrorsAtTheKey) {
  EXPECT_THROW_WITH(build("type: hopper_distractor\ndistractor: {dimensions: 0}\n"), ConfigError,
                    "distractor.dimensions: expected a positive number of distractor dimensions");
  EXPECT_THROW_WITH(build("type: cartpole_swingup_distractor\ndistractor: {linear: maybe}\n"),
                    ConfigError, "distractor.linear");
  EXPECT_THROW_WITH(build("type: cartpole_swingup_distractor\ndistractor: 3\n"), ConfigError,
                    "distractor");
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

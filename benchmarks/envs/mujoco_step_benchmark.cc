// Env steps per second of the MuJoCo tasks: a raw mj_step loop against MujocoEnv::step (through
// make_env's wrappers), VectorEnv on 1 and 2 threads, and simulator-scorer rollouts.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/core/thread_pool.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/envs/mujoco/mujoco_env.h"
#include "mbrl/envs/mujoco/mujoco_simulator_scorer.h"
#include "mbrl/envs/vector_env.h"
#include "mbrl/envs/wrappers/env_wrapper.h"

namespace mbrl {
namespace {

// never terminate, so that both loops step the same kind of states and reset only at 1000 steps
std::string config(const std::string& type) {
  const bool has_health = type == "hopper" || type == "walker2d" || type == "ant";
  return "type: " + type + (has_health ? "\nterminate_when_unhealthy: false" : "");
}

std::shared_ptr<Env> build(const std::string& type) {
  register_envs();
  return make_env(load_config_string(config(type), "benchmark"), BuildContext{});
}

std::shared_ptr<MujocoEnv> unwrap(std::shared_ptr<Env> env) {
  while (auto w = std::dynamic_pointer_cast<EnvWrapper>(env)) env = w->inner();
  return std::dynamic_pointer_cast<MujocoEnv>(env);
}

// a fixed table of random actions, so that sampling is not timed
at::Tensor action_table(const EnvSpec& spec, int64_t n) {
  const Box& box = spec.action_space;
  auto gen = make_generator(0, torch::kCPU);
  return box.low + (box.high - box.low) * torch::rand({n, spec.act_dim()}, gen);
}

// what Env::step does at its core: controls in, frame_skip physics steps; a reset (reset_data,
// mj_forward) where the task terminates (InvertedPendulum's pole falls) or after 1000 steps
void BM_MujocoRawStep(benchmark::State& state, const std::string& type) {
  auto env = unwrap(build(type));
  const mjModel* m = env->model();
  auto data = env->task().model().make_data();
  mjData* d = data.get();
  const at::Tensor table = action_table(env->spec(), 1024).to(torch::kFloat64).contiguous();
  const double* actions = table.data_ptr<double>();
  const int skip = env->task().frame_skip();
  env->task().model().reset_data(d);
  mj_forward(m, d);
  int64_t i = 0;
  for (auto _ : state) {
    const double* a = actions + (i & 1023) * m->nu;
    for (int j = 0; j < m->nu; ++j) d->ctrl[j] = a[j];
    for (int k = 0; k < skip; ++k) mj_step(m, d);
    if (++i % 1000 == 0 || env->task().terminated(d)) {
      env->task().model().reset_data(d);
      mj_forward(m, d);
    }
    benchmark::DoNotOptimize(d->qpos[0]);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_MujocoEnvStep(benchmark::State& state, const std::string& type) {
  auto env = build(type);
  const at::Tensor table = action_table(env->spec(), 1024);
  std::vector<at::Tensor> rows;
  for (int i = 0; i < 1024; ++i) rows.push_back(table[i].clone());
  env->reset(0);
  int64_t i = 0;
  for (auto _ : state) {
    StepResult r = env->step(rows[i++ & 1023]);
    if (r.terminated || r.truncated) env->reset();
    benchmark::DoNotOptimize(r.reward);
  }
  state.SetItemsProcessed(state.iterations());
}

#define MBRL_MUJOCO_STEP_BENCHMARKS(type)                        \
  BENCHMARK_CAPTURE(BM_MujocoRawStep, type, std::string(#type)); \
  BENCHMARK_CAPTURE(BM_MujocoEnvStep, type, std::string(#type));
MBRL_MUJOCO_STEP_BENCHMARKS(half_cheetah)
MBRL_MUJOCO_STEP_BENCHMARKS(hopper)
MBRL_MUJOCO_STEP_BENCHMARKS(walker2d)
MBRL_MUJOCO_STEP_BENCHMARKS(ant)
MBRL_MUJOCO_STEP_BENCHMARKS(inverted_pendulum)
MBRL_MUJOCO_STEP_BENCHMARKS(reacher)
MBRL_MUJOCO_STEP_BENCHMARKS(pets_half_cheetah)
#undef MBRL_MUJOCO_STEP_BENCHMARKS

// N = 8 envs per VectorEnv step; items are env steps
void BM_VectorEnvStep(benchmark::State& state, const std::string& type) {
  const int threads = static_cast<int>(state.range(0));
  const int64_t n = 8;
  BuildContext ctx;
  ctx.thread_pool = std::make_shared<ThreadPool>(threads);
  register_envs();
  auto venv = make_vector_env(load_config_string(config(type), "benchmark"), ctx, n);
  std::vector<at::Tensor> acts;
  for (int i = 0; i < 64; ++i) acts.push_back(action_table(venv->spec(), n));
  venv->reset(0);
  int64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(venv->step(acts[i++ & 63]).reward);
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK_CAPTURE(BM_VectorEnvStep, half_cheetah, std::string("half_cheetah"))
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_VectorEnvStep, hopper, std::string("hopper"))
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_VectorEnvStep, ant, std::string("ant"))
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();

// one score() of P = 100 sequences of H = 20 steps; items are simulated env steps
void BM_MujocoOracleScore(benchmark::State& state, const std::string& type) {
  const int threads = static_cast<int>(state.range(0));
  const int64_t population = 100, horizon = 20;
  auto env = unwrap(build(type));
  const at::Tensor obs = env->reset(0).unsqueeze(0);
  MujocoSimulatorScorer scorer(env, std::make_shared<ThreadPool>(threads));
  const at::Tensor actions =
      action_table(env->spec(), population * horizon).view({1, population, horizon, -1});
  for (auto _ : state) benchmark::DoNotOptimize(scorer.score(obs, actions));
  state.SetItemsProcessed(state.iterations() * population * horizon);
}
BENCHMARK_CAPTURE(BM_MujocoOracleScore, half_cheetah, std::string("half_cheetah"))
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_MujocoOracleScore, hopper, std::string("hopper"))
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_MujocoOracleScore, inverted_pendulum, std::string("inverted_pendulum"))
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();

}  // namespace
}  // namespace mbrl

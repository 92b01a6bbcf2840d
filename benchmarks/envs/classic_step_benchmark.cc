// Env steps per second of the built-in classic-control envs (Env::step with time limit and
// random actions), and of their batched torch dynamics.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/envs/task_functions.h"

namespace mbrl {
namespace {

std::shared_ptr<Env> build(const std::string& type) {
  register_envs();
  return make_env(load_config_string("type: " + type, "benchmark"), BuildContext{});
}

void BM_ClassicEnvStep(benchmark::State& state, const std::string& type) {
  at::set_num_threads(1);
  auto env = build(type);
  const Box& box = env->spec().action_space;
  // a fixed table of random actions, so action sampling is not timed
  auto actions = box.low + (box.high - box.low) * torch::rand({1024, box.dim()});
  std::vector<at::Tensor> rows;
  for (int i = 0; i < 1024; ++i) rows.push_back(actions[i].clone());
  env->reset(0);
  int64_t i = 0;
  for (auto _ : state) {
    StepResult r = env->step(rows[i++ & 1023]);
    if (r.terminated || r.truncated) env->reset();
    benchmark::DoNotOptimize(r.reward);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_ClassicEnvStep, cartpole_swingup, std::string("cartpole_swingup"));
BENCHMARK_CAPTURE(BM_ClassicEnvStep, pendulum, std::string("pendulum"));
BENCHMARK_CAPTURE(BM_ClassicEnvStep, mountain_car_continuous,
                  std::string("mountain_car_continuous"));

// batched true dynamics, as an oracle planner calls them: B states per call
void BM_ClassicTrueDynamics(benchmark::State& state, const std::string& type) {
  at::set_num_threads(1);
  torch::NoGradGuard no_grad;
  auto env = build(type);
  auto dyn = std::dynamic_pointer_cast<const TrueDynamics>(env->task_functions());
  const int64_t batch = state.range(0);
  const Box& box = env->spec().action_space;
  auto obs = env->reset(0).unsqueeze(0).repeat({batch, 1});
  auto act = box.low + (box.high - box.low) * torch::rand({batch, box.dim()});
  for (auto _ : state) benchmark::DoNotOptimize(dyn->next_obs(obs, act));
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK_CAPTURE(BM_ClassicTrueDynamics, cartpole_swingup, std::string("cartpole_swingup"))
    ->Arg(7000);
BENCHMARK_CAPTURE(BM_ClassicTrueDynamics, pendulum, std::string("pendulum"))->Arg(7000);

}  // namespace
}  // namespace mbrl

// The action optimizers' own overhead (sampling, sorting, updates) with a trivial objective, and
// the decision time of oracle MPC (CEM on the true cart-pole dynamics).
//
// Shapes: P 350 / H 15 / A 1 (PETS cart-pole) and P 400 / H 30 / A 6 (PETS half-cheetah), one
// start state, 5 iterations. The objective returns the first action of each candidate: a view,
// so nearly all the time measured is the optimizer's.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "mbrl/agents/mpc_agent.h"
#include "mbrl/config/loader.h"
#include "mbrl/core/rng.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/envs/true_dynamics_scorer.h"
#include "mbrl/planners/cem.h"
#include "mbrl/planners/icem.h"
#include "mbrl/planners/mppi.h"
#include "mbrl/planners/random_shooting.h"

namespace mbrl {
namespace {

const c10::Device kCpu(c10::kCPU);

at::Generator gen() { return make_generator(0, kCpu); }

std::shared_ptr<ActionOptimizer> make_optimizer(const std::string& type, int64_t P, int64_t A) {
  const Box box = Box::uniform(A, -1.0, 1.0);
  if (type == "cem") {
    // min_variance 0: all 5 iterations run (the variance of this objective never collapses)
    return std::make_shared<CemOptimizer>(CemOptions().population_size(P).min_variance(0.0), box,
                                          kCpu, gen());
  }
  if (type == "icem") {
    return std::make_shared<IcemOptimizer>(IcemOptions().population_size(P), box, kCpu, gen());
  }
  if (type == "mppi") {
    return std::make_shared<MppiOptimizer>(MppiOptions().population_size(P), box, kCpu, gen());
  }
  return std::make_shared<RandomShootingOptimizer>(RandomShootingOptions().population_size(P), box,
                                                   kCpu, gen());
}

// range(0) P, range(1) H, range(2) A, range(3) intra-op threads
void BM_OptimizerOverhead(benchmark::State& state, const std::string& type) {
  at::set_num_threads(static_cast<int>(state.range(3)));
  const int64_t P = state.range(0), H = state.range(1), A = state.range(2);
  auto optimizer = make_optimizer(type, P, A);
  auto objective = [](const at::Tensor& x) { return x.select(2, 0).select(2, 0); };
  auto initial = torch::zeros({1, H, A});
  optimizer->optimize(objective, initial);  // warm-up: allocates the buffers
  for (auto _ : state) {
    benchmark::DoNotOptimize(optimizer->optimize(objective, initial));
    optimizer->shift(1);
  }
  state.SetItemsProcessed(state.iterations());
  at::set_num_threads(1);
}

void overhead_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"P", "H", "A", "threads"});
  for (int threads : {1, 2}) {
    b->Args({350, 15, 1, threads});
    b->Args({400, 30, 6, threads});
  }
  b->Unit(benchmark::kMillisecond);
}
BENCHMARK_CAPTURE(BM_OptimizerOverhead, cem, std::string("cem"))->Apply(overhead_args);
BENCHMARK_CAPTURE(BM_OptimizerOverhead, icem, std::string("icem"))->Apply(overhead_args);
BENCHMARK_CAPTURE(BM_OptimizerOverhead, mppi, std::string("mppi"))->Apply(overhead_args);
BENCHMARK_CAPTURE(BM_OptimizerOverhead, random_shooting, std::string("random_shooting"))
    ->Apply(overhead_args);

// One MPC decision (replan_freq 1) of CEM on the true cart-pole dynamics, as in
// configs/oracle/cartpole.yaml. range(0) P, range(1) H, range(2) iterations, range(3) threads.
void BM_OracleMpcDecision(benchmark::State& state) {
  at::set_num_threads(static_cast<int>(state.range(3)));
  register_envs();
  BuildContext ctx;
  auto env = make_env(load_config_string("type: cartpole_swingup", "benchmark"), ctx);
  auto cem = std::make_shared<CemOptimizer>(
      CemOptions().population_size(state.range(0)).num_iterations(state.range(2)),
      env->spec().action_space, kCpu, gen());
  MpcAgent agent(TrajectoryOptimizerOptions().planning_horizon(state.range(1)), cem,
                 make_true_dynamics_scorer(*env));
  auto obs = env->reset(0);
  agent.act(obs);
  for (auto _ : state) {
    auto a = agent.act(obs);
    state.PauseTiming();
    StepResult r = env->step(a);
    obs = r.truncated ? env->reset() : r.obs;
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations());
  at::set_num_threads(1);
}
BENCHMARK(BM_OracleMpcDecision)
    ->ArgNames({"P", "H", "iters", "threads"})
    ->Args({350, 15, 5, 1})
    ->Args({350, 15, 5, 2})
    ->Args({200, 20, 5, 1})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mbrl

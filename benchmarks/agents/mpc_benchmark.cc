// One PETS action decision end to end: MpcAgent::act with CEM planning on a ModelEnv (the
// learned-model scorer), at the PETS cart-pole config (ensemble 7 x 4x200 SiLU, 5 elites, obs 4,
// act 1, 20 particles TS-inf, population 350, horizon 15, 5 CEM iterations) and a
// HalfCheetah-sized one (obs 17, act 6, population 400, horizon 30, same ensemble and particles),
// on 1 and 2 threads; and the README's configs/pets/cartpole_quick.yaml (5 x 3x200, 10 particles,
// population 200, horizon 25), and that planner on LSSE models of growing feature counts. The
// reference is mbrl-lib on this machine type: 4.1 s / 2.6 s (cart-pole, default / 2 threads)
// and 11.4 s / 6.3 s (HalfCheetah-sized).
//
// Unlike benchmarks/models/model_env_benchmark.cc (one ModelEnv::score call, i.e. one CEM
// iteration) this times everything a decision costs: the 5 scoring calls, the optimizer's
// sampling and elite updates, the warm start and the copy of the action out. CEM's early stop is
// off (min_variance 0) so that every decision does the same 5 iterations, as mbrl-lib's does.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "mbrl/agents/mpc_agent.h"
#include "mbrl/core/cpu_share.h"
#include "mbrl/core/device.h"
#include "mbrl/core/rng.h"
#include "mbrl/envs/classic/cartpole_swingup.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/lsse_model.h"
#include "mbrl/models/model_env.h"
#include "mbrl/planners/cem.h"
#include "support/workloads.h"

namespace mbrl {
namespace {

const c10::Device kCpu(c10::kCPU);

// Matrix-multiply FLOPs of one decision: each of the P * K rows goes through one member's
// layers once per horizon step and CEM iteration (TS-inf assigns a row to one member).
double decision_flops(const GaussianMlpEnsemble& m, int64_t rows, int64_t horizon,
                      int64_t iterations) {
  return 2.0 * bench::forward_macs(m) * static_cast<double>(rows * horizon * iterations);
}

// One benchmarked configuration: the task's sizes, the ensemble, particles and CEM's population
// and horizon.
struct DecisionConfig {
  int64_t obs_dim, act_dim;
  int64_t members, layers, particles;
  int64_t population, horizon;
  bool cartpole;  // cart-pole swing-up reward, else the cheetah-like one
  bool sin_cos;   // the angle (obs 1) enters the model as sin/cos (angle_dims [1])
};

const DecisionConfig kPetsCartpole{4, 1, 7, 4, 20, 350, 15, true, false};
const DecisionConfig kCheetahSized{17, 6, 7, 4, 20, 400, 30, false, false};
// configs/pets/cartpole_quick.yaml: 5 x 3x200 with sin/cos of the angle, 10 particles
const DecisionConfig kCartpoleQuick{4, 1, 5, 3, 10, 200, 25, true, true};

// range(0): intra-op threads; range(1), share: 1 calls share_cpus() before each decision as the
// PETS loop does at each env step (the running threads give way to other processes' load), 0
// keeps the threads fixed
void BM_PetsMpcDecision(benchmark::State& state, DecisionConfig c) {
  configure_threads(static_cast<int>(state.range(0)));
  const bool share = state.range(1) != 0;
  const int64_t obs_dim = c.obs_dim, act_dim = c.act_dim, particles = c.particles;
  const int64_t population = c.population, horizon = c.horizon, iterations = 5;
  auto options = GaussianMlpEnsembleOptions(obs_dim, act_dim)
                     .ensemble_size(c.members)
                     .num_layers(c.layers)
                     .hidden_size(200)
                     .num_elites(std::min<int64_t>(5, c.members));
  if (c.sin_cos) options.angle_dims({1});
  auto model = std::make_shared<GaussianMlpEnsemble>(options, make_generator(1, kCpu));
  model->set_elites({0, 1, 2, 3, 4});
  std::shared_ptr<const TaskFunctions> task;
  if (c.cartpole) {
    task = std::make_shared<CartpoleSwingupTask>();
  } else {
    task = std::make_shared<bench::CheetahLikeTask>();
  }
  auto scorer = std::make_shared<ModelEnv>(
      ModelEnvOptions().particles(particles).propagation(Propagation::kTsInf), model, task,
      make_generator(2, kCpu));
  const Box box = Box::uniform(act_dim, -1.0, 1.0);
  auto cem = std::make_shared<CemOptimizer>(CemOptions()
                                                .num_iterations(iterations)
                                                .population_size(population)
                                                .elite_ratio(0.1)
                                                .alpha(0.1)
                                                .min_variance(0.0),
                                            box, kCpu, make_generator(3, kCpu));
  MpcAgent agent(TrajectoryOptimizerOptions().planning_horizon(horizon).replan_freq(1), cem,
                 scorer);
  at::Tensor obs = torch::randn({obs_dim}, make_generator(4, kCpu));
  agent.act(obs);  // warm-up: buffers are allocated here
  for (auto _ : state) {
    if (share) share_cpus();
    benchmark::DoNotOptimize(agent.act(obs));
  }
  state.counters["threads_at_end"] = at::get_num_threads();
  state.counters["GFLOP/s"] =
      benchmark::Counter(decision_flops(*model, population * particles, horizon, iterations) * 1e-9,
                         benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP"] =
      decision_flops(*model, population * particles, horizon, iterations) * 1e-9;
  configure_threads(1);
}
BENCHMARK_CAPTURE(BM_PetsMpcDecision, cartpole_P350_H15, kPetsCartpole)
    ->ArgNames({"threads", "share"})
    ->Args({1, 0})
    ->Args({2, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PetsMpcDecision, cheetah_P400_H30, kCheetahSized)
    ->ArgNames({"threads", "share"})
    ->Args({1, 0})
    ->Args({2, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PetsMpcDecision, cartpole_quick_P200_H25, kCartpoleQuick)
    ->ArgNames({"threads", "share"})
    ->Args({1, 0})
    ->Args({2, 0})
    ->Args({2, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// The same decision at configs/pets/cartpole_lsse.yaml's planner (population 200, horizon 25,
// one particle: the model is deterministic) on an LSSE model of 32 groups of 2 projections with
// K grid points per axis (D = 32 K^2: 2k, 8k, 32k, 128k features), random weights; one thread.
// range(0): K.
void BM_PetsMpcDecisionLsse(benchmark::State& state) {
  at::set_num_threads(1);
  auto model = std::make_shared<LsseModel>(
      LsseOptions(4, 1).num_groups(32).bin_dim(2).num_bins(state.range(0)).angle_dims({1}),
      make_generator(1, kCpu));
  model->set_weight(
      0.01 * torch::randn({model->num_features(), model->target_dim()}, make_generator(5, kCpu)));
  auto scorer =
      std::make_shared<ModelEnv>(ModelEnvOptions().particles(1), model,
                                 std::make_shared<CartpoleSwingupTask>(), make_generator(2, kCpu));
  auto cem = std::make_shared<CemOptimizer>(
      CemOptions().num_iterations(5).population_size(200).elite_ratio(0.1).alpha(0.1).min_variance(
          0.0),
      Box::uniform(1, -1.0, 1.0), kCpu, make_generator(3, kCpu));
  MpcAgent agent(TrajectoryOptimizerOptions().planning_horizon(25).replan_freq(1), cem, scorer);
  at::Tensor obs = torch::randn({4}, make_generator(4, kCpu));
  agent.act(obs);  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(agent.act(obs));
  state.counters["features"] = static_cast<double>(model->num_features());
}
BENCHMARK(BM_PetsMpcDecisionLsse)
    ->ArgName("K")
    ->Arg(8)
    ->Arg(16)
    ->Arg(32)
    ->Arg(64)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mbrl

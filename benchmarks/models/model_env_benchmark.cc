// Planning speed: one ModelEnv::score call (a CEM iteration's worth of particle rollouts; PETS
// makes 5 per decision) at the PETS cart-pole config (E 7, 4x200 SiLU, obs 4, act 1, K 20,
// P 350, H 15) and a HalfCheetah-sized one (obs 17, act 6, K 20, P 400, H 30); and the raw
// ensemble forward throughput at [E = 7, B = 7000].
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <ATen/Parallel.h>

#include "mbrl/config/loader.h"
#include "mbrl/core/rng.h"
#include "mbrl/envs/classic/cartpole_swingup.h"
#include "mbrl/models/ensemble_inference.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/model_env.h"
#include "mbrl/models/model_registry.h"
#include "mbrl/register_builtins.h"
#include "support/workloads.h"

namespace mbrl {
namespace {

std::shared_ptr<GaussianMlpEnsemble> pets_model(int64_t obs, int64_t act) {
  auto model = std::make_shared<GaussianMlpEnsemble>(GaussianMlpEnsembleOptions(obs, act),
                                                     make_generator(1, torch::kCPU));
  model->set_elites({0, 1, 2, 3, 4});
  return model;
}

// matmul FLOPs of one forward pass of `rows` rows
double forward_flops(const GaussianMlpEnsemble& m, double rows) {
  return 2.0 * bench::forward_macs(m) * rows;
}

void BM_ModelEnvScore(benchmark::State& state, int64_t obs, int64_t act, int64_t population,
                      int64_t horizon, bool cartpole) {
  at::set_num_threads(static_cast<int>(state.range(0)));
  const int64_t particles = 20;
  auto model = pets_model(obs, act);
  std::shared_ptr<const TaskFunctions> task;
  if (cartpole) {
    task = std::make_shared<CartpoleSwingupTask>();
  } else {
    task = std::make_shared<bench::CheetahLikeTask>();
  }
  ModelEnv env(ModelEnvOptions().particles(particles), model, task, make_generator(2, torch::kCPU));
  auto start = torch::randn({1, obs});
  auto actions = torch::rand({1, population, horizon, act}) * 2 - 1;
  env.score(start, actions);  // warm-up: buffers are allocated here
  for (auto _ : state) benchmark::DoNotOptimize(env.score(start, actions));
  state.counters["GFLOP/s"] = benchmark::Counter(
      forward_flops(*model, static_cast<double>(population * particles * horizon)) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_CAPTURE(BM_ModelEnvScore, cartpole_P350_H15, 4, 1, 350, 15, true)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ModelEnvScore, cheetah_P400_H30, 17, 6, 400, 30, false)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// E = 7 members, each on its own 7000 rows: 49000 transitions per call
void BM_EnsembleForwardTiled(benchmark::State& state) {
  at::set_num_threads(static_cast<int>(state.range(0)));
  auto model = pets_model(4, 1);
  EnsembleInference inference(*model);
  const int64_t rows = 7000, e = model->ensemble_size();
  auto x = torch::randn({e * rows, model->input_dim()});
  std::vector<int64_t> members, offsets{0};
  for (int64_t m = 0; m < e; ++m) {
    members.push_back(m);
    offsets.push_back((m + 1) * rows);
  }
  inference.forward_grouped(x, members, offsets);
  for (auto _ : state) benchmark::DoNotOptimize(inference.forward_grouped(x, members, offsets));
  state.SetItemsProcessed(state.iterations() * e * rows);
  state.counters["GFLOP/s"] = benchmark::Counter(forward_flops(*model, e * rows) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EnsembleForwardTiled)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// the same work through the autograd module's batched baddbmm (what mbrl-lib does)
void BM_EnsembleForwardBatched(benchmark::State& state) {
  at::set_num_threads(static_cast<int>(state.range(0)));
  torch::NoGradGuard no_grad;
  auto model = pets_model(4, 1);
  const int64_t rows = 7000, e = model->ensemble_size();
  auto x = torch::randn({e, rows, model->input_dim()});
  for (auto _ : state) benchmark::DoNotOptimize(model->forward(x).mean);
  state.SetItemsProcessed(state.iterations() * e * rows);
  state.counters["GFLOP/s"] = benchmark::Counter(forward_flops(*model, e * rows) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EnsembleForwardBatched)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// One ModelEnv::score call on a GRU sequence model with prediction heads at the partially
// observed cart-pole's PETS settings (configs/pets/cartpole_pomdp_gru.yaml: GRU 128, heads
// 2 x 200; P 200, H 25), 5 particles per candidate. args: heads, propagation (0: ts_inf, each
// row through its own head; 1: expectation, every head on every row: the heads' work of every
// propagation before the rows were grouped by head)
void BM_SequenceModelScore(benchmark::State& state) {
  at::set_num_threads(1);
  register_builtins();
  BuildContext ctx;
  EnvSpec spec;
  spec.name = "cartpole_swingup";
  spec.observation_space = Box::uniform(4, -10, 10);
  spec.action_space = Box::uniform(1, -1, 1);
  ctx.env_spec = spec;
  torch::manual_seed(0);
  const std::string yaml = "type: sequence_model\nhead_layers: 2\nhead_hidden_size: 200\nheads: " +
                           std::to_string(state.range(0)) +
                           "\nbackbone:\n  type: gru\n  hidden_size: 128\n";
  auto model = model_registry().create(load_config_string(yaml, "bench.yaml"), ctx);
  const int64_t population = 200, horizon = 25;
  ModelEnv env(ModelEnvOptions().particles(5).propagation(
                   state.range(1) == 0 ? Propagation::kTsInf : Propagation::kExpectation),
               model, std::make_shared<CartpoleSwingupTask>(), make_generator(2, torch::kCPU));
  auto start = torch::randn({1, 4});
  auto actions = torch::rand({1, population, horizon, 1}) * 2 - 1;
  env.score(start, actions);
  for (auto _ : state) benchmark::DoNotOptimize(env.score(start, actions));
  state.SetLabel(state.range(1) == 0 ? "ts_inf" : "expectation");
}
BENCHMARK(BM_SequenceModelScore)
    ->ArgsProduct({{1, 5}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mbrl

// The GPU side of the CPU benchmarks, same workloads: ModelEnv scoring at the PETS cart-pole and
// HalfCheetah-sized configs, ensemble training steps (autograd + torch::optim::Adam, the trainer's
// CUDA path) and SAC updates. Every iteration ends with a device synchronisation, so the times
// are wall times of finished work. Each benchmark reports "no CUDA device" and skips without one.
#include <benchmark/benchmark.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "mbrl/agents/sac_agent.h"
#include "mbrl/core/rng.h"
#include "mbrl/envs/classic/cartpole_swingup.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/model_env.h"
#include "support/workloads.h"

namespace mbrl {
namespace {

bool skip_without_cuda(benchmark::State& state) {
  if (torch::cuda::is_available()) return false;
  state.SkipWithError("no CUDA device");
  return true;
}

// one ModelEnv::score call (one CEM iteration: P x K particles for H steps) with E 7 x 4x200
void BM_ModelEnvScore_CUDA(benchmark::State& state, int64_t obs, int64_t act, int64_t population,
                           int64_t horizon, bool cartpole) {
  if (skip_without_cuda(state)) return;
  const int64_t particles = 20;
  auto model = std::make_shared<GaussianMlpEnsemble>(GaussianMlpEnsembleOptions(obs, act),
                                                     make_generator(1, torch::kCPU));
  model->set_elites({0, 1, 2, 3, 4});
  model->to(torch::kCUDA);
  std::shared_ptr<const TaskFunctions> task;
  if (cartpole) {
    task = std::make_shared<CartpoleSwingupTask>();
  } else {
    task = std::make_shared<bench::CheetahLikeTask>();
  }
  ModelEnv env(ModelEnvOptions().particles(particles), model, task,
               make_generator(2, torch::kCUDA));
  auto start = torch::randn({1, obs}).cuda();
  auto actions = (torch::rand({1, population, horizon, act}) * 2 - 1).cuda();
  env.score(start, actions);  // warm-up
  torch::cuda::synchronize();
  for (auto _ : state) {
    benchmark::DoNotOptimize(env.score(start, actions));
    torch::cuda::synchronize();
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * bench::forward_macs(*model) *
                             static_cast<double>(population * particles * horizon) * 1e-9,
                         benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_CAPTURE(BM_ModelEnvScore_CUDA, cartpole_P350_H15, 4, 1, 350, 15, true)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ModelEnvScore_CUDA, cheetah_P400_H30, 17, 6, 400, 30, false)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// one gradient step of the ensemble trainer's CUDA path: E 7 x 4x200 SiLU, Gaussian NLL,
// 256 rows per member
void BM_EnsembleTrainStep_CUDA(benchmark::State& state, int64_t obs, int64_t act) {
  if (skip_without_cuda(state)) return;
  constexpr int64_t kBatch = 256;
  auto model = std::make_shared<GaussianMlpEnsemble>(GaussianMlpEnsembleOptions(obs, act),
                                                     make_generator(1, torch::kCPU));
  model->to(torch::kCUDA);
  const int64_t e = model->ensemble_size();
  auto x = torch::randn({e, kBatch, model->input_dim()}).cuda();
  auto y = (0.1 * torch::randn({e, kBatch, model->target_dim()})).cuda();
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-4));
  auto step = [&] {
    adam.zero_grad();
    at::Tensor loss = model->loss(x, y, at::Tensor());
    loss.backward();
    adam.step();
    return loss;
  };
  for (int i = 0; i < 5; ++i) step();  // warm-up (Adam state allocation)
  torch::cuda::synchronize();
  for (auto _ : state) {
    benchmark::DoNotOptimize(step());
    torch::cuda::synchronize();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(
      3.0 * 2.0 * bench::forward_macs(*model) * static_cast<double>(e * kBatch) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_CAPTURE(BM_EnsembleTrainStep_CUDA, obs4_act1, 4, 1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EnsembleTrainStep_CUDA, obs17_act6, 17, 6)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// one SAC update (twin Q 2x256, batch 256) on CUDA; args: obs_dim, act_dim
void BM_SacUpdate_CUDA(benchmark::State& state) {
  if (skip_without_cuda(state)) return;
  const int64_t obs_dim = state.range(0), act_dim = state.range(1), n = 256;
  EnvSpec spec;
  spec.observation_space = Box::uniform(obs_dim, -10, 10);
  spec.action_space = Box::uniform(act_dim, -1, 1);
  SacAgent agent(SacOptions(), spec, make_generator(0, torch::kCUDA), torch::kCUDA);
  TransitionBatch b{
      torch::randn({n, obs_dim}).cuda(),      (torch::rand({n, act_dim}) * 2 - 1).cuda(),
      torch::randn({n, obs_dim}).cuda(),      torch::randn({n}).cuda(),
      torch::zeros({n}, torch::kBool).cuda(), torch::zeros({n}, torch::kBool).cuda()};
  for (int i = 0; i < 5; ++i) agent.update(b);
  torch::cuda::synchronize();
  for (auto _ : state) {
    benchmark::DoNotOptimize(agent.update_sac(b).critic_loss);
    torch::cuda::synchronize();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SacUpdate_CUDA)
    ->ArgNames({"obs", "act"})
    ->Args({3, 1})
    ->Args({17, 6})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mbrl

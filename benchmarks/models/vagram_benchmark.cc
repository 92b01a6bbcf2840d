// What VaGraM adds to the ensemble's training (Hopper shapes: obs 11, act 3; the MBPO ensemble
// 7 x 4 x 200, SAC's twin 2 x 256 critics): the value gradients of the 4 value functions at every
// next state, taken once per training call, and the per-step clipping and weighting, against the
// same training with the NLL and MSE losses. One call = value gradients (vagram) + 1 epoch of
// 256-row minibatches over 10,000 transitions (40 gradient steps after the 20 % holdout).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <ATen/Parallel.h>

#include "mbrl/agents/sac_agent.h"
#include "mbrl/core/rng.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/model_trainer.h"

namespace mbrl {
namespace {

constexpr int64_t kObs = 11, kAct = 3, kRows = 10000;

TransitionBatch hopper_shaped_data() {
  auto gen = make_generator(0, torch::kCPU);
  TransitionBatch d;
  d.obs = at::normal(0, 1, {kRows, kObs}, gen);
  d.act = at::rand({kRows, kAct}, gen) * 2 - 1;
  d.next_obs = d.obs + 0.1 * at::normal(0, 1, {kRows, kObs}, gen);
  d.reward = at::normal(0, 1, {kRows}, gen);
  d.terminated = torch::zeros({kRows}, torch::kBool);
  d.truncated = torch::zeros({kRows}, torch::kBool);
  return d;
}

std::shared_ptr<SacAgent> hopper_sac() {
  EnvSpec spec;
  spec.name = "hopper";
  spec.observation_space = Box::uniform(kObs, -1e9, 1e9);
  spec.action_space = Box::uniform(kAct, -1, 1);
  return std::make_shared<SacAgent>(SacOptions(), spec, make_generator(2, torch::kCPU));
}

void BM_ModelTrainingCall(benchmark::State& state, EnsembleLoss loss) {
  at::set_num_threads(static_cast<int>(state.range(0)));
  const TransitionBatch data = hopper_shaped_data();
  auto model = std::make_shared<GaussianMlpEnsemble>(
      GaussianMlpEnsembleOptions(kObs, kAct).learn_reward(true).loss(loss),
      make_generator(1, torch::kCPU));
  ModelTrainer trainer(ModelTrainerOptions().num_epochs(1).patience(0), model);
  if (loss == EnsembleLoss::kVagram) trainer.set_value_gradient_source(hopper_sac());
  auto gen = make_generator(3, torch::kCPU);
  for (auto _ : state) benchmark::DoNotOptimize(trainer.train(data, gen));
  state.SetItemsProcessed(state.iterations());
}

// the value gradients alone: [4, 10000, 11] from the twin critics and their targets
void BM_SacValueGradients(benchmark::State& state) {
  at::set_num_threads(static_cast<int>(state.range(0)));
  const TransitionBatch data = hopper_shaped_data();
  auto sac = hopper_sac();
  for (auto _ : state) benchmark::DoNotOptimize(sac->value_gradients(data.next_obs));
  state.SetItemsProcessed(state.iterations() * kRows);
}

BENCHMARK_CAPTURE(BM_ModelTrainingCall, nll, EnsembleLoss::kNll)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ModelTrainingCall, mse, EnsembleLoss::kMse)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ModelTrainingCall, vagram, EnsembleLoss::kVagram)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SacValueGradients)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mbrl

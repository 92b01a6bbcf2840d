// Gradient steps per second of the ensemble trainer at mbrl-lib's workload: 7 members, 4 hidden
// layers of 200 SiLU, Gaussian NLL, Adam, 256 rows per member; obs 4 / act 1 and obs 17 / act 6.
// Hand-written backward + FusedAdam (the default) against LibTorch autograd + torch::optim::Adam.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <ATen/Parallel.h>

#include "mbrl/core/rng.h"
#include "mbrl/models/ensemble_backprop.h"
#include "mbrl/models/fused_adam.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "support/workloads.h"

namespace mbrl {
namespace {

constexpr int64_t kBatch = 256;
constexpr int64_t kDataset = 20000;

// 3 x the forward matmul FLOPs (forward, input gradient, weight gradient), as mbrl-lib's figure
double step_flops(const GaussianMlpEnsemble& m) {
  return 3.0 * 2.0 * bench::forward_macs(m) * static_cast<double>(m.ensemble_size() * kBatch);
}

struct Workload {
  std::shared_ptr<GaussianMlpEnsemble> model;
  at::Tensor x, y;  // a dataset of normalized inputs and targets
  at::Generator gen = make_generator(0, torch::kCPU);

  Workload(int64_t obs, int64_t act) {
    model = std::make_shared<GaussianMlpEnsemble>(GaussianMlpEnsembleOptions(obs, act),
                                                  make_generator(1, torch::kCPU));
    x = torch::randn({kDataset, model->input_dim()});
    y = 0.1 * torch::randn({kDataset, model->target_dim()});
  }
  // one bootstrapped minibatch, gathered as the trainer does
  std::pair<at::Tensor, at::Tensor> batch() {
    at::Tensor idx = at::randint(kDataset, {model->ensemble_size() * kBatch}, gen,
                                 torch::TensorOptions().dtype(torch::kInt64));
    return {x.index_select(0, idx).view({model->ensemble_size(), kBatch, -1}),
            y.index_select(0, idx).view({model->ensemble_size(), kBatch, -1})};
  }
};

void BM_EnsembleTrainStepFused(benchmark::State& state, int64_t obs, int64_t act) {
  at::set_num_threads(static_cast<int>(state.range(0)));
  Workload w(obs, act);
  EnsembleBackprop backprop(w.model);
  FusedAdam adam(backprop.parameters(), backprop.weight_decay(), FusedAdamOptions().lr(1e-4));
  for (auto _ : state) {
    auto [x, y] = w.batch();
    benchmark::DoNotOptimize(backprop.compute(x, y, at::Tensor()));
    adam.step(backprop.grad_parts());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(step_flops(*w.model) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void BM_EnsembleTrainStepAutograd(benchmark::State& state, int64_t obs, int64_t act) {
  at::set_num_threads(static_cast<int>(state.range(0)));
  Workload w(obs, act);
  torch::optim::Adam adam(w.model->parameters(), torch::optim::AdamOptions(1e-4));
  for (auto _ : state) {
    auto [x, y] = w.batch();
    adam.zero_grad();
    at::Tensor loss = w.model->loss(x, y, at::Tensor());
    loss.backward();
    adam.step();
    benchmark::DoNotOptimize(loss);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(step_flops(*w.model) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK_CAPTURE(BM_EnsembleTrainStepFused, obs4_act1, 4, 1)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EnsembleTrainStepAutograd, obs4_act1, 4, 1)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EnsembleTrainStepFused, obs17_act6, 17, 6)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EnsembleTrainStepAutograd, obs17_act6, 17, 6)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mbrl

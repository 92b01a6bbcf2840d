// Data-parallel ensemble training (c10d Gloo on loopback): a ModelTrainer call of 40 gradient
// steps at mbrl-lib's MBPO workload (7 members, 4 x 200 SiLU, obs 17 / act 6, 256 rows per
// member (and 2048), 10,000 transitions) on 1 rank and on 2 ranks (each computing half of every
// minibatch, gradients summed by one all-reduce per step), and the all-reduce of one step's
// gradients alone. The second rank is a thread of this process with its own trainer, in lockstep
// with the benchmark's; LibTorch's intra-op threads are process-wide, so compare each row's
// `threads`.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <thread>

#include "mbrl/core/data_parallel.h"
#include "mbrl/core/rng.h"
#include "mbrl/core/types.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/model_trainer.h"

namespace mbrl {
namespace {

constexpr int64_t kSteps = 40;
constexpr int kIterations = 5;

TransitionBatch dataset(int64_t n) {
  auto gen = make_generator(5, torch::kCPU);
  TransitionBatch t;
  t.obs = at::normal(0, 1, {n, 17}, gen);
  t.act = at::normal(0, 1, {n, 6}, gen);
  t.next_obs = t.obs + 0.1 * at::normal(0, 1, {n, 17}, gen);
  t.reward = at::normal(0, 1, {n}, gen);
  t.terminated = torch::zeros({n}, torch::kBool);
  t.truncated = torch::zeros({n}, torch::kBool);
  return t;
}

// one rank's trainer at minibatch `batch`; `calls` train calls of kSteps gradient steps each,
// or the benchmark's iterations when `state` is given
void train_calls(const std::shared_ptr<DataParallel>& group, const TransitionBatch& data,
                 int64_t batch, int calls, benchmark::State* state) {
  auto model = std::make_shared<GaussianMlpEnsemble>(
      GaussianMlpEnsembleOptions(17, 6).ensemble_size(7).num_elites(5).learn_reward(true),
      make_generator(1, torch::kCPU));
  ModelTrainer trainer(
      ModelTrainerOptions().batch_size(batch).num_epochs(0).patience(0).max_gradient_steps(kSteps),
      model);
  if (group) trainer.set_data_parallel(group);
  auto gen = make_generator(3, torch::kCPU);
  trainer.train(data, gen);  // warm-up (and the rendezvous)
  if (state == nullptr) {
    for (int i = 0; i < calls; ++i) trainer.train(data, gen);
    return;
  }
  for (auto _ : *state) trainer.train(data, gen);
}

void BM_DataParallelEnsembleTraining(benchmark::State& state) {
  const int ranks = static_cast<int>(state.range(0));
  at::set_num_threads(static_cast<int>(state.range(1)));
  const int64_t batch = state.range(2);
  const TransitionBatch data = dataset(std::max<int64_t>(10000, 2 * batch));
  if (ranks == 1) {
    train_calls(nullptr, data, batch, 0, &state);
  } else {
    const int port = free_loopback_port();
    std::thread other([&] {
      train_calls(std::make_shared<DataParallel>(Rendezvous{"127.0.0.1", port, 1, 2}), data, batch,
                  kIterations, nullptr);
    });
    train_calls(std::make_shared<DataParallel>(Rendezvous{"127.0.0.1", port, 0, 2}), data, batch, 0,
                &state);
    other.join();
  }
  // seconds per gradient step (shown as e.g. 13.4m: 13.4 ms)
  state.counters["s_per_step"] = benchmark::Counter(
      static_cast<double>(kSteps),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["threads"] = static_cast<double>(at::get_num_threads());
}
BENCHMARK(BM_DataParallelEnsembleTraining)
    ->ArgNames({"ranks", "threads", "batch"})
    ->ArgsProduct({{1}, {1, 2}, {256, 2048}})
    ->ArgsProduct({{2}, {1}, {256, 2048}})
    ->Iterations(kIterations)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// the all-reduce of one gradient step: every parameter of the ensemble above and the loss
void BM_GradientAllReduce(benchmark::State& state) {
  at::set_num_threads(1);
  GaussianMlpEnsemble model(
      GaussianMlpEnsembleOptions(17, 6).ensemble_size(7).num_elites(5).learn_reward(true),
      make_generator(1, torch::kCPU));
  std::vector<at::Tensor> grads;
  int64_t floats = 0;
  for (const auto& p : model.parameters()) {
    grads.push_back(torch::zeros_like(p));
    floats += p.numel();
  }
  constexpr int kReduces = 200;
  const int port = free_loopback_port();
  std::thread other([&] {
    DataParallel group(Rendezvous{"127.0.0.1", port, 1, 2});
    std::vector<at::Tensor> mine;
    for (const auto& g : grads) mine.push_back(torch::zeros_like(g));
    for (int i = 0; i < kReduces + 1; ++i) group.all_reduce_sum(mine);
  });
  DataParallel group(Rendezvous{"127.0.0.1", port, 0, 2});
  group.all_reduce_sum(grads);  // the rendezvous
  for (auto _ : state) group.all_reduce_sum(grads);
  other.join();
  state.counters["floats"] = static_cast<double>(floats);
  state.SetBytesProcessed(state.iterations() * floats * 4);
}
BENCHMARK(BM_GradientAllReduce)->Iterations(200)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace mbrl

// What a model update costs as the replay grows (1k, 10k, 100k transitions), at MBPO pendulum's
// cadence of one update per 200 new transitions: LSSE's incremental follow-the-leader update
// (LsseLearner::update on the 200 new rows, statistics of the N before them already held)
// against the ensemble's retraining on the whole replay (ModelTrainer, 7 x 4x200 SiLU, batch
// 256, holdout 20 %), timed per epoch (a training call runs until early stopping: typically 5-20
// epochs). items_per_second counts the 200 new transitions of one update.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <ATen/Parallel.h>

#include "mbrl/core/rng.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/lsse_learner.h"
#include "mbrl/models/lsse_model.h"
#include "mbrl/models/model_trainer.h"

namespace mbrl {
namespace {

constexpr int64_t kObs = 3, kAct = 1, kNewRows = 200;

// smooth pendulum-like transitions: obs [cos, sin, velocity], act in [-2, 2]
TransitionBatch transitions(int64_t n, uint64_t seed) {
  auto gen = make_generator(seed, torch::kCPU);
  at::Tensor theta = at::rand({n}, gen) * 6.28 - 3.14, vel = at::rand({n}, gen) * 16 - 8;
  at::Tensor act = at::rand({n, kAct}, gen) * 4 - 2;
  at::Tensor new_vel = (vel + 0.05 * (15 * theta.sin() + 3 * act.select(1, 0))).clamp(-8, 8);
  at::Tensor new_theta = theta + 0.05 * new_vel;
  TransitionBatch t;
  t.obs = torch::stack({theta.cos(), theta.sin(), vel}, 1);
  t.act = act;
  t.next_obs = torch::stack({new_theta.cos(), new_theta.sin(), new_vel}, 1);
  t.reward = -(theta.square() + 0.1 * vel.square());
  t.terminated = torch::zeros({n}, torch::kBool);
  t.truncated = torch::zeros({n}, torch::kBool);
  return t;
}

// args: replay size N already absorbed; the defaults of configs/mbpo/pendulum_lsse.yaml
void BM_LsseUpdate(benchmark::State& state) {
  at::set_num_threads(1);
  auto model = std::make_shared<LsseModel>(LsseOptions(kObs, kAct).learn_reward(true),
                                           make_generator(0, torch::kCPU));
  LsseLearner learner(LsseLearnerOptions(), model);
  const int64_t n = state.range(0);
  for (int64_t begin = 0; begin < n; begin += 10000)
    learner.update(transitions(std::min<int64_t>(10000, n - begin), 10 + begin));
  TransitionBatch fresh = transitions(kNewRows, 1);
  for (auto _ : state) benchmark::DoNotOptimize(learner.update(fresh).epochs);
  state.SetItemsProcessed(state.iterations() * kNewRows);
  state.counters["features"] = static_cast<double>(model->num_features());
}
BENCHMARK(BM_LsseUpdate)
    ->ArgNames({"N"})
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);

// one epoch of the ensemble's retraining on N + 200 transitions (the MBPO pendulum model)
void BM_EnsembleRetrainEpoch(benchmark::State& state) {
  at::set_num_threads(1);
  auto model = std::make_shared<GaussianMlpEnsemble>(
      GaussianMlpEnsembleOptions(kObs, kAct).learn_reward(true), make_generator(0, torch::kCPU));
  ModelTrainer trainer(ModelTrainerOptions().num_epochs(1), model);
  TransitionBatch data = transitions(state.range(0) + kNewRows, 2);
  at::Generator gen = make_generator(4, torch::kCPU);
  for (auto _ : state) benchmark::DoNotOptimize(trainer.train(data, gen, nullptr).epochs);
  state.SetItemsProcessed(state.iterations() * kNewRows);
}
BENCHMARK(BM_EnsembleRetrainEpoch)
    ->ArgNames({"N"})
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mbrl

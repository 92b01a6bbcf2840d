// What a model update costs as the replay grows (1k, 10k, 100k transitions), at MBPO pendulum's
// cadence of one update per 200 new transitions: LSSE's incremental follow-the-leader update
// (LsseLearner::update on the 200 new rows, statistics of the N before them already held)
// against the ensemble's retraining on the whole replay (ModelTrainer, 7 x 4x200 SiLU, batch
// 256, holdout 20 %), timed per epoch (a training call runs until early stopping: typically 5-20
// epochs). items_per_second counts the 200 new transitions of one update. BM_LsseUpdateVsFeatures:
// the same update against the feature count D, for the sparse and the exact solver.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <ATen/Parallel.h>

#include "mbrl/core/rng.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/lsse_ftl.h"
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

// args: replay size N already absorbed, solver (0 exact, 1 sparse); the model of
// configs/mbpo/pendulum_lsse.yaml
void BM_LsseUpdate(benchmark::State& state) {
  at::set_num_threads(1);
  auto model = std::make_shared<LsseModel>(
      LsseOptions(kObs, kAct).num_groups(32).bin_dim(2).num_bins(8).learn_reward(true),
      make_generator(0, torch::kCPU));
  LsseLearner learner(LsseLearnerOptions().solver(state.range(1) == 1 ? "sparse" : "exact"), model);
  const int64_t n = state.range(0);
  for (int64_t begin = 0; begin < n; begin += 10000)
    learner.update(transitions(std::min<int64_t>(10000, n - begin), 10 + begin));
  TransitionBatch fresh = transitions(kNewRows, 1);
  for (auto _ : state) benchmark::DoNotOptimize(learner.update(fresh).epochs);
  state.SetItemsProcessed(state.iterations() * kNewRows);
  state.counters["features"] = static_cast<double>(model->num_features());
}
BENCHMARK(BM_LsseUpdate)
    ->ArgNames({"N", "sparse"})
    ->ArgsProduct({{1000, 10000, 100000}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

// args: solver (0 exact, 1 sparse), grid points K per axis of the 32 groups of 2 projections
// (D = 32 K^2: 2k, 8k, 32k, 128k features at K = 8, 16, 32, 64), after 10 000 transitions were
// absorbed; the 200 new rows of one update. Exact FTL is run at the sizes its D x D Gram allows.
void BM_LsseUpdateVsFeatures(benchmark::State& state) {
  at::set_num_threads(1);
  const bool sparse = state.range(0) == 1;
  auto model = std::make_shared<LsseModel>(
      LsseOptions(kObs, kAct).num_groups(32).bin_dim(2).num_bins(state.range(1)).learn_reward(true),
      make_generator(0, torch::kCPU));
  LsseLearner learner(LsseLearnerOptions().solver(sparse ? "sparse" : "exact"), model);
  learner.update(transitions(10000, 10));
  TransitionBatch fresh = transitions(kNewRows, 1);
  for (auto _ : state) benchmark::DoNotOptimize(learner.update(fresh).epochs);
  state.SetItemsProcessed(state.iterations() * kNewRows);
  state.counters["features"] = static_cast<double>(model->num_features());
  if (sparse) {
    const auto& solver = dynamic_cast<const SparseFtl&>(learner.solver());
    state.counters["gram_nnz"] = static_cast<double>(solver.gram_nonzeros());
  }
}
BENCHMARK(BM_LsseUpdateVsFeatures)
    ->ArgNames({"sparse", "K"})
    ->Args({0, 8})
    ->Args({0, 16})
    ->Args({1, 8})
    ->Args({1, 16})
    ->Args({1, 32})
    ->Args({1, 64})
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

// MBPO's three costs at the HalfCheetah config (obs 17, act 6; ensemble 7 x 4x200 SiLU, 5 elites;
// SAC 2x256, batch 256): one batch of branched model rollouts (100k start states, k = 1), one env
// step's SAC updates (G = 40 on real/model mixed minibatches), and one epoch of model training.
// Per 1000 env steps MBPO runs 4 rollout batches, 1000 x G updates and 4 model trainings of
// (early-stopped) several epochs each; docs/benchmarks/mbpo.md combines these with a real run.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "mbrl/agents/sac_agent.h"
#include "mbrl/algorithms/model_rollout.h"
#include "mbrl/core/rng.h"
#include "mbrl/data/mixed_sampler.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/model_env.h"
#include "mbrl/models/model_trainer.h"

namespace mbrl {
namespace {

constexpr int64_t kObs = 17, kAct = 6;

EnvSpec cheetah_spec() {
  EnvSpec s;
  s.observation_space = Box::uniform(kObs, -10, 10);
  s.action_space = Box::uniform(kAct, -1, 1);
  return s;
}

TransitionBatch random_batch(int64_t n) {
  return {torch::randn({n, kObs}),         torch::rand({n, kAct}) * 2 - 1,
          torch::randn({n, kObs}),         torch::randn({n}),
          torch::zeros({n}, torch::kBool), torch::zeros({n}, torch::kBool)};
}

std::shared_ptr<GaussianMlpEnsemble> cheetah_model() {
  auto model =
      std::make_shared<GaussianMlpEnsemble>(GaussianMlpEnsembleOptions(kObs, kAct)
                                                .learn_reward(true)
                                                .weight_decay({2.5e-5, 5e-5, 7.5e-5, 7.5e-5, 1e-4}),
                                            make_generator(0, torch::kCPU));
  model->fit_normalizer(random_batch(5000));
  model->set_elites({0, 1, 2, 3, 4});
  return model;
}

// args: threads, start states, with_uncertainty (0/1); k = 1 as HalfCheetah's schedule
void BM_MbpoRollout(benchmark::State& state) {
  at::set_num_threads(static_cast<int>(state.range(0)));
  const int64_t n = state.range(1);
  auto model = cheetah_model();
  ModelEnv env(ModelEnvOptions().propagation(Propagation::kRandomModel).sample(true), model,
               nullptr, make_generator(1, torch::kCPU));
  SacAgent agent(SacOptions(), cheetah_spec(), make_generator(2, torch::kCPU));
  auto starts = torch::randn({n, kObs});
  ReplayBuffer buffer(n, kObs, kAct);
  auto options = ModelRolloutOptions().horizon(1).with_uncertainty(state.range(2) != 0);
  auto policy = [&](const at::Tensor& obs) { return agent.act_batch(obs, false); };
  for (auto _ : state)
    benchmark::DoNotOptimize(rollout_model(env, policy, starts, buffer, options));
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_MbpoRollout)
    ->ArgNames({"threads", "S", "uncertainty"})
    ->Args({1, 100000, 1})
    ->Args({1, 100000, 0})
    ->Unit(benchmark::kMillisecond);

// one env step's G SAC updates on minibatches of 5 % real, 95 % model rows; args: threads, G
void BM_MbpoSacUpdatesPerStep(benchmark::State& state) {
  at::set_num_threads(static_cast<int>(state.range(0)));
  const int64_t g = state.range(1);
  SacAgent agent(SacOptions(), cheetah_spec(), make_generator(0, torch::kCPU));
  ReplayBuffer real(20000, kObs, kAct), model(400000, kObs, kAct);
  real.add_batch(random_batch(20000));
  model.add_batch(random_batch(400000));
  at::Generator gen = make_generator(3, torch::kCPU);
  for (int i = 0; i < 5; ++i) agent.update(sample_mixed(real, model, 256, 0.05, gen));
  for (auto _ : state) {
    for (int64_t u = 0; u < g; ++u)
      benchmark::DoNotOptimize(agent.update(sample_mixed(real, model, 256, 0.05, gen)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MbpoSacUpdatesPerStep)
    ->ArgNames({"threads", "G"})
    ->Args({1, 40})
    ->Unit(benchmark::kMillisecond);

// one epoch of ensemble training (holdout 20 %, batch 256) on N real transitions; args: threads, N
void BM_MbpoModelTrainingEpoch(benchmark::State& state) {
  at::set_num_threads(static_cast<int>(state.range(0)));
  auto model = cheetah_model();
  ModelTrainer trainer(ModelTrainerOptions().num_epochs(1), model);
  auto data = random_batch(state.range(1));
  at::Generator gen = make_generator(4, torch::kCPU);
  for (auto _ : state) benchmark::DoNotOptimize(trainer.train(data, gen, nullptr).epochs);
  state.SetItemsProcessed(state.iterations() * state.range(1));
}
BENCHMARK(BM_MbpoModelTrainingEpoch)
    ->ArgNames({"threads", "N"})
    ->Args({1, 10000})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mbrl

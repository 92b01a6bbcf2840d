// SacAgent speed: updates per second (the cost of SAC, MBPO's G updates per env step), single
// actions (one env step) and batched actions (MBPO's model rollouts on many states at once).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "mbrl/agents/sac_agent.h"
#include "mbrl/core/cpu_share.h"
#include "mbrl/core/device.h"
#include "mbrl/core/rng.h"

namespace mbrl {
namespace {

// obs_dim x act_dim with actions in [-1, 1]
EnvSpec spec(int64_t obs_dim, int64_t act_dim) {
  EnvSpec s;
  s.observation_space = Box::uniform(obs_dim, -10, 10);
  s.action_space = Box::uniform(act_dim, -1, 1);
  return s;
}

TransitionBatch batch(int64_t n, int64_t obs_dim, int64_t act_dim) {
  return {torch::randn({n, obs_dim}),      torch::rand({n, act_dim}) * 2 - 1,
          torch::randn({n, obs_dim}),      torch::randn({n}),
          torch::zeros({n}, torch::kBool), torch::zeros({n}, torch::kBool)};
}

// args: threads, obs_dim, act_dim, batch size (hidden 256 x 2, twin Q), share: 1 calls
// share_cpus() before each update as the training loops do (the running threads give way to other
// processes' load), 0 keeps `threads` running whatever the load
void BM_SacUpdate(benchmark::State& state) {
  configure_threads(static_cast<int>(state.range(0)));
  const int64_t obs_dim = state.range(1), act_dim = state.range(2), n = state.range(3);
  const bool share = state.range(4) != 0;
  SacAgent agent(SacOptions(), spec(obs_dim, act_dim), make_generator(0, torch::kCPU));
  auto b = batch(n, obs_dim, act_dim);
  for (int i = 0; i < 5; ++i) agent.update(b);  // warm-up (Adam state allocation)
  for (auto _ : state) {
    if (share) share_cpus();
    benchmark::DoNotOptimize(agent.update_sac(b).critic_loss);
  }
  state.counters["threads_at_end"] = at::get_num_threads();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SacUpdate)
    ->ArgNames({"threads", "obs", "act", "B", "share"})
    ->Args({1, 3, 1, 256, 1})
    ->Args({2, 3, 1, 256, 1})
    ->Args({1, 17, 6, 256, 1})
    ->Args({2, 17, 6, 256, 1})
    ->Args({2, 17, 6, 256, 0})
    ->Unit(benchmark::kMillisecond);

// The offline loops' actor-critic step at HalfCheetah's sizes (obs 17, act 6, batch 256, 1
// thread): args critics, hidden layers per critic, diversity (EDAC's eta x 100), deterministic
// backup. MOPO {2, 2, 0, 0}, MOBILE {2, 2, 0, 1} (its Bellman-inconsistency penalty is not in
// the update), RAVL {10, 3, 100, 0}.
void BM_OfflineSacUpdate(benchmark::State& state) {
  configure_threads(1);
  const auto options = SacOptions()
                           .num_critics(state.range(0))
                           .num_layers(state.range(1))
                           .critic_diversity(static_cast<double>(state.range(2)) / 100.0)
                           .deterministic_backup(state.range(3) != 0);
  SacAgent agent(options, spec(17, 6), make_generator(0, torch::kCPU));
  auto b = batch(256, 17, 6);
  for (int i = 0; i < 5; ++i) agent.update(b);  // warm-up (Adam state allocation)
  for (auto _ : state) benchmark::DoNotOptimize(agent.update_sac(b).critic_loss);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OfflineSacUpdate)
    ->ArgNames({"critics", "layers", "eta100", "det"})
    ->Args({2, 2, 0, 0})
    ->Args({2, 2, 0, 1})
    ->Args({10, 3, 100, 0})
    ->Unit(benchmark::kMillisecond);

// one observation per call, as the training loop acts
void BM_SacAct(benchmark::State& state) {
  at::set_num_threads(1);
  SacAgent agent(SacOptions(), spec(3, 1), make_generator(0, torch::kCPU));
  auto obs = torch::randn({3});
  for (auto _ : state) benchmark::DoNotOptimize(agent.act(obs, ActMode::kExplore));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SacAct)->Unit(benchmark::kMicrosecond);

// args: threads, B states (obs 17, act 6)
void BM_SacActBatch(benchmark::State& state) {
  at::set_num_threads(static_cast<int>(state.range(0)));
  const int64_t n = state.range(1);
  SacAgent agent(SacOptions(), spec(17, 6), make_generator(0, torch::kCPU));
  auto obs = torch::randn({n, 17});
  for (auto _ : state) benchmark::DoNotOptimize(agent.act_batch(obs));
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_SacActBatch)
    ->ArgNames({"threads", "B"})
    ->Args({1, 100000})
    ->Args({2, 100000})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mbrl

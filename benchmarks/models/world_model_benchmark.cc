// DreamerV3's world model and imagination on CPU, per backbone, at DreamerV3's batch shape
// (16 chunks of 64 steps) with CPU-sized networks (units 256, deter 256, 32 x 32 latents):
// world-model train steps (observe + loss + backward; DreamerV3's posterior or S4WM's) and
// imagination (15 steps of actor and prior from all 16 x 64 posterior states, forward and the
// actor-critic's backward).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "mbrl/agents/dreamer/imagination_actor_critic.h"
#include "mbrl/config/loader.h"
#include "mbrl/core/rng.h"
#include "mbrl/models/world/latent_disagreement.h"
#include "mbrl/models/world/world_model.h"
#include "mbrl/register_builtins.h"

namespace mbrl {
namespace {

constexpr int64_t kObs = 17, kAct = 6, kBatch = 16, kLength = 64;

// index 0: gru (DreamerV3 block GRU, 256 wide, 8 blocks), 1: transformer, 2: s4d, 3: mamba
// scanning in chunks of 64 steps (one chunk for T = 64), 4: in chunks of 8, 5: in chunks of 16
// (the default)
std::shared_ptr<SequenceBackbone> backbone(int64_t index) {
  register_builtins();
  static const char* kYaml[] = {
      "type: gru\nhidden_size: 256\nblocks: 8\n",
      "type: transformer\nd_model: 256\nnum_layers: 2\nnum_heads: 4\ncontext: 64\n",
      "type: s4d\nd_model: 256\nnum_layers: 2\nd_state: 32\n",
      "type: mamba\nd_model: 256\nnum_layers: 2\nscan_chunk: 64\n",
      "type: mamba\nd_model: 256\nnum_layers: 2\nscan_chunk: 8\n",
      "type: mamba\nd_model: 256\nnum_layers: 2\n"};
  torch::manual_seed(0);
  return backbone_registry().create(load_config_string(kYaml[index], "bench.yaml"), BuildContext{},
                                    32 * 32 + kAct);
}

// posterior: DreamerV3's "history" (observed step by step) or S4WM's "observation" (parallel)
std::unique_ptr<WorldModel> world_model(int64_t index, const char* posterior = "history") {
  auto backbone = mbrl::backbone(index);
  return std::make_unique<WorldModel>(WorldModelOptions(kObs, kAct).posterior(posterior), backbone,
                                      make_generator(0, torch::kCPU));
}

StepBatch chunk() {
  StepBatch s;
  s.obs = torch::randn({kLength, kBatch, kObs});
  s.prev_act = torch::rand({kLength, kBatch, kAct}) * 2 - 1;
  s.reward = torch::randn({kLength, kBatch});
  s.is_first = torch::zeros({kLength, kBatch}, torch::kBool);
  s.is_first[0].fill_(true);
  s.is_terminal = torch::zeros({kLength, kBatch}, torch::kBool);
  return s;
}

// args: backbone index, posterior (0 history, 1 observation), keep (1: also keep every step's
// state for imagination, as DreamerAgent::train does); items: replayed steps (16 x 64 per
// iteration)
void BM_WorldModelTrainStep(benchmark::State& state) {
  auto wm = world_model(state.range(0), state.range(1) == 0 ? "history" : "observation");
  const StepBatch steps = chunk();
  const bool keep = state.range(2) != 0;
  for (auto _ : state) {
    wm->zero_grad();
    Observation observed;
    wm->loss(steps, keep ? &observed : nullptr).total.backward();
  }
  state.SetItemsProcessed(state.iterations() * kLength * kBatch);
}

// Every step's memory of a 16 x 64 chunk (the imagination starts of the observation posterior):
// the backbone's own states_along, or the default that steps the recurrent form.
// args: backbone index, own (1) or default (0); items: steps
void BM_BackboneStatesAlong(benchmark::State& state) {
  auto net = backbone(state.range(0));
  const at::Tensor x = torch::randn({kLength, kBatch, net->input_size()});
  at::Tensor is_first = torch::zeros({kLength, kBatch}, torch::kBool);
  is_first[0].fill_(true);
  const BackboneState s0 = net->initial_state(kBatch, torch::kCPU);
  torch::NoGradGuard no_grad;
  const at::Tensor y = net->forward(x, is_first, s0).first;
  for (auto _ : state) {
    BackboneState every = state.range(1) != 0
                              ? net->states_along(x, is_first, s0, y)
                              : net->SequenceBackbone::states_along(x, is_first, s0, y);
    benchmark::DoNotOptimize(every.tensors.front().data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * kLength * kBatch);
}

// args: backbone index; items: imagined steps (1024 starts x 15 steps per iteration)
void BM_ImaginationActorCriticStep(benchmark::State& state) {
  auto wm = world_model(state.range(0));
  Observation o;
  {
    torch::NoGradGuard no_grad;
    o = wm->observe(chunk(), /*keep_states=*/true);
  }
  ImaginationActorCritic ac(ImaginationActorCriticOptions(wm->feature_size(), kAct),
                            make_generator(1, torch::kCPU));
  const at::Tensor cont = torch::ones({kLength * kBatch});
  for (auto _ : state) benchmark::DoNotOptimize(ac.train(*wm, o.every, cont).actor_loss);
  state.SetItemsProcessed(state.iterations() * kLength * kBatch * 15);
}

// COPlanner's conservative imagination on the GRU world model: the same update, each imagined
// action after the start chosen by LatentUpMpc among K actor draws (H_p = 4, undiscounted, as
// configs/dreamer_coplanner/), the disagreement read from 8 heads of 2 x 128.
// args: K; items: imagined steps, as above
void BM_ImaginationActorCriticStepCoplanner(benchmark::State& state) {
  auto wm = world_model(0);
  Observation o;
  {
    torch::NoGradGuard no_grad;
    o = wm->observe(chunk(), /*keep_states=*/true);
  }
  ImaginationActorCritic ac(ImaginationActorCriticOptions(wm->feature_size(), kAct),
                            make_generator(1, torch::kCPU));
  ac.plan_imagination(std::make_shared<LatentDisagreement>(
                          LatentDisagreementOptions(wm->feature_size(), kAct, 32 * 32)),
                      UpMpcOptions()
                          .candidates(state.range(0))
                          .horizon(4)
                          .reward_discount(1.0)
                          .uncertainty_discount(1.0),
                      0.5);
  const at::Tensor cont = torch::ones({kLength * kBatch});
  for (auto _ : state) benchmark::DoNotOptimize(ac.train(*wm, o.every, cont).actor_loss);
  state.SetItemsProcessed(state.iterations() * kLength * kBatch * 15);
}

BENCHMARK(BM_WorldModelTrainStep)
    ->ArgsProduct({{0, 1, 2, 3, 4, 5}, {0, 1}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_BackboneStatesAlong)
    ->ArgsProduct({{1, 2}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_ImaginationActorCriticStep)
    ->DenseRange(0, 3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_ImaginationActorCriticStepCoplanner)
    ->Arg(1)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace mbrl

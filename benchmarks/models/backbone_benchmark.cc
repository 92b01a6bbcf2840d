// Sequence backbones at about 1 M parameters each: training throughput (parallel form, forward and
// backward over [T, B] chunks) for T = 64, 256, 1024, and imagination throughput (recurrent form,
// one step of 1024 sequences). items_per_second counts time steps x sequences.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <ATen/Parallel.h>

#include "mbrl/config/loader.h"
#include "mbrl/models/sequence/mamba_backbone.h"
#include "mbrl/models/sequence/sequence_backbone.h"
#include "mbrl/register_builtins.h"

namespace mbrl {
namespace {

constexpr int64_t kIn = 64, kTrainBatch = 8, kImagineBatch = 1024;

// index 0: gru (block, 1536 wide, 8 blocks), 1: mamba (256 wide, 2 layers), 2: s4d (384 wide, 3
// layers), 3: transformer (192 wide, 2 layers, 4 heads, context 64): 1.2 M, 0.9 M, 1.0 M and
// 0.9 M parameters
std::shared_ptr<SequenceBackbone> backbone(int64_t index) {
  register_builtins();
  static const char* kYaml[] = {"type: gru\nhidden_size: 1536\nblocks: 8\n",
                                "type: mamba\nd_model: 256\nnum_layers: 2\n",
                                "type: s4d\nd_model: 384\nnum_layers: 3\nd_state: 64\n",
                                "type: transformer\nd_model: 192\nnum_layers: 2\nnum_heads: 4\n"
                                "context: 64\n"};
  torch::manual_seed(0);
  return backbone_registry().create(load_config_string(kYaml[index], "bench.yaml"), BuildContext{},
                                    kIn);
}

void set_label(benchmark::State& state, SequenceBackbone& net) {
  int64_t params = 0;
  for (const auto& p : net.parameters()) params += p.numel();
  state.SetLabel(net.type() + ", " + std::to_string(params / 1000) + "k params");
}

// args: backbone index, T
void BM_BackboneTrain(benchmark::State& state) {
  auto net = backbone(state.range(0));
  const int64_t T = state.range(1);
  const at::Tensor x = torch::randn({T, kTrainBatch, kIn});
  at::Tensor first = torch::zeros({T, kTrainBatch}, torch::kBool);
  first[T / 2][0] = true;
  const auto s0 = net->initial_state(kTrainBatch, torch::kCPU);
  for (auto _ : state) {
    net->zero_grad();
    net->forward(x, first, s0).first.square().mean().backward();
  }
  state.SetItemsProcessed(state.iterations() * T * kTrainBatch);
  set_label(state, *net);
}

// args: backbone index
void BM_BackboneImagine(benchmark::State& state) {
  auto net = backbone(state.range(0));
  torch::NoGradGuard no_grad;
  const at::Tensor x = torch::randn({kImagineBatch, kIn});
  BackboneState s = net->initial_state(kImagineBatch, torch::kCPU);
  for (auto _ : state) s = net->step(s, x, at::Tensor()).second;
  state.SetItemsProcessed(state.iterations() * kImagineBatch);
  set_label(state, *net);
}

// Mamba's linear scan alone, forward, on [T, 8, 512, 16] (the mamba benchmark backbone's
// shape). args: chunk, T
void BM_LinearScan(benchmark::State& state) {
  const int64_t chunk = state.range(0), T = state.range(1);
  torch::manual_seed(0);
  const at::Tensor a = torch::rand({T, kTrainBatch, 512, 16}), b = torch::randn_like(a);
  const at::Tensor h0 = torch::zeros_like(a[0]);
  for (auto _ : state) {
    const at::Tensor h = detail::chunked_linear_scan(a, b, h0, chunk);
    benchmark::DoNotOptimize(h.data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * T * kTrainBatch);
}

// Ensembles of whole backbones (SequenceBackbone::members) at the sizes of
// configs/mbpo/pendulum_gru.yaml's training (16 sequences of 50 steps, input 4): M members in one
// backbone against M one-member backbones run one after another. index 0: gru (128 wide, 1
// block), 1: mamba (64 wide, 2 layers), 2: s4d (64 wide, 2 layers), 3: transformer (64 wide, 2
// layers, 4 heads, context 64).
std::shared_ptr<SequenceBackbone> small_backbone(int64_t index, int64_t members) {
  register_builtins();
  static const char* kYaml[] = {"type: gru\nhidden_size: 128\nblocks: 1\n",
                                "type: mamba\nd_model: 64\nnum_layers: 2\n",
                                "type: s4d\nd_model: 64\nnum_layers: 2\nd_state: 64\n",
                                "type: transformer\nd_model: 64\nnum_layers: 2\nnum_heads: 4\n"
                                "context: 64\n"};
  torch::manual_seed(0);
  const std::string yaml = kYaml[index] + std::string("members: ") + std::to_string(members);
  return backbone_registry().create(load_config_string(yaml, "bench.yaml"), BuildContext{}, 4);
}

// args: backbone index, members M, 1: one backbone of M members, 0: M backbones in a loop;
// items: time steps x sequences x members
void BM_BackboneMembersTrain(benchmark::State& state) {
  const int64_t M = state.range(1), T = 50, B = 16;
  std::vector<std::shared_ptr<SequenceBackbone>> nets;
  if (state.range(2) != 0) {
    nets.push_back(small_backbone(state.range(0), M));
  } else {
    for (int64_t m = 0; m < M; ++m) nets.push_back(small_backbone(state.range(0), 1));
  }
  const at::Tensor x = torch::randn({T, B, 4});
  at::Tensor first = torch::zeros({T, B}, torch::kBool);
  first[0].fill_(true);
  for (auto _ : state) {
    for (auto& net : nets) {
      net->zero_grad();
      net->forward(x, first, net->initial_state(B, torch::kCPU)).first.square().mean().backward();
    }
  }
  state.SetItemsProcessed(state.iterations() * T * B * M);
  set_label(state, *nets.front());
}

BENCHMARK(BM_LinearScan)
    ->ArgsProduct({{8, 16, 32, 64}, {64, 256, 1024}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_BackboneTrain)
    ->ArgsProduct({{0, 1, 2, 3}, {64, 256, 1024}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_BackboneImagine)->DenseRange(0, 3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BackboneMembersTrain)
    ->ArgsProduct({{0, 1, 2, 3}, {1, 5}, {1}})
    ->ArgsProduct({{0, 1, 2, 3}, {5}, {0}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace mbrl

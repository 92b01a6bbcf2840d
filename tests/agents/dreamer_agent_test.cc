// Tests for agents/dreamer/dreamer_agent.cc: acting in the env's box, episode resets, one train
// step, and a save/load that continues identically.
#include "mbrl/agents/dreamer/dreamer_agent.h"

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/core/build_context.h"
#include "mbrl/core/rng.h"
#include "mbrl/register_builtins.h"
#include "tests/support/fixture.h"
#include "tests/support/tensor_matchers.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

constexpr int64_t kObs = 3, kAct = 2;

std::unique_ptr<DreamerAgent> agent(uint64_t seed = 0) {
  register_builtins();
  torch::manual_seed(seed);
  auto backbone = backbone_registry().create(
      load_config_string("type: gru\nhidden_size: 16\nblocks: 4\n", "b.yaml"), BuildContext{},
      4 * 4 + kAct);
  auto wm = std::make_shared<WorldModel>(
      WorldModelOptions(kObs, kAct).latents(4).classes(4).units(32).layers(1).reward_bins(41),
      backbone, make_generator(seed + 1, torch::kCPU));
  auto ac = std::make_shared<ImaginationActorCritic>(
      ImaginationActorCriticOptions(wm->feature_size(), kAct)
          .units(32)
          .layers(1)
          .horizon(4)
          .critic_bins(41),
      make_generator(seed + 2, torch::kCPU));
  return std::make_unique<DreamerAgent>(
      wm, ac, Box(torch::tensor({-2.0f, 0.0f}), torch::tensor({2.0f, 1.0f})),
      WorldModelOptimizerOptions(), make_generator(seed + 3, torch::kCPU));
}

StepBatch chunk() {
  StepBatch s;
  auto t = torch::arange(6, torch::kFloat32).unsqueeze(1) + torch::arange(4).unsqueeze(0);
  s.obs = torch::stack({torch::sin(t), torch::cos(t), 0.1 * t}, -1);
  s.prev_act = torch::zeros({6, 4, kAct});
  s.reward = torch::sin(t);
  s.is_first = torch::zeros({6, 4}, torch::kBool);
  s.is_first[0].fill_(true);
  s.is_terminal = torch::zeros({6, 4}, torch::kBool);
  return s;
}

class DreamerAgentTest : public test::MbrlTest {};

TEST_F(DreamerAgentTest, ActsInsideTheEnvBoxAndNormalizesBack) {
  auto a = agent();
  a->reset();
  const Box box(torch::tensor({-2.0f, 0.0f}), torch::tensor({2.0f, 1.0f}));
  for (int i = 0; i < 50; ++i) {
    at::Tensor act = a->act(torch::randn({kObs}), i % 2 ? ActMode::kEval : ActMode::kExplore);
    EXPECT_SHAPE(act, {kAct});
    EXPECT_TRUE(box.contains(act)) << act;
    EXPECT_TENSOR_CLOSE(a->normalize(act), a->last_normalized_action(), 1e-5, 1e-6);
  }
}

TEST_F(DreamerAgentTest, ResetMakesTheNextObservationAnEpisodeStart) {
  auto a = agent(), b = agent();
  a->reset();
  for (int i = 0; i < 5; ++i) a->act(torch::randn({kObs}), ActMode::kEval);
  a->reset();
  b->reset();
  a->act(torch::randn({kObs}));
  b->act(torch::randn({kObs}));
  // the deterministic state of an episode's first step forgets the episode before (the latent
  // sample and the action are random draws)
  EXPECT_TENSOR_CLOSE(a->latent_state().h, b->latent_state().h, 0.0, 0.0);
}

// a loop evaluates inside a training episode between two steps: restoring the memory taken
// before must continue the episode as if the evaluation had not happened (the deterministic
// state of the next step is a function of the memory and the observation)
TEST_F(DreamerAgentTest, RestoredMemoryContinuesTheEpisode) {
  auto a = agent(), b = agent();
  const at::Tensor obs1 = torch::tensor({0.1f, 0.2f, 0.3f}), obs2 = torch::tensor({-1.f, 0.f, 1.f});
  for (auto* x : {a.get(), b.get()}) {
    x->reset();
    x->act(obs1);
    x->act(obs2);
  }
  const DreamerAgent::Memory memory = a->memory();
  a->reset();  // an evaluation episode
  for (int i = 0; i < 3; ++i) a->act(torch::randn({kObs}), ActMode::kEval);
  a->restore(memory);
  const at::Tensor obs3 = torch::tensor({0.5f, 0.5f, -0.5f});
  a->act(obs3);
  b->act(obs3);
  EXPECT_TENSOR_CLOSE(a->latent_state().h, b->latent_state().h, 0.0, 0.0);
}

TEST_F(DreamerAgentTest, TrainStepsTheWorldModelAndReportsEveryMetric) {
  auto a = agent();
  std::vector<at::Tensor> before;
  for (const auto& p : a->world_model().parameters()) before.push_back(p.detach().clone());
  std::vector<double> m = a->train(chunk());
  ASSERT_EQ(m.size(), a->metric_names().size());
  for (double v : m) EXPECT_TRUE(std::isfinite(v));
  bool changed = false;
  auto after = a->world_model().parameters();
  for (size_t i = 0; i < before.size(); ++i) changed |= !torch::equal(before[i], after[i]);
  EXPECT_TRUE(changed);
}

TEST_F(DreamerAgentTest, SaveAndLoadContinueIdentically) {
  auto a = agent();
  a->train(chunk());
  torch::serialize::OutputArchive out;
  a->save(out);
  const auto path = test::scratch_dir() / "dreamer_agent.pt";
  out.save_to(path.string());
  torch::serialize::InputArchive in;
  in.load_from(path.string());
  auto b = agent(5);  // other weights until loaded
  b->load(in);
  // the same next training step and the same actions
  EXPECT_EQ(a->train(chunk()), b->train(chunk()));
  a->reset();
  b->reset();
  const at::Tensor obs = torch::tensor({0.3f, -0.2f, 0.5f});
  EXPECT_TRUE(torch::equal(a->act(obs), b->act(obs)));
}

}  // namespace
}  // namespace mbrl

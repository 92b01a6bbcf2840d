// Tests for models/world/world_model.cc: shapes on every backbone, resets at episode starts,
// determinism, and that the world-model loss falls on a small predictable sequence.
#include "mbrl/models/world/world_model.h"

#include <cmath>
#include <string>
#include <tuple>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/core/build_context.h"
#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "mbrl/register_builtins.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

constexpr int64_t kObs = 3, kAct = 2, kLatents = 4, kClasses = 4;

WorldModelOptions small() {
  return WorldModelOptions(kObs, kAct)
      .latents(kLatents)
      .classes(kClasses)
      .units(32)
      .layers(1)
      .reward_bins(41);
}

std::shared_ptr<SequenceBackbone> backbone(const std::string& type) {
  register_builtins();
  std::string yaml = "type: " + type + "\n";
  if (type == "gru") yaml += "hidden_size: 16\nblocks: 4\n";
  if (type == "transformer") yaml += "d_model: 16\nnum_layers: 1\nnum_heads: 2\ncontext: 8\n";
  if (type == "s4d") yaml += "d_model: 16\nnum_layers: 1\nd_state: 4\n";
  if (type == "mamba") yaml += "d_model: 16\nnum_layers: 1\nd_state: 4\nscan_chunk: 4\n";
  return backbone_registry().create(load_config_string(yaml, "backbone.yaml"), BuildContext{},
                                    kLatents * kClasses + kAct);
}

// T steps of B sequences: obs a slow rotation, reward obs[0], episodes restarting at t = 4
StepBatch rotation(int64_t T, int64_t B) {
  StepBatch s;
  auto t = torch::arange(T, torch::kFloat32).unsqueeze(1) + torch::arange(B).unsqueeze(0) * 0.7;
  s.obs = torch::stack({torch::sin(0.4 * t), torch::cos(0.4 * t), 0.1 * t}, -1);
  s.prev_act = torch::stack({torch::cos(0.3 * t), torch::sin(0.3 * t)}, -1);
  s.reward = s.obs.select(-1, 0).clone();
  s.is_first = torch::zeros({T, B}, torch::kBool);
  s.is_first[0].fill_(true);
  s.is_first[4].fill_(true);
  s.is_terminal = torch::zeros({T, B}, torch::kBool);
  s.is_terminal[3].fill_(true);
  return s;
}

void copy_weights(torch::nn::Module& to, torch::nn::Module& from) {
  torch::NoGradGuard no_grad;
  auto params = from.named_parameters();
  for (auto& p : to.named_parameters()) p.value().copy_(params[p.key()]);
  auto buffers = from.named_buffers();
  for (auto& b : to.named_buffers()) b.value().copy_(buffers[b.key()]);
}

// (backbone, posterior)
class WorldModelTest : public test::MbrlTest,
                       public ::testing::WithParamInterface<std::tuple<std::string, std::string>> {
 protected:
  WorldModelOptions options() const { return small().posterior(std::get<1>(GetParam())); }
  std::shared_ptr<SequenceBackbone> param_backbone() const {
    return backbone(std::get<0>(GetParam()));
  }
  // the model under test, seeded; its samples drawn from generator seed 1
  std::unique_ptr<WorldModel> make_model() const {
    torch::manual_seed(0);
    return std::make_unique<WorldModel>(options(), param_backbone(),
                                        make_generator(1, torch::kCPU));
  }
  // the deterministic width of `model`
  static int64_t deter_size(const WorldModel& model) {
    return model.feature_size() - kLatents * kClasses;
  }
  static constexpr int64_t T = 6, B = 3;
};

TEST_P(WorldModelTest, ShapesAndGradientsOnEveryBackbone) {
  auto owned = make_model();
  WorldModel& model = *owned;
  const int64_t F = model.feature_size();
  StepBatch steps = rotation(T, B);
  Observation o = model.observe(steps);
  EXPECT_SHAPE(o.features, {T, B, F});
  EXPECT_SHAPE(o.posterior, {T, B, kLatents, kClasses});
  EXPECT_SHAPE(o.prior, {T, B, kLatents, kClasses});
  LatentState next = model.imagine_step(o.last, torch::zeros({B, kAct}));
  EXPECT_SHAPE(model.features(next), {B, F});
  EXPECT_SHAPE(model.predict_reward(model.features(next)), {B});
  EXPECT_SHAPE(model.predict_continue(model.features(next)), {B});

  WorldModelLosses l = model.loss(steps);
  for (const at::Tensor* t : {&l.total, &l.recon, &l.reward, &l.cont, &l.dyn, &l.rep, &l.kl}) {
    EXPECT_EQ(t->dim(), 0);
    EXPECT_TRUE(std::isfinite(t->item<double>()));
  }
  EXPECT_NEAR(l.total.item<double>(),
              (l.recon + l.reward + l.cont + 0.5 * l.dyn + 0.1 * l.rep).item<double>(), 1e-5);
  l.total.backward();
  for (const auto& p : model.named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
  }
}

// imagination from a kept state, with the action that was taken next, retraces the observed
// deterministic path: h_{t+1} = backbone(memory_t; [z_t, a_t]) for every backbone
TEST_P(WorldModelTest, ImaginationFromEveryStateRetracesTheObservedPath) {
  auto owned = make_model();
  WorldModel& model = *owned;
  torch::NoGradGuard no_grad;
  const int64_t deter = deter_size(model);
  StepBatch steps = rotation(T, B);
  Observation o = model.observe(steps, /*keep_states=*/true);
  EXPECT_SHAPE(o.every.h, {T * B, deter});
  EXPECT_SHAPE(o.every.z, {T * B, kLatents * kClasses});
  EXPECT_TENSOR_CLOSE(o.every.h.view({T, B, deter}), o.features.narrow(-1, 0, deter));
  // steps 1-3 and 5 continue their episode (4 restarts it)
  LatentState next = model.imagine_step(o.every, steps.prev_act.roll(-1, 0).flatten(0, 1));
  at::Tensor imagined = next.h.view({T, B, deter});
  for (int64_t t : {0, 1, 2, 4}) {
    EXPECT_TENSOR_CLOSE(imagined[t], o.features[t + 1].narrow(-1, 0, deter), 1e-4, 1e-5)
        << "step " << t;
  }
}

// an agent stepping observe_step through the chunk reaches observe's deterministic states
TEST_P(WorldModelTest, ObservingStepByStepEqualsObservingTheChunk) {
  auto owned = make_model();
  WorldModel& model = *owned;
  torch::NoGradGuard no_grad;
  const int64_t deter = deter_size(model);
  StepBatch steps = rotation(T, B);
  // the same samples both ways: one generator state for each
  WorldModel twin(options(), param_backbone(), make_generator(1, torch::kCPU));
  copy_weights(twin, model);
  Observation o = model.observe(steps);
  LatentState s = twin.initial_state(B, torch::kCPU);
  for (int64_t t = 0; t < T; ++t) {
    s = twin.observe_step(s, steps.obs[t], steps.prev_act[t], steps.is_first[t]);
    EXPECT_TENSOR_CLOSE(s.h, o.features[t].narrow(-1, 0, deter), 1e-5, 1e-6) << t;
    // the same draws: a straight-through sample is one_hot + p - p, 1 only up to the rounding of
    // p, and p may differ in its last bits between the batched and the stepped GEMMs, while
    // another draw would differ by 1
    EXPECT_TENSOR_CLOSE(s.z, o.features[t].narrow(-1, deter, kLatents * kClasses), 0, 1e-6) << t;
  }
}

// observe with the observation posterior (the backbone's parallel form) keeps every step's state
// as the recurrent form reaches it, and its last state continues the chunk
TEST_P(WorldModelTest, KeptStatesAndTheLastStateContinueTheChunk) {
  auto owned = make_model();
  WorldModel& model = *owned;
  torch::NoGradGuard no_grad;
  const int64_t deter = deter_size(model);
  StepBatch steps = rotation(T, B);
  Observation o = model.observe(steps, /*keep_states=*/true);
  // the state after step T - 1 is the kept state of its rows
  for (size_t i = 0; i < o.last.memory.tensors.size(); ++i) {
    EXPECT_TENSOR_CLOSE(o.last.memory.tensors[i],
                        o.every.memory.tensors[i].narrow(0, (T - 1) * B, B), 1e-5, 1e-6)
        << "memory tensor " << i;
  }
  // imagining on from the last state equals imagining on from its kept copy
  const at::Tensor a = torch::full({B, kAct}, 0.3);
  LatentState every_last{BackboneState{}, o.every.h.narrow(0, (T - 1) * B, B),
                         o.every.z.narrow(0, (T - 1) * B, B)};
  for (const at::Tensor& m : o.every.memory.tensors) {
    every_last.memory.tensors.push_back(m.narrow(0, (T - 1) * B, B));
  }
  EXPECT_TENSOR_CLOSE(model.imagine_step(o.last, a).h.narrow(-1, 0, deter),
                      model.imagine_step(every_last, a).h.narrow(-1, 0, deter), 1e-5, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Backbones, WorldModelTest,
                         ::testing::Combine(::testing::Values("gru", "transformer", "s4d", "mamba"),
                                            ::testing::Values("history", "observation")),
                         [](const ::testing::TestParamInfo<WorldModelTest::ParamType>& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

// S4WM's and STORM's posterior q(z_t | x_t) reads its own observation only: its gradient with
// respect to an earlier observation is zero, while the prior's (through z_1 -> h_2 -> h_3,
// straight-through) is not; DreamerV3's q(z_t | h_t, x_t) reads the earlier one too
TEST(WorldModelPosteriorTest, TheObservationPosteriorReadsItsObservationOnly) {
  for (const char* posterior : {"observation", "history"}) {
    torch::manual_seed(0);
    WorldModel model(small().posterior(posterior), backbone("s4d"), make_generator(1, torch::kCPU));
    StepBatch steps = rotation(6, 2);
    steps.is_first.fill_(false);
    steps.is_first[0].fill_(true);
    steps.obs.requires_grad_(true);
    const Observation o = model.observe(steps);
    const at::Tensor w = torch::randn(o.prior[3].sizes());
    auto gradient_at_step_1 = [&](const at::Tensor& out) {
      const at::Tensor g = torch::autograd::grad({(out * w).sum()}, {steps.obs},
                                                 /*grad_outputs=*/{}, /*retain_graph=*/true,
                                                 /*create_graph=*/false, /*allow_unused=*/true)[0];
      return g.defined() ? g[1].abs().sum().item<double>() : 0.0;
    };
    const double posterior_grad = gradient_at_step_1(o.posterior[3]);
    if (std::string(posterior) == "observation") {
      EXPECT_EQ(posterior_grad, 0.0);
    } else {
      EXPECT_GT(posterior_grad, 1e-6);
    }
    EXPECT_GT(gradient_at_step_1(o.prior[3]), 1e-6) << posterior;
  }
}

TEST(WorldModelPosteriorTest, RejectsAnUnknownPosterior) {
  EXPECT_THROW_WITH(
      WorldModel(small().posterior("prior"), backbone("gru"), make_generator(1, torch::kCPU)),
      InvalidArgument, "posterior");
}

TEST(WorldModelGruTest, AnEpisodeStartForgetsThePast) {
  torch::manual_seed(0);
  WorldModel model(small(), backbone("gru"), make_generator(1, torch::kCPU));
  torch::NoGradGuard no_grad;
  Observation o = model.observe(rotation(6, 3));
  // at t = 0 and t = 4 the deterministic state is the backbone's first step from zeros
  const int64_t deter = model.feature_size() - kLatents * kClasses;
  EXPECT_TENSOR_CLOSE(o.features[4].narrow(-1, 0, deter), o.features[0].narrow(-1, 0, deter));
}

TEST(WorldModelGruTest, SameSeedSameLoss) {
  auto run = [] {
    torch::manual_seed(0);
    WorldModel model(small(), backbone("gru"), make_generator(7, torch::kCPU));
    return model.loss(rotation(6, 3)).total.item<double>();
  };
  EXPECT_EQ(run(), run());
}

TEST(WorldModelGruTest, LearnsAPredictableSequence) {
  torch::manual_seed(0);
  WorldModel model(small(), backbone("gru"), make_generator(1, torch::kCPU));
  torch::optim::Adam optim(model.parameters(), torch::optim::AdamOptions(3e-3));
  StepBatch steps = rotation(8, 8);
  double first = 0, last = 0;
  for (int i = 0; i < 150; ++i) {
    WorldModelLosses l = model.loss(steps);
    const double pred = (l.recon + l.reward + l.cont).item<double>();
    if (i == 0) first = pred;
    last = pred;
    optim.zero_grad();
    l.total.backward();
    optim.step();
  }
  EXPECT_LT(last, 0.3 * first) << "prediction loss " << first << " -> " << last;
}

TEST(WorldModelGruTest, RejectsABackboneOfTheWrongWidth) {
  register_builtins();
  auto wrong = backbone_registry().create(
      load_config_string("type: gru\nhidden_size: 8\nblocks: 1\n", "b.yaml"), BuildContext{}, 5);
  EXPECT_THROW_WITH(WorldModel(small(), wrong, make_generator(1, torch::kCPU)), InvalidArgument,
                    "backbone");
  // an ensemble of backbones is for sequence models; the RSSM has one deterministic path
  auto members = backbone_registry().create(
      load_config_string("type: gru\nhidden_size: 8\nblocks: 1\nmembers: 2\n", "b.yaml"),
      BuildContext{}, kLatents * kClasses + kAct);
  EXPECT_THROW_WITH(WorldModel(small(), members, make_generator(1, torch::kCPU)), InvalidArgument,
                    "members");
}

}  // namespace
}  // namespace mbrl

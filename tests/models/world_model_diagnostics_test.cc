// Tests for models/world/world_model_diagnostics.cc and episode_steps: a world model's k-step
// open-loop error on held-out episodes equals the same predictions made one start at a time, the
// draws' coverage and spread, its held-out losses are the mean over every step, and kept world
// models load back.
#include "mbrl/models/world/world_model_diagnostics.h"

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
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

constexpr int64_t kObs = 3, kAct = 2, kLatents = 3, kClasses = 2;

std::shared_ptr<SequenceBackbone> backbone(const std::string& type,
                                           int64_t latent_size = kLatents * kClasses) {
  register_builtins();
  std::string yaml = "type: " + type + "\n";
  if (type == "gru") yaml += "hidden_size: 16\nblocks: 2\n";
  if (type == "s4d") yaml += "d_model: 16\nnum_layers: 1\nd_state: 4\n";
  return backbone_registry().create(load_config_string(yaml, "backbone.yaml"), BuildContext{},
                                    latent_size + kAct);
}

std::shared_ptr<SequenceBackbone> backbone_with_latents(int64_t latent_size) {
  return backbone("gru", latent_size);
}

// A world model whose latents are certain: the prior's and the posterior's output layers give
// class 0 of every latent a logit 100 above class 1 whatever they read, and without unimix every
// sample is class 0. So its predictions do not depend on the order of the random draws, and the
// diagnostics can be recomputed one start state at a time.
std::unique_ptr<WorldModel> certain_model(const std::string& type, const std::string& posterior) {
  torch::manual_seed(3);
  auto model = std::make_unique<WorldModel>(WorldModelOptions(kObs, kAct)
                                                .latents(kLatents)
                                                .classes(kClasses)
                                                .units(16)
                                                .layers(1)
                                                .unimix(0.0)
                                                .reward_bins(21)
                                                .posterior(posterior),
                                            backbone(type), make_generator(1, torch::kCPU));
  torch::NoGradGuard no_grad;
  auto params = model->named_parameters();
  for (const char* head : {"prior.linear1", "posterior.linear1"}) {
    params[std::string(head) + ".weight"].zero_();
    params[std::string(head) + ".bias"].copy_(torch::tensor({50.0f, -50.0f}).repeat({kLatents}));
  }
  return model;
}

// n transitions of one episode: a noisy rotation driven by its actions
TransitionBatch episode(int64_t n, double phase) {
  TransitionBatch e;
  const at::Tensor t = torch::arange(n + 1, torch::kFloat32) * 0.3 + phase;
  const at::Tensor obs = torch::stack({torch::sin(t), torch::cos(t), 0.2 * t}, -1);
  e.obs = obs.narrow(0, 0, n);
  e.next_obs = obs.narrow(0, 1, n);
  e.act = torch::stack({torch::cos(0.7 * t), torch::sin(1.1 * t)}, -1).narrow(0, 0, n);
  e.reward = obs.narrow(0, 1, n).select(1, 0).clone();
  e.terminated = torch::zeros({n}, torch::kBool);
  e.terminated[n - 1] = true;
  e.truncated = torch::zeros({n}, torch::kBool);
  return e;
}

TEST(EpisodeStepsTest, LaysAnEpisodeOutAsTheReplayKeepsIt) {
  const TransitionBatch e = episode(3, 0.0);
  const at::Tensor act = e.act * 2;  // the caller's action units
  const StepBatch s = episode_steps(e, act);
  ASSERT_EQ(s.length(), 4);
  ASSERT_EQ(s.batch(), 1);
  EXPECT_TRUE(torch::equal(s.obs.squeeze(1), torch::cat({e.obs.narrow(0, 0, 1), e.next_obs})));
  EXPECT_TRUE(torch::equal(s.prev_act[0], torch::zeros({1, kAct})));
  EXPECT_TRUE(torch::equal(s.prev_act.narrow(0, 1, 3).squeeze(1), act));
  EXPECT_EQ(s.reward[0].item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(s.reward.narrow(0, 1, 3).squeeze(1), e.reward));
  EXPECT_TRUE(torch::equal(s.is_first.squeeze(1), torch::tensor({true, false, false, false})));
  EXPECT_TRUE(torch::equal(s.is_terminal.squeeze(1), torch::tensor({false, false, false, true})));
  EXPECT_THROW(episode_steps(e, act.narrow(0, 0, 2)), Error);
}

// (backbone, posterior)
class WorldModelDiagnosticsTest
    : public test::MbrlTest,
      public ::testing::WithParamInterface<std::tuple<std::string, std::string>> {};

TEST_P(WorldModelDiagnosticsTest, KStepErrorsEqualEachStartPredictedOnItsOwn) {
  auto model = certain_model(std::get<0>(GetParam()), std::get<1>(GetParam()));
  const int64_t H = 3;
  // an episode of 2 transitions is shorter than H: it gives no start
  std::vector<StepBatch> steps;
  for (const auto& [n, phase] : {std::pair{6, 0.0}, std::pair{2, 0.5}, std::pair{9, 1.0}}) {
    const TransitionBatch e = episode(n, phase);
    steps.push_back(episode_steps(e, e.act));
  }
  // the latents are certain, so the 4 draws of each start agree and their mean is each of them
  torch::manual_seed(8);
  LatentDisagreement heads(
      LatentDisagreementOptions(model->feature_size(), kAct, kLatents * kClasses).units(8));
  const ModelDiagnostics d =
      diagnose_world_model(*model, steps, ModelDiagnosticsOptions().horizon(H).samples(4), &heads);
  ASSERT_EQ(d.kstep_starts, 4 + 7);
  ASSERT_EQ(d.transitions, 6 + 2 + 9);
  ASSERT_EQ(d.kstep_mse.sizes(), (std::vector<int64_t>{H, kObs}));
  // draws that all miss the real value hold it in no central interval below 100 %: coverage 0,
  // and the calibration error the mean of the levels 0.05 .. 0.95
  ASSERT_TRUE(d.coverage.defined());
  EXPECT_EQ(d.coverage.abs().sum().item<double>(), 0.0) << d.coverage;
  EXPECT_NEAR(d.calibration_error, 0.5, 1e-12);

  // every start by hand, one at a time: observe steps 0..t, then imagine with the actions taken at
  // t .. t+H-1 and compare the decoded observations with the real t+1 .. t+H
  // (and the heads' score of each imagined transition, from the features before it)
  torch::NoGradGuard no_grad;
  at::Tensor sum = torch::zeros({H, kObs});
  std::vector<std::vector<double>> score(H), error(H);
  for (const StepBatch& ep : steps) {
    const int64_t n = ep.length() - 1;
    for (int64_t t = 0; t + H <= n; ++t) {
      LatentState state = model->initial_state(1, torch::kCPU);
      for (int64_t s = 0; s <= t; ++s)
        state = model->observe_step(state, ep.obs[s], ep.prev_act[s], ep.is_first[s]);
      for (int64_t k = 1; k <= H; ++k) {
        score[k - 1].push_back(
            heads.disagreement(model->features(state), ep.prev_act[t + k]).item<double>());
        state = model->imagine_step(state, ep.prev_act[t + k]);
        const at::Tensor e = model->decode(model->features(state)) - ep.obs[t + k];
        sum[k - 1] += e.square().squeeze(0);
        error[k - 1].push_back(e.norm().item<double>());
      }
    }
  }
  EXPECT_TRUE(torch::allclose(d.kstep_mse, (sum / 11).to(torch::kFloat64), 1e-4, 1e-6))
      << d.kstep_mse << "\n"
      << sum / 11;
  ASSERT_TRUE(d.heads_spearman.defined());
  for (int64_t k = 0; k < H; ++k) {
    const double expected = spearman_correlation(torch::tensor(score[k], torch::kFloat64),
                                                 torch::tensor(error[k], torch::kFloat64));
    EXPECT_NEAR(d.heads_spearman[k].item<double>(), expected, 1e-9) << "k = " << k + 1;
  }
  EXPECT_GT(d.kstep_mse.sum().item<double>(), 0.0);
  // 4096 draws per start go 4 starts at a time: the chunks give the same figures
  const ModelDiagnostics many =
      diagnose_world_model(*model, steps, ModelDiagnosticsOptions().horizon(H).samples(4096));
  EXPECT_TRUE(torch::allclose(many.kstep_mse, d.kstep_mse, 1e-4, 1e-6));
  EXPECT_TRUE(torch::equal(many.coverage, d.coverage));
  EXPECT_FALSE(many.heads_spearman.defined());  // no heads given
}

TEST_P(WorldModelDiagnosticsTest, HeldOutLossesAreTheMeanOverEveryStep) {
  auto model = certain_model(std::get<0>(GetParam()), std::get<1>(GetParam()));
  const TransitionBatch a = episode(7, 0.0), b = episode(7, 2.0);
  const StepBatch sa = episode_steps(a, a.act), sb = episode_steps(b, b.act);
  const WorldModelLosses held = holdout_world_model_losses(*model, {sa, sb});
  // both episodes as one chunk of batch 2: each term is the mean over its 2 x 8 steps
  StepBatch both{torch::cat({sa.obs, sb.obs}, 1), torch::cat({sa.prev_act, sb.prev_act}, 1),
                 torch::cat({sa.reward, sb.reward}, 1), torch::cat({sa.is_first, sb.is_first}, 1),
                 torch::cat({sa.is_terminal, sb.is_terminal}, 1)};
  torch::NoGradGuard no_grad;
  const WorldModelLosses one = model->loss(both);
  EXPECT_NEAR(held.total.item<double>(), one.total.item<double>(), 1e-5);
  EXPECT_NEAR(held.recon.item<double>(), one.recon.item<double>(), 1e-5);
  EXPECT_NEAR(held.reward.item<double>(), one.reward.item<double>(), 1e-5);
  EXPECT_NEAR(held.kl.item<double>(), one.kl.item<double>(), 1e-5);
  // an episode twice as long weighs twice
  const TransitionBatch c = episode(15, 1.0);
  const StepBatch sc = episode_steps(c, c.act);
  const double la = holdout_world_model_losses(*model, {sa}).total.item<double>();
  const double lc = holdout_world_model_losses(*model, {sc}).total.item<double>();
  EXPECT_NEAR(holdout_world_model_losses(*model, {sa, sc}).total.item<double>(),
              (8 * la + 16 * lc) / 24, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Backbones, WorldModelDiagnosticsTest,
                         ::testing::Values(std::make_tuple("gru", "history"),
                                           std::make_tuple("s4d", "observation")),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

TEST(WorldModelDiagnosticsErrorsTest, NamesTheHorizonAndTooShortEpisodes) {
  auto model = certain_model("gru", "history");
  const TransitionBatch e = episode(4, 0.0);
  const std::vector<StepBatch> steps{episode_steps(e, e.act)};
  const auto options = [](int64_t h, int64_t s) {
    return ModelDiagnosticsOptions().horizon(h).samples(s);
  };
  EXPECT_THROW_WITH(diagnose_world_model(*model, steps, options(0, 2)), InvalidArgument, "horizon");
  EXPECT_THROW_WITH(diagnose_world_model(*model, steps, options(2, 0)), InvalidArgument, "samples");
  EXPECT_THROW_WITH(diagnose_world_model(*model, steps, options(5, 2)), Error, "5 transitions");
  EXPECT_NO_THROW(diagnose_world_model(*model, steps, options(4, 2)));
  // one draw per start: no spread, said
  const ModelDiagnostics one = diagnose_world_model(*model, steps, options(2, 1));
  EXPECT_FALSE(one.coverage.defined());
  EXPECT_FALSE(one.disagreement_spearman.defined());
  EXPECT_NE(one.missing.find("no spread"), std::string::npos);
}

// sampled latents spread the draws: wider intervals hold more, and the spread ranks the errors
TEST(WorldModelDiagnosticsSpreadTest, SampledLatentsGiveIntervalsAndAnUncertainty) {
  torch::manual_seed(5);
  WorldModel model(WorldModelOptions(kObs, kAct).latents(8).classes(8).units(16).layers(1),
                   backbone_with_latents(8 * 8), make_generator(2, torch::kCPU));
  std::vector<StepBatch> steps;
  for (double phase : {0.0, 0.7, 1.9}) {
    const TransitionBatch e = episode(12, phase);
    steps.push_back(episode_steps(e, e.act));
  }
  const ModelDiagnostics d =
      diagnose_world_model(model, steps, ModelDiagnosticsOptions().horizon(3).samples(32));
  ASSERT_TRUE(d.coverage.defined());
  ASSERT_EQ(d.coverage.sizes(), (std::vector<int64_t>{3, kObs}));
  EXPECT_TRUE((d.coverage.select(0, 1) >= d.coverage.select(0, 0)).all().item<bool>());
  EXPECT_TRUE((d.coverage.select(0, 2) >= d.coverage.select(0, 1)).all().item<bool>());
  EXPECT_GT(d.coverage.sum().item<double>(), 0.0) << d.coverage;
  EXPECT_TRUE(std::isfinite(d.calibration_error));
  EXPECT_TRUE(torch::isfinite(d.disagreement_spearman).all().item<bool>())
      << d.disagreement_spearman;
  // the same generator state gives the same figures
  WorldModel again(WorldModelOptions(kObs, kAct).latents(8).classes(8).units(16).layers(1),
                   backbone_with_latents(8 * 8), make_generator(2, torch::kCPU));
  torch::NoGradGuard no_grad;
  auto mine = model.named_parameters();
  for (auto& p : again.named_parameters()) p.value().copy_(mine[p.key()]);
  const ModelDiagnostics d2 =
      diagnose_world_model(again, steps, ModelDiagnosticsOptions().horizon(3).samples(32));
  EXPECT_TRUE(torch::equal(d.kstep_mse, d2.kstep_mse));
  EXPECT_TRUE(torch::equal(d.coverage, d2.coverage));
}

TEST(WorldModelFileTest, AKeptModelLoadsBackAndAnotherSizeIsNamed) {
  auto dir = test::scratch_dir();
  auto model = certain_model("gru", "history");
  save_world_model(*model, dir / "wm.pt");
  torch::manual_seed(99);
  WorldModel other(WorldModelOptions(kObs, kAct)
                       .latents(kLatents)
                       .classes(kClasses)
                       .units(16)
                       .layers(1)
                       .unimix(0.0)
                       .reward_bins(21),
                   backbone("gru"), make_generator(1, torch::kCPU));
  load_world_model(other, dir / "wm.pt");
  auto mine = model->named_parameters();
  for (const auto& p : other.named_parameters())
    EXPECT_TRUE(torch::equal(p.value(), mine[p.key()])) << p.key();
  WorldModel wider(WorldModelOptions(kObs, kAct).latents(kLatents).classes(kClasses).units(32),
                   backbone("gru"), make_generator(1, torch::kCPU));
  EXPECT_THROW_WITH(load_world_model(wider, dir / "wm.pt"), DataError, "wm.pt");
  EXPECT_THROW_WITH(load_world_model(other, dir / "none.pt"), DataError, "does not exist");
}

}  // namespace
}  // namespace mbrl

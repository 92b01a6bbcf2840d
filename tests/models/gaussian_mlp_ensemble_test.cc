// Tests for models/gaussian_mlp_ensemble.cc and gaussian_mlp_ensemble_io.cc.
#include "mbrl/models/gaussian_mlp_ensemble.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "mbrl/config/loader.h"
#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "mbrl/models/model_registry.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

GaussianMlpEnsembleOptions small(int64_t obs = 3, int64_t act = 2) {
  return GaussianMlpEnsembleOptions(obs, act)
      .ensemble_size(4)
      .num_layers(2)
      .hidden_size(16)
      .num_elites(2);
}

TransitionBatch random_batch(int64_t n, int64_t obs, int64_t act) {
  TransitionBatch b;
  b.obs = torch::randn({n, obs});
  b.act = torch::randn({n, act});
  b.next_obs = torch::randn({n, obs});
  b.reward = torch::randn({n});
  b.terminated = torch::rand({n}) < 0.3;
  b.truncated = torch::zeros({n}, torch::kBool);
  return b;
}

TEST(GaussianMlpEnsembleTest, Shapes) {
  GaussianMlpEnsemble model(small());
  EXPECT_EQ(model.input_dim(), 5);
  EXPECT_EQ(model.target_dim(), 3);
  EXPECT_EQ(model.output_columns(), 6);
  auto out = model.forward(torch::randn({4, 9, 5}));
  EXPECT_SHAPE(out.mean, {4, 9, 3});
  EXPECT_SHAPE(out.logvar, {4, 9, 3});
  EXPECT_FALSE(out.termination_logit.defined());
  auto p = model.predict(torch::randn({9, 3}), torch::randn({9, 2}));
  EXPECT_SHAPE(p.mean, {4, 9, 3});
  EXPECT_EQ(model.elites(), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(model.layers().size(), 3u);
  EXPECT_EQ(model.member_parameters().size(), 6u);
}

TEST(GaussianMlpEnsembleTest, ShapesWithRewardTerminationAndDeterministic) {
  GaussianMlpEnsemble model(small().learn_reward(true).learn_termination(true));
  EXPECT_EQ(model.target_dim(), 4);
  EXPECT_EQ(model.output_columns(), 9);
  auto out = model.forward(torch::randn({4, 9, 5}));
  EXPECT_SHAPE(out.mean, {4, 9, 4});
  EXPECT_SHAPE(out.termination_logit, {4, 9});

  GaussianMlpEnsemble det(small().loss(EnsembleLoss::kMse));
  EXPECT_EQ(det.output_columns(), 3);
  EXPECT_FALSE(det.forward(torch::randn({4, 9, 5})).logvar.defined());
}

TEST(GaussianMlpEnsembleTest, AngleDimsEnterAsSinAndCos) {
  GaussianMlpEnsemble model(small(4, 1).angle_dims({1}));
  EXPECT_EQ(model.input_dim(), 6);
  auto obs = torch::tensor({{0.5f, 2.0f, -1.0f, 3.0f}});
  auto act = torch::tensor({{0.25f}});
  auto expected = torch::tensor({{0.5f, -1.0f, 3.0f, std::sin(2.0f), std::cos(2.0f), 0.25f}});
  EXPECT_TENSOR_CLOSE(model.input_features(obs, act), expected);
}

TEST(GaussianMlpEnsembleTest, TargetsAreDeltasExceptNoDeltaDims) {
  GaussianMlpEnsemble model(small().no_delta_list({0}).learn_reward(true));
  TransitionBatch b = random_batch(5, 3, 2);
  auto y = model.targets(b);
  EXPECT_SHAPE(y, {5, 4});
  EXPECT_TENSOR_CLOSE(y.select(1, 0), b.next_obs.select(1, 0));
  EXPECT_TENSOR_CLOSE(y.narrow(1, 1, 2), b.next_obs.narrow(1, 1, 2) - b.obs.narrow(1, 1, 2));
  EXPECT_TENSOR_CLOSE(y.select(1, 3), b.reward);
  // next_obs inverts targets
  EXPECT_TENSOR_CLOSE(model.next_obs(b.obs, y), b.next_obs, 1e-5, 1e-6);
}

TEST(GaussianMlpEnsembleTest, LogvarStaysWithinSoftBounds) {
  GaussianMlpEnsemble model(small().min_logvar(-3.0).max_logvar(1.0));
  auto raw = torch::linspace(-100, 100, 6 * 50).view({50, 6});
  auto lv = model.split_output(raw).logvar;
  EXPECT_GE(lv.min().item<double>(), -3.0);
  // the outer softplus can lift the top by log(1 + exp(min - max)) (soft, as in PETS)
  EXPECT_LE(lv.max().item<double>(), 1.0 + std::log1p(std::exp(-4.0)) + 1e-6);
  // well inside the bounds the map is close to the identity
  auto mid = model.split_output(torch::full({1, 6}, -1.0)).logvar;
  EXPECT_NEAR(mid[0][0].item<double>(), -1.0, 0.15);
}

TEST(GaussianMlpEnsembleTest, NormalizerFitsFeatures) {
  GaussianMlpEnsemble model(small());
  TransitionBatch b = random_batch(200, 3, 2);
  b.obs = b.obs * 5 + 2;
  model.fit_normalizer(b);
  auto x = model.normalized_inputs(b.obs, b.act);
  EXPECT_TENSOR_CLOSE(x.mean(0), torch::zeros({5}), 1e-4, 1e-4);
  EXPECT_TENSOR_CLOSE(x.std(0), torch::ones({5}), 1e-4, 1e-4);
  EXPECT_TRUE(model.normalizer->fitted());
}

TEST(GaussianMlpEnsembleTest, LossMatchesTheFormula) {
  GaussianMlpEnsemble model(small().learn_termination(true));
  auto x = torch::randn({4, 8, 5});
  auto y = torch::randn({4, 8, 3});
  auto t = (torch::rand({4, 8}) < 0.5).to(torch::kFloat32);
  auto out = model.forward(x);
  auto nll = ((out.mean - y).square() * (-out.logvar).exp() + out.logvar).mean({1, 2}).sum();
  auto bce = torch::binary_cross_entropy_with_logits(out.termination_logit, t) * 4;
  EXPECT_NEAR(model.loss(x, y, t).item<double>(), (nll + bce).item<double>(), 1e-4);
}

// a case small enough to compute by hand: one member whose weights are all zero, so every row
// predicts the output bias (mean 0.3, raw logvar 0); learned bounds [-10, 0.5] give
// logvar = -10 + softplus((0.5 - softplus(0.5 - 0)) + 10) = -0.4740040504607; targets 1 and -1
// give squared errors 0.49 and 1.69, so the NLL is 1.09 exp(0.474004) - 0.474004 =
// 1.2769866577, plus the bounds penalty 0.01 (0.5 - (-10)) = 0.105: 1.3819866577
TEST(GaussianMlpEnsembleTest, LossOnAHandComputedCaseIncludesTheBoundsPenalty) {
  GaussianMlpEnsemble model(GaussianMlpEnsembleOptions(1, 1)
                                .ensemble_size(1)
                                .num_elites(1)
                                .num_layers(1)
                                .hidden_size(4)
                                .learn_logvar_bounds(true)
                                .min_logvar(-10.0)
                                .max_logvar(0.5));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model.member_parameters()) p.zero_();
    model.layers().back()->bias.select(-1, 0).fill_(0.3);  // mean column
  }
  auto x = torch::randn({1, 2, 2});
  auto y = torch::tensor({1.0f, -1.0f}).view({1, 2, 1});
  EXPECT_NEAR(model.loss(x, y, at::Tensor()).item<double>(), 1.3819866577, 1e-5);
  // without learned bounds the penalty is gone
  GaussianMlpEnsemble fixed(GaussianMlpEnsembleOptions(1, 1)
                                .ensemble_size(1)
                                .num_elites(1)
                                .num_layers(1)
                                .hidden_size(4)
                                .min_logvar(-10.0)
                                .max_logvar(0.5));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : fixed.member_parameters()) p.zero_();
    fixed.layers().back()->bias.select(-1, 0).fill_(0.3);
  }
  EXPECT_NEAR(fixed.loss(x, y, at::Tensor()).item<double>(), 1.2769866577, 1e-5);
}

TEST(GaussianMlpEnsembleTest, WeightDecayPerLayer) {
  GaussianMlpEnsemble one(small().weight_decay({1e-3}));
  EXPECT_EQ(one.layer_weight_decay(), (std::vector<double>{1e-3, 1e-3, 1e-3}));
  GaussianMlpEnsemble per(small().weight_decay({1.0, 0.0, 2.0}));
  double expected = 0.5 * per.layers()[0]->weight.square().sum().item<double>() +
                    1.0 * per.layers()[2]->weight.square().sum().item<double>();
  EXPECT_NEAR(per.weight_decay_penalty().item<double>(), expected, 1e-4);
}

TEST(GaussianMlpEnsembleTest, RejectsBadOptions) {
  EXPECT_THROW_WITH(GaussianMlpEnsemble(small().ensemble_size(0)), InvalidArgument,
                    "ensemble_size");
  EXPECT_THROW_WITH(GaussianMlpEnsemble(small().num_elites(5)), InvalidArgument, "num_elites");
  EXPECT_THROW_WITH(GaussianMlpEnsemble(small().weight_decay({1, 2})), InvalidArgument,
                    "weight_decay");
  EXPECT_THROW_WITH(GaussianMlpEnsemble(small().no_delta_list({3})), InvalidArgument,
                    "no_delta_list");
  EXPECT_THROW_WITH(GaussianMlpEnsemble(small().angle_dims({1, 1})), InvalidArgument, "angle_dims");
  EXPECT_THROW_WITH(GaussianMlpEnsemble(small().min_logvar(1).max_logvar(0)), InvalidArgument,
                    "min_logvar");
  GaussianMlpEnsemble model(small());
  EXPECT_THROW_WITH(model.set_elites({}), InvalidArgument, "elites");
  EXPECT_THROW_WITH(model.set_elites({0, 4}), InvalidArgument, "elites");
  model.set_elites({3, 1, 3});
  EXPECT_EQ(model.elites(), (std::vector<int64_t>{1, 3}));
}

TEST(GaussianMlpEnsembleTest, SaveLoadRoundTripsExactly) {
  auto opts = small().learn_logvar_bounds(true).angle_dims({2});
  GaussianMlpEnsemble a(opts, make_generator(1, torch::kCPU));
  GaussianMlpEnsemble b(opts, make_generator(2, torch::kCPU));
  a.fit_normalizer(random_batch(50, 3, 2));
  a.set_elites({1, 2});
  {
    torch::NoGradGuard no_grad;
    a.max_logvar.add_(0.25);
  }
  auto path = test::scratch_dir() / "model.pt";
  save_model(a, path);
  load_model(b, path);
  auto pa = a.named_parameters(), pb = b.named_parameters();
  for (const auto& p : pa) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  for (const auto& buf : a.named_buffers()) {
    EXPECT_TRUE(torch::equal(buf.value(), b.named_buffers()[buf.key()])) << buf.key();
  }
  EXPECT_EQ(b.elites(), (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(b.normalizer->fitted());
  auto obs = torch::randn({6, 3}), act = torch::randn({6, 2});
  EXPECT_TRUE(torch::equal(a.predict(obs, act).mean, b.predict(obs, act).mean));
}

TEST(GaussianMlpEnsembleTest, LoadingAnotherArchitectureNamesTheDifference) {
  auto path = test::scratch_dir() / "model.pt";
  save_model(GaussianMlpEnsemble(small().hidden_size(8)), path);
  GaussianMlpEnsemble other(small());
  EXPECT_THROW_WITH(load_model(other, path), DataError,
                    "hidden_size is 8 in the file, 16 in this model");
  EXPECT_THROW_WITH(load_model(other, path), DataError, path.string());

  save_model(GaussianMlpEnsemble(small().activation(Activation::kTanh)), path);
  EXPECT_THROW_WITH(load_model(other, path), DataError, "activation is tanh in the file, silu");
}

TEST(GaussianMlpEnsembleTest, LoadingABadFileIsADataError) {
  auto dir = test::scratch_dir();
  GaussianMlpEnsemble model(small());
  EXPECT_THROW_WITH(load_model(model, dir / "missing.pt"), DataError, "does not exist");
  std::ofstream(dir / "junk.pt") << "not a model";
  EXPECT_THROW_WITH(load_model(model, dir / "junk.pt"), DataError, "not a model file");
}

// building from YAML through the registry, as an experiment does
std::shared_ptr<DynamicsModel> build(const std::string& yaml) {
  BuildContext ctx;
  ctx.env_spec = EnvSpec{"test", Box::uniform(3, -1, 1), Box::uniform(2, -1, 1), 100};
  ConfigNode node = load_config_string(yaml, "test.yaml");
  auto model = model_registry().create(node, ctx);
  node.check_all_read();
  return model;
}

TEST(GaussianMlpEnsembleTest, BuildsFromConfig) {
  auto model = std::dynamic_pointer_cast<GaussianMlpEnsemble>(
      build("type: gaussian_mlp_ensemble\nensemble_size: 3\nnum_layers: 2\nhidden_size: 8\n"
            "activation: relu\nweight_decay: [1.0e-4, 2.0e-4, 3.0e-4]\nno_delta_list: [0]\n"
            "angle_dims: [1]\nlearn_reward: true\n"));
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->ensemble_size(), 3);
  EXPECT_EQ(model->options().num_elites(), 3);  // min(5, ensemble_size)
  EXPECT_EQ(model->options().activation(), Activation::kRelu);
  EXPECT_EQ(model->layer_weight_decay(), (std::vector<double>{1e-4, 2e-4, 3e-4}));
  EXPECT_EQ(model->input_dim(), 6);
  EXPECT_TRUE(model->learns_reward());
  EXPECT_TRUE(model_registry().contains("gaussian_mlp_ensemble"));
}

TEST(GaussianMlpEnsembleTest, BadConfigKeysAreRejected) {
  EXPECT_THROW_WITH(build("type: gaussian_mlp_ensemble\nhiden_size: 8\n"), ConfigError,
                    "hiden_size");
  EXPECT_THROW_WITH(build("type: gaussian_mlp_ensemble\nactivation: swish\n"), ConfigError,
                    "activation: expected one of elu, leaky_relu, relu, silu, tanh");
  EXPECT_THROW_WITH(build("type: gaussian_mlp_ensemble\nensemble_size: 3\nnum_elites: 4\n"),
                    ConfigError, "num_elites");
  EXPECT_THROW_WITH(build("type: gaussian_mlp_ensemble\nhidden_size: abc\n"), ConfigError,
                    "test.yaml:2");
  EXPECT_THROW_WITH(build("type: gaussian_mlp_ensembel\n"), ConfigError, "gaussian_mlp_ensemble");
  EXPECT_THROW_WITH(build("type: gaussian_mlp_ensemble\nloss: l2\n"), ConfigError,
                    "test.yaml:2:7: loss: expected one of nll, mse, vagram, got 'l2'");
  EXPECT_THROW_WITH(build("type: gaussian_mlp_ensemble\nvagram_clip_quantile: 0\n"), ConfigError,
                    "vagram_clip_quantile: expected a number in (0, 1]");
  EXPECT_THROW_WITH(build("type: gaussian_mlp_ensemble\ndeterministic: true\n"), ConfigError,
                    "unknown key 'deterministic'");
}

TEST(GaussianMlpEnsembleTest, LossChoosesTheHead) {
  for (const std::string loss : {"nll", "mse", "vagram"}) {
    auto model = std::dynamic_pointer_cast<GaussianMlpEnsemble>(
        build("type: gaussian_mlp_ensemble\nhidden_size: 8\nloss: " + loss + "\n"));
    EXPECT_EQ(ensemble_loss_name(model->options().loss()), loss);
    EXPECT_EQ(model->options().deterministic(), loss != "nll");
    EXPECT_EQ(model->output_columns(), loss == "nll" ? 6 : 3);  // obs 3: mean (and logvar)
  }
}

}  // namespace
}  // namespace mbrl

// Tests for models/model_env.cc: scoring with particles, Dyna steps, propagation, termination.
#include "mbrl/models/model_env.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "mbrl/envs/task_functions.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

// reward: the first coordinate of next_obs; terminates once it reaches `limit`
class FirstCoordinateTask : public TaskFunctions {
 public:
  explicit FirstCoordinateTask(double limit = 1e9) : limit_(limit) {}
  at::Tensor reward(const at::Tensor&, const at::Tensor&, const at::Tensor& next) const override {
    return next.select(1, 0).clone();
  }
  at::Tensor terminated(const at::Tensor& next) const override {
    return next.select(1, 0) >= limit_;
  }

 private:
  double limit_;
};

GaussianMlpEnsembleOptions options() {
  return GaussianMlpEnsembleOptions(2, 1).ensemble_size(4).num_layers(2).hidden_size(16).num_elites(
      2);
}

// a model whose member e predicts the target `value(e)` everywhere (zero weights, output bias)
std::shared_ptr<GaussianMlpEnsemble> constant_model(GaussianMlpEnsembleOptions o,
                                                    const std::function<double(int64_t)>& value) {
  auto model = std::make_shared<GaussianMlpEnsemble>(o);
  torch::NoGradGuard no_grad;
  for (const auto& layer : model->layers()) layer->weight.zero_();
  auto bias = model->layers().back()->bias;
  bias.fill_(-5.0);  // raw logvar columns
  for (int64_t e = 0; e < model->ensemble_size(); ++e) {
    bias[e][0].narrow(0, 0, model->target_dim()).fill_(value(e));
  }
  return model;
}

ModelEnv make_env(std::shared_ptr<GaussianMlpEnsemble> model, ModelEnvOptions o, uint64_t seed = 0,
                  double limit = 1e9) {
  return ModelEnv(o, model, std::make_shared<FirstCoordinateTask>(limit),
                  make_generator(seed, torch::kCPU));
}

TEST(ModelEnvTest, ScoreShapesForEveryPropagation) {
  auto model = std::make_shared<GaussianMlpEnsemble>(options());
  for (auto p : {Propagation::kTs1, Propagation::kTsInf, Propagation::kExpectation,
                 Propagation::kRandomModel}) {
    ModelEnv env = make_env(model, ModelEnvOptions().particles(5).propagation(p));
    auto returns = env.score(torch::randn({2, 2}), torch::randn({2, 3, 4, 1}));
    EXPECT_SHAPE(returns, {2, 3});
    EXPECT_TRUE(returns.isfinite().all().item<bool>());
    EXPECT_SHAPE(env.evaluate_action_sequences(torch::randn({3, 4, 1}), torch::randn({5, 2}), 2),
                 {5, 3});
  }
}

TEST(ModelEnvTest, ReturnsSumTheRewardsOfTheRollout) {
  // every member moves the state by +1: rewards 1, 2, 3 from a zero start
  auto model = constant_model(options(), [](int64_t) { return 1.0; });
  ModelEnv env = make_env(model, ModelEnvOptions().particles(3).sample(false));
  auto returns = env.score(torch::zeros({1, 2}), torch::zeros({1, 2, 3, 1}));
  EXPECT_TENSOR_CLOSE(returns, torch::full({1, 2}, 6.0f));
}

TEST(ModelEnvTest, TerminatedParticlesStopAccumulatingReward) {
  auto model = constant_model(options(), [](int64_t) { return 1.0; });
  // terminates on reaching 2: rewards 1 and 2 count, the later 3 and 4 do not
  ModelEnv env = make_env(model, ModelEnvOptions().particles(2).sample(false), 0, 2.0);
  auto returns = env.score(torch::zeros({1, 2}), torch::zeros({1, 1, 4, 1}));
  EXPECT_TENSOR_CLOSE(returns, torch::full({1, 1}, 3.0f));
}

TEST(ModelEnvTest, NonFiniteReturnsAreVeryNegative) {
  auto model = constant_model(options(), [](int64_t) { return std::nan(""); });
  ModelEnv env = make_env(model, ModelEnvOptions().particles(2).sample(false));
  auto returns = env.score(torch::zeros({1, 2}), torch::zeros({1, 3, 2, 1}));
  EXPECT_TENSOR_CLOSE(returns, torch::full({1, 3}, ModelEnv::kNonFiniteReturn));
}

TEST(ModelEnvTest, SeveralStartStatesInOneCall) {
  auto model = std::make_shared<GaussianMlpEnsemble>(options());
  ModelEnv env = make_env(model, ModelEnvOptions().particles(4).sample(false));
  auto obs = torch::randn({3, 2});
  auto actions = torch::randn({5, 6, 1});
  auto all = env.evaluate_action_sequences(actions, obs, 4);
  for (int64_t s = 0; s < 3; ++s) {
    auto one = env.score(obs.narrow(0, s, 1), actions.unsqueeze(0));
    EXPECT_TENSOR_CLOSE(all.narrow(0, s, 1), one, 1e-5, 1e-5);
  }
}

TEST(ModelEnvTest, ExpectationAveragesTheElites) {
  auto model = constant_model(options(), [](int64_t e) { return static_cast<double>(e); });
  model->set_elites({1, 3});
  ModelEnv env =
      make_env(model, ModelEnvOptions().propagation(Propagation::kExpectation).sample(false));
  ModelStepResult r = env.step(torch::zeros({5, 2}), torch::zeros({5, 1}), false);
  EXPECT_TENSOR_CLOSE(r.next_obs, torch::full({5, 2}, 2.0f));
}

// with member e predicting e, next_obs - obs names the member each row used
at::Tensor members_used(ModelEnv& env, int64_t n, bool with_uncertainty) {
  auto obs = torch::zeros({n, 2});
  return (env.step(obs, torch::zeros({n, 1}), with_uncertainty).next_obs - obs).select(1, 0);
}

TEST(ModelEnvTest, TsInfKeepsEachRowOnOneMemberAndTs1DoesNot) {
  auto model = constant_model(options(), [](int64_t e) { return static_cast<double>(e); });
  model->set_elites({0, 2, 3});
  for (bool with_uncertainty : {false, true}) {
    ModelEnv ts_inf =
        make_env(model, ModelEnvOptions().propagation(Propagation::kTsInf).sample(false));
    auto expected = torch::tensor({0.0f, 2.0f, 3.0f, 0.0f, 2.0f, 3.0f, 0.0f});
    for (int step = 0; step < 4; ++step) {
      EXPECT_TENSOR_CLOSE(members_used(ts_inf, 7, with_uncertainty), expected);
    }
    ModelEnv ts1 = make_env(model, ModelEnvOptions().propagation(Propagation::kTs1).sample(false));
    auto first = members_used(ts1, 30, with_uncertainty);
    bool changed = false;
    for (int step = 0; step < 4; ++step) {
      auto used = members_used(ts1, 30, with_uncertainty);
      changed |= !torch::equal(used, first);
      // only elites, evenly loaded
      for (float m : {0.0f, 2.0f, 3.0f}) EXPECT_EQ((used == m).sum().item<int64_t>(), 10);
    }
    EXPECT_TRUE(changed);
  }
}

TEST(ModelEnvTest, SameSeedSameScores) {
  auto model = std::make_shared<GaussianMlpEnsemble>(options());
  auto obs = torch::randn({2, 2});
  auto actions = torch::randn({2, 8, 5, 1});
  ModelEnv a = make_env(model, ModelEnvOptions().propagation(Propagation::kTs1), 11);
  ModelEnv b = make_env(model, ModelEnvOptions().propagation(Propagation::kTs1), 11);
  ModelEnv c = make_env(model, ModelEnvOptions().propagation(Propagation::kTs1), 12);
  auto ra = a.score(obs, actions);
  EXPECT_TRUE(torch::equal(ra, b.score(obs, actions)));
  EXPECT_FALSE(torch::equal(ra, c.score(obs, actions)));
}

TEST(ModelEnvTest, LearnedRewardNeedsNoTask) {
  auto model = constant_model(options().learn_reward(true), [](int64_t) { return 2.0; });
  ModelEnv env(ModelEnvOptions().particles(2).sample(false), model, nullptr,
               make_generator(0, torch::kCPU));
  EXPECT_TENSOR_CLOSE(env.score(torch::zeros({1, 2}), torch::zeros({1, 1, 3, 1})),
                      torch::full({1, 1}, 6.0f));
  auto plain = std::make_shared<GaussianMlpEnsemble>(options());
  EXPECT_THROW_WITH(ModelEnv(ModelEnvOptions(), plain, nullptr, make_generator(0, torch::kCPU)),
                    Error, "learn_reward");
}

TEST(ModelEnvTest, StepWithUncertainty) {
  auto model = std::make_shared<GaussianMlpEnsemble>(options().learn_termination(true));
  ModelEnv env = make_env(model, ModelEnvOptions().propagation(Propagation::kRandomModel));
  ModelStepResult r = env.step(torch::randn({9, 2}), torch::randn({9, 1}));
  EXPECT_SHAPE(r.next_obs, {9, 2});
  EXPECT_SHAPE(r.reward, {9});
  EXPECT_SHAPE(r.terminated, {9});
  EXPECT_EQ(r.terminated.scalar_type(), torch::kBool);
  EXPECT_SHAPE(r.member_mean, {4, 9, 2});
  EXPECT_SHAPE(r.member_std, {4, 9, 2});
  for (const auto& t : {r.uncertainty.epistemic_std, r.uncertainty.epistemic_max_pairwise,
                        r.uncertainty.epistemic_max_deviation, r.uncertainty.aleatoric_max_norm,
                        r.uncertainty.sample_std}) {
    EXPECT_SHAPE(t, {9});
  }
  ModelStepResult plain = env.step(torch::randn({9, 2}), torch::randn({9, 1}), false);
  EXPECT_FALSE(plain.uncertainty.epistemic_std.defined());
}

TEST(ModelEnvTest, RunsOnCuda_CUDA) {
  MBRL_SKIP_WITHOUT_CUDA();
  auto model = std::make_shared<GaussianMlpEnsemble>(options());
  model->to(torch::kCUDA);
  for (auto p : {Propagation::kTs1, Propagation::kTsInf, Propagation::kExpectation,
                 Propagation::kRandomModel}) {
    ModelEnv env(ModelEnvOptions().particles(4).propagation(p), model,
                 std::make_shared<FirstCoordinateTask>(), make_generator(0, torch::kCUDA));
    auto returns = env.score(torch::randn({2, 2}).cuda(), torch::randn({2, 3, 5, 1}).cuda());
    EXPECT_SHAPE(returns, {2, 3});
    EXPECT_TRUE(returns.is_cuda());
    ModelStepResult r = env.step(torch::randn({6, 2}).cuda(), torch::randn({6, 1}).cuda());
    EXPECT_TRUE(r.next_obs.is_cuda());
    EXPECT_SHAPE(r.uncertainty.epistemic_std, {6});
  }
}

TEST(ModelEnvTest, OptionsFromConfig) {
  ConfigNode node =
      load_config_string("particles: 10\npropagation: ts1\nsample: false\n", "model_env.yaml");
  ModelEnvOptions o = model_env_options_from_config(node);
  EXPECT_EQ(o.particles(), 10);
  EXPECT_EQ(o.propagation(), Propagation::kTs1);
  EXPECT_FALSE(o.sample());
  ConfigNode bad = load_config_string("propagation: fixed\n", "model_env.yaml");
  EXPECT_THROW_WITH(model_env_options_from_config(bad), InvalidArgument, "propagation");
  auto model = std::make_shared<GaussianMlpEnsemble>(options());
  EXPECT_THROW_WITH(make_env(model, ModelEnvOptions().particles(0)), InvalidArgument, "particles");
}

// the log-likelihood variance of a step is that of each row's own drawn target
TEST(ModelEnvTest, StepReportsTheLogLikelihoodVarianceOfItsOwnDraw) {
  auto model = std::make_shared<GaussianMlpEnsemble>(options().learn_reward(true),
                                                     make_generator(4, torch::kCPU));
  ModelEnv env(ModelEnvOptions().propagation(Propagation::kRandomModel), model, nullptr,
               make_generator(5, torch::kCPU));
  const at::Tensor obs = torch::randn({6, 2}), act = torch::randn({6, 1});
  const ModelStepResult r = env.step(obs, act, /*with_uncertainty=*/true);
  // targets are deltas and the reward
  const at::Tensor target = torch::cat({r.next_obs - obs, r.reward.unsqueeze(1)}, 1);
  EXPECT_SHAPE(r.uncertainty.log_likelihood_var, {6});
  EXPECT_TENSOR_CLOSE(r.uncertainty.log_likelihood_var,
                      log_likelihood_variance(r.member_mean, r.member_std, target));
}

// MOREC's filtered step: the candidates are the elites' draws only, and each row gets the one
// its score rates highest, with that candidate's learned reward
TEST(ModelEnvTest, StepBestOfTakesEachRowsHighestScoringEliteDraw) {
  // members predict deltas 0, 1, 2, 3 (std about 0.1); elites 1 and 3
  auto model = constant_model(options(), [](int64_t e) { return static_cast<double>(e); });
  model->set_elites({1, 3});
  ModelEnv env = make_env(model, ModelEnvOptions());
  const at::Tensor obs = torch::randn({5, 2}), act = torch::zeros({5, 1});
  auto lowest_first = [](const at::Tensor&, const at::Tensor&, const at::Tensor& next) {
    return -next.select(-1, 0);
  };
  const ModelStepResult low = env.step_best_of(obs, act, 2, lowest_first);
  // member 0 would be lower still, but it is no elite
  EXPECT_TRUE(torch::allclose(low.next_obs, obs + 1, 0, 0.3)) << low.next_obs - obs;
  EXPECT_TENSOR_CLOSE(low.score, -low.next_obs.select(1, 0));
  EXPECT_TENSOR_CLOSE(low.reward, low.next_obs.select(1, 0));  // the task's reward of the choice
  EXPECT_SHAPE(low.uncertainty.epistemic_std, {5});
  auto highest_first = [](const at::Tensor&, const at::Tensor&, const at::Tensor& next) {
    return next.select(-1, 0);
  };
  EXPECT_TRUE(
      torch::allclose(env.step_best_of(obs, act, 2, highest_first).next_obs, obs + 3, 0, 0.3));

  // softmax_elite: each row draws its candidate with probability softmax(score / 0.1); scores
  // 1 s and 3 s for elites 1 and 3 with 2 s / 0.1 = ln 3 give elite 3 a probability of 3/4
  const double s = 0.05 * std::log(3.0);
  auto by_member = [s](const at::Tensor& o, const at::Tensor&, const at::Tensor& next) {
    return (next - o).select(-1, 0).round() * s;
  };
  const at::Tensor many = torch::randn({4000, 2});
  const ModelStepResult soft =
      env.step_best_of(many, torch::zeros({4000, 1}), 2, by_member, CandidateChoice::kSoftmax, 0.1);
  const at::Tensor chose_three = (soft.next_obs - many).select(1, 0) > 2;
  EXPECT_NEAR(chose_three.to(torch::kFloat64).mean().item<double>(), 0.75, 0.03);
  EXPECT_TENSOR_CLOSE(soft.score, chose_three.to(torch::kFloat32) * 2 * s + s, 0, 1e-6);
  EXPECT_TRUE(env.step_best_of(many, torch::zeros({4000, 1}), 2, by_member)
                  .next_obs.sub(many)
                  .select(1, 0)
                  .gt(2)
                  .all()
                  .item<bool>());
  EXPECT_THROW_WITH(env.step_best_of(obs, act, 2, by_member, CandidateChoice::kSoftmax, 0.0),
                    InvalidArgument, "temperature");

  // a random model with a learned reward: the choice is the argmax over the replayed draws
  auto learned = std::make_shared<GaussianMlpEnsemble>(options().learn_reward(true),
                                                       make_generator(4, torch::kCPU));
  learned->set_elites({0, 2});
  ModelEnv env2(ModelEnvOptions(), learned, nullptr, make_generator(7, torch::kCPU));
  auto distance = [](const at::Tensor&, const at::Tensor&, const at::Tensor& next) {
    return -(next - 0.3).pow(2).sum(-1);
  };
  const ModelStepResult r = env2.step_best_of(obs, act, 3, distance);
  at::Generator replay = make_generator(7, torch::kCPU);
  const MemberSamples m = learned->sample_members(obs, act, 3, replay);
  const at::Tensor idx = torch::tensor({0, 2});
  const at::Tensor next = m.next_obs.index_select(1, idx).reshape({6, 5, 2});
  const at::Tensor reward = m.reward.index_select(1, idx).reshape({6, 5});
  const at::Tensor best = (-(next - 0.3).pow(2).sum(-1)).argmax(0);
  const at::Tensor rows = torch::arange(5);
  EXPECT_TENSOR_CLOSE(r.next_obs, next.index({best, rows}));
  EXPECT_TENSOR_CLOSE(r.reward, reward.index({best, rows}));
  EXPECT_TENSOR_CLOSE(r.score, std::get<0>((-(next - 0.3).pow(2).sum(-1)).max(0)));
}

}  // namespace
}  // namespace mbrl

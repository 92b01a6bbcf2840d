// Tests for models/model_diagnostics.cc on a model that is exact for a known linear system.
#include "mbrl/models/model_diagnostics.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "mbrl/config/loader.h"
#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "mbrl/models/dynamics_model.h"
#include "mbrl/models/model_registry.h"
#include "mbrl/models/sequence/sequence_model.h"
#include "tests/support/box_context.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

// next = A obs + B act (+ N(0, noise^2) in the data)
const at::Tensor& system_a() {
  static const at::Tensor a = torch::tensor({{0.9f, 0.2f}, {-0.3f, 0.8f}});
  return a;
}
const at::Tensor& system_b() {
  static const at::Tensor b = torch::tensor({{0.5f}, {-1.0f}});
  return b;
}
at::Tensor true_next(const at::Tensor& obs, const at::Tensor& act) {
  return obs.matmul(system_a().t()) + act.matmul(system_b().t());
}

// Members m = 0..E-1 predict N(true_next + m * bias * obs_0, std^2) per dim; the rollout mean
// (expectation) is the members' average.
class LinearTestModel : public DynamicsModel {
 public:
  LinearTestModel(int64_t members, double std, double bias)
      : members_(members), std_(std), bias_(bias) {}
  std::string type() const override { return "linear_test"; }
  int64_t obs_dim() const override { return 2; }
  int64_t act_dim() const override { return 1; }
  c10::Device device() const override { return c10::kCPU; }
  ModelState initial_state(const at::Tensor& obs, const RolloutSpec& spec,
                           at::Generator&) override {
    ModelState s;
    s.obs = obs;
    s.spec = spec;
    return s;
  }
  // [E, N, 2]
  at::Tensor member_means(const at::Tensor& obs, const at::Tensor& act) const {
    const at::Tensor m = torch::arange(members_, torch::kFloat32).view({-1, 1, 1});
    return true_next(obs, act).unsqueeze(0) +
           m * bias_ * obs.select(1, 0).view({1, -1, 1}).expand({1, -1, 2});
  }
  ModelStep step(const ModelState& state, const at::Tensor& act, at::Generator&) override {
    ModelStep out;
    out.next_obs = member_means(state.obs, act).mean(0);
    out.state = state;
    out.state.obs = out.next_obs;
    return out;
  }
  ModelLosses loss(const TransitionBatch&) override { throw Error("not trained"); }
  void save(torch::serialize::OutputArchive&) const override {}
  void load(torch::serialize::InputArchive&, const std::string&) override {}
  using DynamicsModel::load;

 protected:
  int64_t members_;
  double std_, bias_;
};

class UncertainLinearTestModel : public LinearTestModel, public UncertaintyAware {
 public:
  using LinearTestModel::LinearTestModel;
  UncertainModelStep step_with_uncertainty(const ModelState& state, const at::Tensor& act,
                                           at::Generator& gen) override {
    UncertainModelStep out;
    out.step = step(state, act, gen);
    out.member_mean = member_means(state.obs, act);
    if (std_ > 0) out.member_std = torch::full_like(out.member_mean, std_);
    out.uncertainty = ensemble_uncertainty(out.member_mean, out.member_std, at::Tensor());
    return out;
  }
  MemberSamples sample_members(const at::Tensor& obs, const at::Tensor& act, int64_t samples,
                               at::Generator& gen) override {
    const at::Tensor mean = member_means(obs, act);
    MemberSamples out;
    out.next_obs = mean.unsqueeze(0) +
                   std_ * at::normal(0.0, 1.0, {samples, mean.size(0), mean.size(1), 2}, gen);
    out.rollout_members = torch::arange(members_, torch::kInt64);
    return out;
  }
};

// `count` episodes of `steps` random-action steps of the system with Gaussian noise
std::vector<TransitionBatch> episodes(int64_t count, int64_t steps, double noise, uint64_t seed) {
  auto gen = make_generator(seed, torch::kCPU);
  std::vector<TransitionBatch> out;
  for (int64_t e = 0; e < count; ++e) {
    std::vector<at::Tensor> obs{at::normal(0.0, 1.0, {2}, gen)}, act, next;
    for (int64_t t = 0; t < steps; ++t) {
      act.push_back(at::rand({1}, gen) * 2 - 1);
      next.push_back(true_next(obs.back().unsqueeze(0), act.back().unsqueeze(0)).squeeze(0) +
                     noise * at::normal(0.0, 1.0, {2}, gen));
      if (t + 1 < steps) obs.push_back(next.back());
    }
    TransitionBatch b;
    b.obs = torch::stack(obs);
    b.act = torch::stack(act);
    b.next_obs = torch::stack(next);
    b.reward = torch::zeros({steps});
    b.terminated = torch::zeros({steps}, torch::kBool);
    b.truncated = torch::zeros({steps}, torch::kBool);
    out.push_back(b);
  }
  return out;
}

TEST(ModelDiagnosticsTest, AnExactModelHasNoKStepError) {
  UncertainLinearTestModel model(1, 0.1, 0.0);
  auto gen = make_generator(0, torch::kCPU);
  const ModelDiagnostics d =
      diagnose_model(model, episodes(3, 30, 0.0, 1), ModelDiagnosticsOptions().horizon(5), gen);
  ASSERT_EQ(d.kstep_mse.sizes(), (std::vector<int64_t>{5, 2}));
  EXPECT_LT(d.kstep_mse.max().item<double>(), 1e-10);
  EXPECT_EQ(d.kstep_starts, 3 * 26);
  EXPECT_EQ(d.transitions, 90);
  // a wrong model is caught, and its error grows with k
  UncertainLinearTestModel biased(2, 0.1, 0.2);
  const ModelDiagnostics w =
      diagnose_model(biased, episodes(3, 30, 0.0, 1), ModelDiagnosticsOptions().horizon(5), gen);
  EXPECT_GT(w.kstep_mse[0].mean().item<double>(), 1e-4);
  EXPECT_GT(w.kstep_mse[4].mean().item<double>(), w.kstep_mse[0].mean().item<double>());
}

TEST(ModelDiagnosticsTest, TheTrueNoiseIsCalibratedAndOverconfidenceIsNot) {
  const auto data = episodes(20, 100, 0.1, 2);  // 2000 transitions
  auto gen = make_generator(0, torch::kCPU);
  UncertainLinearTestModel exact(1, 0.1, 0.0);
  const ModelDiagnostics d =
      diagnose_model(exact, data, ModelDiagnosticsOptions().horizon(1).samples(400), gen);
  ASSERT_EQ(d.coverage.sizes(), (std::vector<int64_t>{3, 2}));
  for (size_t i = 0; i < d.levels.size(); ++i) {
    const double p = d.levels[i];
    const double tolerance = 4 * std::sqrt(p * (1 - p) / 2000.0) + 0.01;  // + draws' resolution
    for (int64_t dim = 0; dim < 2; ++dim) {
      EXPECT_NEAR(d.coverage[i][dim].item<double>(), p, tolerance) << p << " dim " << dim;
    }
  }
  EXPECT_LT(d.calibration_error, 0.03);
  EXPECT_TRUE(d.missing.empty());

  UncertainLinearTestModel overconfident(1, 0.02, 0.0);
  const ModelDiagnostics o =
      diagnose_model(overconfident, data, ModelDiagnosticsOptions().horizon(1).samples(400), gen);
  EXPECT_LT(o.coverage[1].mean().item<double>(), 0.5);  // its 90 % interval holds far fewer
  EXPECT_GT(o.calibration_error, 0.2);
}

TEST(ModelDiagnosticsTest, DisagreementThatIsTheErrorRanksPerfectly) {
  // two members: the true next state and one biased by 2 c obs_0; their average is off by
  // c obs_0 and their std is |c obs_0|: the one-step error and the disagreement are equal
  UncertainLinearTestModel model(2, 0.0, 0.3);
  auto gen = make_generator(0, torch::kCPU);
  const ModelDiagnostics d = diagnose_model(model, episodes(4, 20, 0.0, 3),
                                            ModelDiagnosticsOptions().horizon(3).samples(2), gen);
  ASSERT_EQ(d.disagreement_spearman.size(0), 3);
  EXPECT_NEAR(d.disagreement_spearman[0].item<double>(), 1.0, 1e-9);
  // one start state (an episode exactly `horizon` long): no ranking, NaN at every k
  const ModelDiagnostics one = diagnose_model(model, episodes(1, 3, 0.0, 3),
                                              ModelDiagnosticsOptions().horizon(3).samples(2), gen);
  EXPECT_EQ(one.kstep_starts, 1);
  ASSERT_EQ(one.disagreement_spearman.size(0), 3);
  EXPECT_TRUE(std::isnan(one.disagreement_spearman[2].item<double>()));
}

TEST(ModelDiagnosticsTest, ADeterministicPredictorHasNoCalibrationSaidPlainly) {
  LinearTestModel model(1, 0.0, 0.0);
  auto gen = make_generator(0, torch::kCPU);
  const ModelDiagnostics d =
      diagnose_model(model, episodes(2, 10, 0.0, 4), ModelDiagnosticsOptions().horizon(2), gen);
  EXPECT_FALSE(d.coverage.defined());
  EXPECT_FALSE(d.disagreement_spearman.defined());
  EXPECT_TRUE(std::isnan(d.calibration_error));
  EXPECT_NE(d.missing.find("one deterministic predictor"), std::string::npos) << d.missing;
  EXPECT_THROW_WITH(
      diagnose_model(model, episodes(2, 10, 0.0, 4), ModelDiagnosticsOptions().horizon(11), gen),
      Error, "no held-out episode is at least horizon = 11 steps long");
  EXPECT_THROW_WITH(
      diagnose_model(model, episodes(2, 10, 0.0, 4), ModelDiagnosticsOptions().horizon(0), gen),
      InvalidArgument, "horizon");
}

// With a history, a model with memory predicts each step after the episode's real transitions
// before it: with a history as long as the episodes, the one-step error is the parallel form's
// over each whole episode from its start.
TEST(ModelDiagnosticsTest, AModelWithMemoryPredictsAfterTheEpisodesHistory) {
  const BuildContext ctx = test::box_context(2, 1);
  torch::manual_seed(2);
  auto model = std::dynamic_pointer_cast<SequenceModel>(model_registry().create(
      load_config_string("type: sequence_model\nhead_hidden_size: 16\nlearn_reward: false\n"
                         "backbone:\n  type: gru\n  hidden_size: 16\n  blocks: 1\n  members: 2\n",
                         "model.yaml"),
      ctx));
  ASSERT_NE(model, nullptr);
  const std::vector<TransitionBatch> eps = episodes(2, 12, 0.0, 5);
  std::vector<at::Tensor> obs, act, next;
  for (const auto& e : eps) {
    obs.push_back(e.obs);
    act.push_back(e.act);
    next.push_back(e.next_obs);
  }
  TransitionBatch all;
  all.obs = torch::cat(obs);
  all.act = torch::cat(act);
  all.next_obs = torch::cat(next);
  all.reward = torch::zeros({24});
  all.terminated = torch::zeros({24}, torch::kBool);
  all.truncated = torch::zeros({24}, torch::kBool);
  model->fit_normalizers(all);

  std::vector<at::Tensor> squared;
  for (const auto& e : eps) {
    at::Tensor is_first = torch::zeros({e.size(), 1}, torch::kBool);
    is_first[0] = true;
    const SequencePrediction p = model->predict(e.obs.unsqueeze(1), e.act.unsqueeze(1), is_first,
                                                model->backbone().initial_state(1, torch::kCPU));
    squared.push_back((p.next_obs.squeeze(1) - e.next_obs).square().to(torch::kFloat64));
  }
  const at::Tensor parallel = torch::cat(squared).mean(0);
  auto gen = make_generator(0, torch::kCPU);
  const ModelDiagnostics d = diagnose_model(
      *model, eps, ModelDiagnosticsOptions().horizon(1).history(100).samples(3), gen);
  EXPECT_TENSOR_CLOSE(d.kstep_mse[0], parallel, 1e-4, 1e-9);
  EXPECT_EQ(d.transitions, 24);
  ASSERT_TRUE(d.coverage.defined());
  // from a fresh memory every step is predicted as if it began an episode
  const ModelDiagnostics fresh =
      diagnose_model(*model, eps, ModelDiagnosticsOptions().horizon(1).samples(3), gen);
  EXPECT_GT((fresh.kstep_mse[0] - parallel).abs().max().item<double>(), 1e-6);
  EXPECT_THROW_WITH(diagnose_model(*model, eps, ModelDiagnosticsOptions().history(-1), gen),
                    InvalidArgument, "history");
}

TEST(ModelDiagnosticsTest, SpearmanAndCoverageOnHandCases) {
  const at::Tensor a = torch::tensor({1.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(spearman_correlation(a, torch::tensor({10.0, 20.0, 35.0})), 1.0);
  EXPECT_DOUBLE_EQ(spearman_correlation(a, torch::tensor({3.0, 1.0, 0.5})), -1.0);
  // ties take their average rank: ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4)
  EXPECT_NEAR(spearman_correlation(torch::tensor({1.0, 2.0, 2.0, 3.0}),
                                   torch::tensor({1.0, 2.0, 3.0, 4.0})),
              4.5 / std::sqrt(4.5 * 5.0), 1e-12);
  EXPECT_TRUE(std::isnan(spearman_correlation(a, torch::ones({3}))));
  EXPECT_TRUE(std::isnan(spearman_correlation(a, torch::tensor({1.0, std::nan(""), 2.0}))));

  // 100 draws 0..99: 49.5 is the median (inside every central interval), 200 is outside all,
  // 94.5 sits at u = 0.95 (inside the 90 % interval only from level 0.9 up)
  const at::Tensor draws =
      torch::arange(100, torch::kFloat32).view({100, 1, 1}).expand({100, 3, 1});
  const at::Tensor c = central_interval_coverage(draws, torch::tensor({{49.5f}, {200.0f}, {94.5f}}),
                                                 {0.5, 0.89, 0.9});
  EXPECT_TENSOR_CLOSE(c.squeeze(1), torch::tensor({1.0 / 3, 1.0 / 3, 2.0 / 3}, torch::kFloat64));
}

}  // namespace
}  // namespace mbrl

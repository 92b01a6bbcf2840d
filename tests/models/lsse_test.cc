// Tests for models/lsse_model.cc and lsse_learner.cc: the sparse encoding, exact recovery of a
// linear system, FTL = batch least squares, incremental replay reads, save/load, bad options.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/models/lsse_learner.h"
#include "mbrl/models/lsse_model.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

class LsseTest : public test::MbrlTest {};

// next = obs + A obs + B act + c, reward = w . [obs, act]: affine in (obs, act), obs 3, act 2
TransitionBatch affine_system(int64_t n, uint64_t seed) {
  auto gen = make_generator(seed, torch::kCPU);
  auto a = torch::tensor({{0.1f, 0.2f, -0.1f}, {-0.3f, 0.05f, 0.2f}, {0.0f, 0.1f, -0.2f}});
  auto b = torch::tensor({{0.5f, 0.0f}, {-1.0f, 0.3f}, {0.2f, 0.2f}});
  auto c = torch::tensor({0.05f, -0.02f, 0.1f});
  auto w = torch::tensor({1.0f, -0.5f, 0.25f, 0.3f, -0.1f});
  TransitionBatch t;
  t.obs = at::normal(0, 1, {n, 3}, gen);
  t.act = at::rand({n, 2}, gen) * 2 - 1;
  t.next_obs = t.obs + t.obs.matmul(a.t()) + t.act.matmul(b.t()) + c;
  t.reward = torch::cat({t.obs, t.act}, 1).matmul(w);
  t.terminated = torch::zeros({n}, torch::kBool);
  t.truncated = torch::zeros({n}, torch::kBool);
  return t;
}

std::shared_ptr<LsseModel> model(int64_t projections = 16, double range = 8.0) {
  return std::make_shared<LsseModel>(LsseOptions(3, 2)
                                         .num_projections(projections)
                                         .num_bins(8)
                                         .bin_range(range)
                                         .learn_reward(true),
                                     make_generator(0, torch::kCPU));
}

TEST_F(LsseTest, FeaturesAreSparseHatFunctionsThatSumToOnePerProjection) {
  auto m = model();
  TransitionBatch d = affine_system(50, 1);
  m->fit_normalizer_once(d);
  SparseFeatures f = m->features(d.obs, d.act);
  EXPECT_EQ(f.index.sizes(), (std::vector<int64_t>{50, 2 * 16 + 1}));
  EXPECT_TRUE((f.value >= 0).all().item<bool>());
  at::Tensor dense = m->dense_features(d.obs, d.act);
  EXPECT_EQ(dense.size(1), m->num_features());
  // each projection's K features sum to 1; the bias is 1
  at::Tensor per_projection = dense.narrow(1, 0, 16 * 8).view({50, 16, 8}).sum(2);
  EXPECT_TRUE(torch::allclose(per_projection, torch::ones({50, 16}), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(dense.select(1, m->num_features() - 1), torch::ones({50})));
  // at most 2 m + 1 nonzeros per row
  EXPECT_LE((dense > 0).sum(1).max().item<int64_t>(), 2 * 16 + 1);
}

TEST_F(LsseTest, RecoversAKnownAffineSystemExactly) {
  auto m = model();
  LsseLearner learner(LsseLearnerOptions().ridge(1e-9), m);
  learner.update(affine_system(2000, 1));
  TransitionBatch test = affine_system(200, 2);
  at::Tensor err = (m->predict(test.obs, test.act) - m->targets(test)).abs().max();
  EXPECT_LT(err.item<double>(), 1e-3);
  ModelLosses losses = m->loss(test);
  EXPECT_LT(losses.at("mse").item<double>(), 1e-5);
}

TEST_F(LsseTest, FollowTheLeaderEqualsBatchLeastSquares) {
  const double ridge = 0.1;
  TransitionBatch d = affine_system(600, 3);
  d.next_obs = d.next_obs + 0.1 * torch::sin(3 * d.obs);  // not in the span: a real fit
  auto online = model(8, 2.0);
  LsseLearner ftl(LsseLearnerOptions().ridge(ridge), online);
  ftl.update(d.slice(0, 200));
  ftl.update(d.slice(200, 450));
  ftl.update(d.slice(450, 600));
  EXPECT_EQ(ftl.transitions_seen(), 600);

  // the closed form on the dense features of every row (same frozen normalizer: first batch)
  at::Tensor phi = online->dense_features(d.obs, d.act).to(torch::kFloat64);
  at::Tensor y = online->targets(d).to(torch::kFloat64);
  at::Tensor a = phi.t().matmul(phi) + ridge * torch::eye(phi.size(1), torch::kFloat64);
  at::Tensor w = at::linalg_solve(a, phi.t().matmul(y));
  EXPECT_TRUE(torch::allclose(ftl.gram(), a, 1e-9, 1e-9));
  EXPECT_TRUE(torch::allclose(online->weight.to(torch::kFloat64), w, 1e-4, 1e-5));
}

TEST_F(LsseTest, TrainReadsOnlyTheTransitionsAddedSinceTheLastCall) {
  auto m = model();
  LsseLearner learner(LsseLearnerOptions(), m);
  ReplayBuffer replay(1000, 3, 2);
  auto gen = make_generator(0, torch::kCPU);
  replay.add_batch(affine_system(100, 1));
  ModelTrainResult first = learner.train(replay, gen);
  EXPECT_EQ(first.epochs, 1);
  EXPECT_EQ(learner.transitions_seen(), 100);
  EXPECT_EQ(learner.train(replay, gen).epochs, 0);  // nothing new
  replay.add_batch(affine_system(30, 2));
  ModelTrainResult second = learner.train(replay, gen);
  EXPECT_EQ(learner.transitions_seen(), 130);
  // the previous W already predicts the new rows of the same system well
  EXPECT_LT(second.holdout_score.at(0), first.holdout_score.at(0));
}

TEST_F(LsseTest, SaveLoadRoundTripsModelAndLearner) {
  auto m = model();
  LsseLearner learner(LsseLearnerOptions(), m);
  learner.update(affine_system(300, 1));
  torch::serialize::OutputArchive model_out, learner_out;
  m->save(model_out);
  learner.save(learner_out);
  const auto dir = test::scratch_dir();
  model_out.save_to((dir / "m.pt").string());
  learner_out.save_to((dir / "l.pt").string());

  auto other = std::make_shared<LsseModel>(
      LsseOptions(3, 2).num_projections(16).num_bins(8).bin_range(8.0).learn_reward(true),
      make_generator(99, torch::kCPU));  // other projections until loaded
  LsseLearner other_learner(LsseLearnerOptions(), other);
  torch::serialize::InputArchive model_in, learner_in;
  model_in.load_from((dir / "m.pt").string());
  learner_in.load_from((dir / "l.pt").string());
  other->load(model_in, "m.pt");
  other_learner.load(learner_in);
  TransitionBatch test = affine_system(50, 2);
  EXPECT_TRUE(torch::equal(m->predict(test.obs, test.act), other->predict(test.obs, test.act)));

  // both continue identically
  learner.update(affine_system(100, 4));
  other_learner.update(affine_system(100, 4));
  EXPECT_TRUE(torch::equal(m->weight, other->weight));
  EXPECT_EQ(other_learner.transitions_seen(), 400);

  // another architecture is named
  auto wider = std::make_shared<LsseModel>(LsseOptions(3, 2).num_projections(32));
  torch::serialize::InputArchive again;
  again.load_from((dir / "m.pt").string());
  EXPECT_THROW_WITH(wider->load(again, "m.pt"), DataError, "num_projections is 16");
}

TEST_F(LsseTest, StepsPredictNextObservationAndReward) {
  auto m = model();
  LsseLearner(LsseLearnerOptions().ridge(1e-9), m).update(affine_system(2000, 1));
  TransitionBatch d = affine_system(10, 5);
  auto gen = make_generator(0, torch::kCPU);
  ModelState s = m->initial_state(d.obs, RolloutSpec{}, gen);
  ModelStep t = m->step(s, d.act, gen);
  EXPECT_TRUE(torch::allclose(t.next_obs, d.next_obs, 1e-3, 1e-3));
  EXPECT_TRUE(torch::allclose(t.reward, d.reward, 1e-3, 1e-3));
  EXPECT_FALSE(t.terminated.defined());
  EXPECT_TRUE(torch::equal(t.state.obs, t.next_obs));
}

TEST_F(LsseTest, BadOptionsAreErrorsNamingTheOption) {
  EXPECT_THROW_WITH(LsseModel(LsseOptions(3, 2).num_bins(1)), InvalidArgument, "num_bins");
  EXPECT_THROW_WITH(LsseModel(LsseOptions(3, 2).num_projections(0)), InvalidArgument,
                    "num_projections");
  EXPECT_THROW_WITH(LsseModel(LsseOptions(3, 2).bin_range(-1)), InvalidArgument, "bin_range");
  EXPECT_THROW_WITH(LsseLearner(LsseLearnerOptions().ridge(0), model()), InvalidArgument, "ridge");
}

}  // namespace
}  // namespace mbrl

// Tests for models/lsse_model.cc and lsse_learner.cc: the grouped soft-binning encoding (cells,
// multilinear weights, locality, capacity), exact recovery of a linear system, FTL = batch least
// squares, incremental replay reads, save/load, bad options.
#include <set>
#include <vector>

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

// the clamp squash with a range the data never reaches: affine functions are in the span
std::shared_ptr<LsseModel> model(int64_t groups = 8, double range = 8.0, int64_t bin_dim = 2) {
  return std::make_shared<LsseModel>(LsseOptions(3, 2)
                                         .num_groups(groups)
                                         .bin_dim(bin_dim)
                                         .num_bins(8)
                                         .squash("clamp")
                                         .bin_range(range)
                                         .learn_reward(true),
                                     make_generator(0, torch::kCPU));
}

// every row's set of active feature indices
std::vector<std::set<int64_t>> active_sets(const SparseFeatures& f) {
  std::vector<std::set<int64_t>> sets;
  at::Tensor index = f.index.contiguous();
  for (int64_t i = 0; i < index.size(0); ++i) {
    const int64_t* row = index[i].data_ptr<int64_t>();
    sets.emplace_back(row, row + index.size(1));
  }
  return sets;
}

size_t shared(const std::set<int64_t>& a, const std::set<int64_t>& b) {
  size_t n = 0;
  for (int64_t i : a) n += b.count(i);
  return n;
}

TEST_F(LsseTest, EachGroupActivatesTheCornersOfOneCellWithWeightsSummingToOne) {
  for (const char* squash : {"tanh", "clamp"}) {
    auto m = std::make_shared<LsseModel>(
        LsseOptions(3, 2).num_groups(6).bin_dim(3).num_bins(5).squash(squash).bin_range(1.0),
        make_generator(0, torch::kCPU));
    EXPECT_EQ(m->num_features(), 6 * 125);
    TransitionBatch d = affine_system(50, 1);
    m->fit_normalizer_once(d);
    SparseFeatures f = m->features(d.obs, d.act);
    ASSERT_EQ(f.index.sizes(), (std::vector<int64_t>{50, 6 * 8}));
    EXPECT_TRUE((f.value >= 0).all().item<bool>()) << squash;
    // the 8 corners of a group lie in that group's block of 125 features and weigh 1 in all
    at::Tensor group = f.index.view({50, 6, 8}).div(125, "floor");
    EXPECT_TRUE(torch::equal(group, torch::arange(6).view({1, 6, 1}).expand({50, 6, 8})));
    EXPECT_TRUE(torch::allclose(f.value.view({50, 6, 8}).sum(2), torch::ones({50, 6}), 1e-5, 1e-5))
        << squash;
    at::Tensor dense = m->dense_features(d.obs, d.act);
    EXPECT_TRUE(torch::allclose(dense.sum(1), torch::full({50}, 6.0), 1e-4, 1e-4));
    for (const auto& set : active_sets(f)) EXPECT_EQ(set.size(), 48u);  // distinct corners
  }
}

TEST_F(LsseTest, MultilinearWeightsInterpolateAnAffineFunctionOfTheGridExactly) {
  // clamp squash, range 8: the grid coordinate of projection j is u_j = (z_j + 8) (K - 1) / 16
  auto m = model(4, 8.0, 3);
  TransitionBatch d = affine_system(40, 2);
  m->fit_normalizer_once(d);
  const int64_t bins = 8, cells = 512;
  // the weight of group 1's corner c: 0.5 + 1.5 c_0 - 2 c_1 + 0.25 c_2; other groups 0
  at::Tensor w = torch::zeros({m->num_features(), m->target_dim()});
  for (int64_t cell = 0; cell < cells; ++cell) {
    const double c0 = cell % bins, c1 = (cell / bins) % bins, c2 = cell / (bins * bins);
    w[cells + cell][0] = 0.5 + 1.5 * c0 - 2.0 * c1 + 0.25 * c2;
  }
  m->set_weight(w);
  at::Tensor z = m->normalizer->forward(m->inputs(d.obs, d.act)).matmul(m->projection.t());
  at::Tensor u = (z.narrow(1, 3, 3) + 8.0) * (bins - 1) / 16.0;  // group 1's three projections
  ASSERT_TRUE((u > 0).all().item<bool>() && (u < bins - 1).all().item<bool>());
  at::Tensor expected = 0.5 + 1.5 * u.select(1, 0) - 2.0 * u.select(1, 1) + 0.25 * u.select(1, 2);
  at::Tensor predicted = m->predict(d.obs, d.act).select(1, 0);
  EXPECT_TRUE(torch::allclose(predicted, expected, 1e-4, 1e-4));
}

TEST_F(LsseTest, NearbyInputsShareMostFeaturesAndDistantOnesShareNone) {
  auto m = std::make_shared<LsseModel>(LsseOptions(3, 2).num_groups(16).num_bins(16),
                                       make_generator(1, torch::kCPU));
  TransitionBatch d = affine_system(200, 1);
  m->fit_normalizer_once(d);
  at::Tensor obs = d.obs.narrow(0, 0, 1), act = d.act.narrow(0, 0, 1);
  // a step far below a cell's width moves few groups to another cell
  auto near = active_sets(m->features(torch::cat({obs, obs + 0.003}), torch::cat({act, act})));
  EXPECT_GE(shared(near[0], near[1]), 64u * 3 / 4);
  // opposite points far out: every projection differs in sign by more than a cell, so no group
  // shares a cell (checked on the projections first, so the test cannot pass by accident)
  at::Tensor far_obs = torch::full({1, 3}, 6.0), far_act = torch::full({1, 2}, 6.0);
  auto project = [&](const at::Tensor& o, const at::Tensor& a) {
    return m->normalizer->forward(m->inputs(o, a)).matmul(m->projection.t()).tanh();
  };
  at::Tensor gap = (project(far_obs, far_act) - project(-far_obs, -far_act)).abs();
  ASSERT_GT(gap.min().item<double>(), 2.0 * 2.0 / 15.0) << "a projection within 2 cells at both";
  auto far =
      active_sets(m->features(torch::cat({far_obs, -far_obs}), torch::cat({far_act, -far_act})));
  EXPECT_EQ(shared(far[0], far[1]), 0u);
  // an encoding that ignored its input would fail both: the near pair must differ somewhere too
  EXPECT_LT(shared(near[0], near[1]) + shared(far[0], far[1]), 64u + 64u);
}

TEST_F(LsseTest, FitErrorFallsAsTheGridGetsFiner) {
  // a 1-D non-linear target: next - obs = sin(3 obs), the action ignored
  auto sine = [](int64_t n, uint64_t seed) {
    auto gen = make_generator(seed, torch::kCPU);
    TransitionBatch t;
    t.obs = at::rand({n, 1}, gen) * 4 - 2;
    t.act = at::rand({n, 1}, gen) * 2 - 1;
    t.next_obs = t.obs + torch::sin(3 * t.obs);
    t.reward = torch::zeros({n});
    t.terminated = torch::zeros({n}, torch::kBool);
    t.truncated = torch::zeros({n}, torch::kBool);
    return t;
  };
  std::vector<double> errors;
  for (int64_t bins : {3, 6, 12, 24}) {
    auto m = std::make_shared<LsseModel>(LsseOptions(1, 1).num_groups(4).bin_dim(2).num_bins(bins),
                                         make_generator(0, torch::kCPU));
    LsseLearner(LsseLearnerOptions().ridge(1e-4), m).update(sine(4000, 1));
    errors.push_back(m->loss(sine(1000, 2)).at("mse").item<double>());
  }
  for (size_t i = 1; i < errors.size(); ++i) EXPECT_LT(errors[i], 0.7 * errors[i - 1]) << i;
  EXPECT_LT(errors.back(), 0.01);  // the target's variance is about 0.5
}

TEST_F(LsseTest, RecoversAKnownAffineSystemExactly) {
  // one projection per group: every grid point between the data's extremes is visited, so the
  // affine target is pinned down everywhere the test points fall (with k = 2 a test point can
  // fall in a cell with a corner no training row reached, whose weight the data leaves free)
  auto m = model(16, 8.0, 1);
  LsseLearner learner(LsseLearnerOptions().ridge(1e-9).solver("exact"), m);
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
  auto online = model(4, 2.0);
  LsseLearner ftl(LsseLearnerOptions().ridge(ridge).solver("exact"), online);
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

TEST_F(LsseTest, EachTrainCallAddsExactlyTheNewRowsEvenWhenTheReplayWraps) {
  for (const char* solver : {"sparse", "exact"}) {
    auto m = model(4, 8.0);
    LsseLearner learner(LsseLearnerOptions().solver(solver), m);
    ReplayBuffer replay(150, 3, 2);
    auto gen = make_generator(0, torch::kCPU);
    auto phi = [&](const TransitionBatch& d) {
      at::Tensor f = m->dense_features(d.obs, d.act).to(torch::kFloat64);
      return f.t().matmul(f);
    };
    TransitionBatch first = affine_system(100, 1);
    replay.add_batch(first);
    learner.train(replay, gen);
    at::Tensor gram = learner.gram();
    // a different system, wrapping the ring (100 + 100 > 150): exactly its 100 rows are added
    TransitionBatch other = affine_system(100, 2);
    other.next_obs = other.obs - 2.0 * other.next_obs;
    other.obs = other.obs * 0.5 + 1.0;
    replay.add_batch(other);
    learner.train(replay, gen);
    EXPECT_TRUE(torch::allclose(learner.gram() - gram, phi(other), 1e-9, 1e-9)) << solver;
    // 200 more than the ring holds: the 150 it still holds are read, the 50 overwritten are not
    gram = learner.gram();
    TransitionBatch more = affine_system(200, 3);
    replay.add_batch(more);
    learner.train(replay, gen);
    EXPECT_TRUE(torch::allclose(learner.gram() - gram, phi(more.slice(50, 200)), 1e-9, 1e-9))
        << solver;
    EXPECT_EQ(learner.transitions_seen(), 350);
  }
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
      LsseOptions(3, 2).num_groups(8).num_bins(8).squash("clamp").bin_range(8.0).learn_reward(true),
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
  auto wider = std::make_shared<LsseModel>(LsseOptions(3, 2).num_groups(32));
  torch::serialize::InputArchive again;
  again.load_from((dir / "m.pt").string());
  EXPECT_THROW_WITH(wider->load(again, "m.pt"), DataError, "num_groups is 8");
}

TEST_F(LsseTest, StepsPredictNextObservationAndReward) {
  auto m = model(16, 8.0, 1);
  LsseLearner(LsseLearnerOptions().ridge(1e-9).solver("exact"), m).update(affine_system(2000, 1));
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
  EXPECT_THROW_WITH(LsseModel(LsseOptions(3, 2).num_groups(0)), InvalidArgument, "num_groups");
  EXPECT_THROW_WITH(LsseModel(LsseOptions(3, 2).bin_dim(9)), InvalidArgument, "bin_dim");
  EXPECT_THROW_WITH(LsseModel(LsseOptions(3, 2).squash("sigmoid")), InvalidArgument, "squash");
  EXPECT_THROW_WITH(LsseModel(LsseOptions(3, 2).num_bins(1 << 16).bin_dim(2)), InvalidArgument,
                    "num_bins^bin_dim");
  EXPECT_THROW_WITH(LsseModel(LsseOptions(3, 2).bin_range(-1)), InvalidArgument, "bin_range");
  EXPECT_THROW_WITH(LsseLearner(LsseLearnerOptions().ridge(0), model()), InvalidArgument, "ridge");
  EXPECT_THROW_WITH(LsseLearner(LsseLearnerOptions().solver("cholesky"), model()), InvalidArgument,
                    "solver");
}

}  // namespace
}  // namespace mbrl

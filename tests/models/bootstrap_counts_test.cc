// Tests for models/bootstrap_counts.cc and the sequence model learner's bootstrap: the counts are
// Poisson(1), fixed per datum and independent across predictors, and each predictor fits its own
// resample of the episodes.
#include "mbrl/models/bootstrap_counts.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "mbrl/config/loader.h"
#include "mbrl/core/rng.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/models/model_registry.h"
#include "mbrl/models/sequence/sequence_model_learner.h"
#include "tests/support/box_context.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

TEST(BootstrapCountsTest, CountsArePoissonOneFixedPerDatumAndIndependentAcrossPredictors) {
  const int64_t n = 200000;
  const at::Tensor ids = torch::arange(n).view({400, 500});
  const at::Tensor counts = poisson_bootstrap_counts(ids, 3, 11);
  EXPECT_SHAPE(counts, {3, 400, 500});
  EXPECT_EQ(counts.scalar_type(), torch::kFloat32);
  // a pure function of (seed, predictor, id): any shape, any order, any batch
  const at::Tensor some = torch::tensor({12345, 7, 199999});
  const at::Tensor again = poisson_bootstrap_counts(some, 3, 11);
  for (int64_t p = 0; p < 3; ++p) {
    EXPECT_TRUE(again[p].equal(counts[p].flatten().index_select(0, some))) << p;
  }
  EXPECT_FALSE(poisson_bootstrap_counts(ids, 1, 12)[0].equal(counts[0]));
  // the Poisson(1) frequencies of 0, 1, 2, 3, 4 (standard error < 0.0011)
  const at::Tensor freq =
      torch::bincount(counts[0].flatten().to(torch::kInt64)).to(torch::kDouble) /
      static_cast<double>(n);
  double pmf = std::exp(-1.0);
  for (int64_t k = 0; k < 5; ++k) {
    EXPECT_NEAR(freq[k].item<double>(), pmf, 0.005) << "count " << k;
    pmf /= static_cast<double>(k + 1);
  }
  for (int64_t p = 0; p < 3; ++p) {
    EXPECT_NEAR(counts[p].mean().item<double>(), 1.0, 0.01) << p;
    EXPECT_NEAR(counts[p].var().item<double>(), 1.0, 0.02) << p;
  }
  // uncorrelated across predictors and across neighbouring ids (standard error 0.0022)
  const auto correlation = [](const at::Tensor& a, const at::Tensor& b) {
    return torch::corrcoef(torch::stack({a.flatten(), b.flatten()}))[0][1].item<double>();
  };
  EXPECT_LT(std::abs(correlation(counts[0], counts[1])), 0.012);
  EXPECT_LT(std::abs(correlation(counts[1], counts[2])), 0.012);
  const at::Tensor flat = counts[0].flatten();
  EXPECT_LT(std::abs(correlation(flat.narrow(0, 0, n - 1), flat.narrow(0, 1, n - 1))), 0.012);

  EXPECT_THROW_WITH(poisson_bootstrap_counts(some, 0, 11), InvalidArgument, "predictors");
  EXPECT_THROW_WITH(poisson_bootstrap_counts(some.to(torch::kFloat32), 2, 11), Error, "int64");
}

constexpr int64_t kEpisodes = 8, kSteps = 6, kHeads = 4;

// Episodes whose transitions all read the same input (obs 0, action 0) but step to an episode's
// own next observation d_k = k - 3.5: from the input, a predictor can only learn a constant, and
// the constant that minimises its loss is the mean of d_k weighted by its counts of the episodes.
ReplayBuffer indistinguishable_episodes() {
  ReplayBuffer replay(kEpisodes * kSteps, 1, 1);
  for (int64_t k = 0; k < kEpisodes; ++k) {
    for (int64_t t = 0; t < kSteps; ++t) {
      replay.add(torch::zeros({1}), torch::zeros({1}), torch::full({1}, k - 3.5), 0.0, false,
                 t + 1 == kSteps);
    }
  }
  return replay;
}

std::shared_ptr<SequenceModel> make_model(const std::string& yaml) {
  torch::manual_seed(3);
  return std::dynamic_pointer_cast<SequenceModel>(
      model_registry().create(load_config_string(yaml, "model.yaml"), test::box_context(1, 1)));
}

std::shared_ptr<SequenceModel> heads_model() {
  return make_model(
      "type: sequence_model\nheads: 4\nhead_hidden_size: 16\nlearn_reward: false\n"
      "backbone:\n  type: gru\n  hidden_size: 8\n  blocks: 1\n");
}

// every head's predicted next observation from a fresh memory at obs 0, action 0: [kHeads]
at::Tensor head_predictions(SequenceModel& model) {
  torch::NoGradGuard no_grad;
  auto gen = make_generator(0, torch::kCPU);
  const ModelState start = model.initial_state(
      torch::zeros({1, 1}), RolloutSpec{Propagation::kExpectation, 1, false}, gen);
  return model.step_with_uncertainty(start, torch::zeros({1, 1}), gen)
      .member_mean.select(-1, 0)
      .view({kHeads});
}

at::Tensor fit(const ReplayBuffer& replay, SequenceBootstrap bootstrap, int64_t* seed = nullptr) {
  auto model = heads_model();
  SequenceModelLearner learner(SequenceModelLearnerOptions()
                                   .gradient_steps(400)
                                   .batch_size(64)
                                   .sequence_length(1)
                                   .lr(1e-2)
                                   .bootstrap(bootstrap),
                               model);
  auto gen = make_generator(1, torch::kCPU);
  learner.train(replay, gen);
  if (seed != nullptr) *seed = learner.bootstrap_seed();
  return head_predictions(*model);
}

TEST(SequenceBootstrapTest, EachHeadFitsItsOwnResampleOfTheEpisodes) {
  const ReplayBuffer replay = indistinguishable_episodes();
  const at::Tensor d = torch::arange(kEpisodes, torch::kFloat32) - 3.5;
  // without a bootstrap every head fits the mean over all episodes, 0
  const at::Tensor plain = fit(replay, SequenceBootstrap::kNone);
  EXPECT_LT(plain.abs().max().item<double>(), 0.15) << plain;

  int64_t seed = -1;
  const at::Tensor own = fit(replay, SequenceBootstrap::kEpisodes, &seed);
  ASSERT_GE(seed, 0);
  const at::Tensor episode_starts = torch::arange(kEpisodes) * kSteps;
  const at::Tensor counts =
      poisson_bootstrap_counts(episode_starts, kHeads, static_cast<uint64_t>(seed));  // [E, K]
  const at::Tensor expected = (counts * d).sum(1) / counts.sum(1);
  ASSERT_GT(counts.sum(1).min().item<double>(), 0) << "every head should count some episode";
  EXPECT_TENSOR_CLOSE(own, expected, 0.0, 0.15);
  // the resamples differ enough to tell the heads apart
  EXPECT_GT((expected.max() - expected.min()).item<double>(), 0.5) << expected;

  // per transition: the counts of the transitions, not the episodes
  const at::Tensor per_step = fit(replay, SequenceBootstrap::kTransitions, &seed);
  const at::Tensor step_counts = poisson_bootstrap_counts(torch::arange(kEpisodes * kSteps), kHeads,
                                                          static_cast<uint64_t>(seed))
                                     .view({kHeads, kEpisodes, kSteps})
                                     .sum(-1);
  EXPECT_TENSOR_CLOSE(per_step, (step_counts * d).sum(1) / step_counts.sum(1), 0.0, 0.15);
}

TEST(SequenceBootstrapTest, TheSeedIsSavedAndBadOptionsAreNamed) {
  const ReplayBuffer replay = indistinguishable_episodes();
  auto model = heads_model();
  const auto options =
      SequenceModelLearnerOptions().gradient_steps(2).batch_size(4).sequence_length(3).bootstrap(
          SequenceBootstrap::kEpisodes);
  SequenceModelLearner learner(options, model);
  EXPECT_EQ(learner.bootstrap_seed(), -1);
  auto gen = make_generator(1, torch::kCPU);
  learner.train(replay, gen);
  torch::serialize::OutputArchive out;
  learner.save(out);
  std::stringstream stream;
  out.save_to(stream);
  SequenceModelLearner copy(options, heads_model());
  torch::serialize::InputArchive in;
  in.load_from(stream);
  copy.load(in);
  EXPECT_EQ(copy.bootstrap_seed(), learner.bootstrap_seed());

  const ConfigNode bad = load_config_string("bootstrap: bags\n", "training.yaml");
  EXPECT_THROW_WITH(sequence_model_learner_options_from_config(bad), ConfigError, "bootstrap");
  const ConfigNode episodes = load_config_string("bootstrap: episodes\n", "training.yaml");
  EXPECT_EQ(sequence_model_learner_options_from_config(episodes).bootstrap(),
            SequenceBootstrap::kEpisodes);
  // one predictor has no resample to differ by
  auto one = make_model("type: sequence_model\nbackbone:\n  type: gru\n  hidden_size: 8\n");
  EXPECT_THROW_WITH(SequenceModelLearner(options, one), InvalidArgument, "bootstrap");
}

}  // namespace
}  // namespace mbrl

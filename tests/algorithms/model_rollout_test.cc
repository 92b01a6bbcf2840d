// Tests for algorithms/model_rollout.cc: branched k-step rollouts in a tiny learned ModelEnv.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/algorithms/model_rollout.h"
#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/envs/task_functions.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/model_env.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"

namespace mbrl {
namespace {

constexpr int64_t kObs = 2, kAct = 1;

// terminates where next_obs[0] > 0; reward unused (the model learns it)
class PositiveTerminates : public TaskFunctions {
 public:
  at::Tensor reward(const at::Tensor& obs, const at::Tensor&, const at::Tensor&) const override {
    return torch::zeros({obs.size(0)});
  }
  at::Tensor terminated(const at::Tensor& next_obs) const override {
    return next_obs.select(1, 0) > 0;
  }
};

class ModelRolloutTest : public test::MbrlTest {
 protected:
  // a fresh 3-member ensemble (2 elites) with a reward head; its predicted deltas are O(1), so
  // rows starting at obs[0] = +-100 keep their sign
  void SetUp() override {
    test::MbrlTest::SetUp();
    model_ = std::make_shared<GaussianMlpEnsemble>(GaussianMlpEnsembleOptions(kObs, kAct)
                                                       .ensemble_size(3)
                                                       .num_elites(2)
                                                       .num_layers(2)
                                                       .hidden_size(8)
                                                       .learn_reward(true),
                                                   make_generator(1, torch::kCPU));
    model_->set_elites({0, 2});
    env_ = std::make_unique<ModelEnv>(
        ModelEnvOptions().propagation(Propagation::kRandomModel).sample(true), model_,
        std::make_shared<PositiveTerminates>(), make_generator(2, torch::kCPU));
  }

  // S start states: the first `positive` rows at obs[0] = +100, the rest at -100
  static at::Tensor starts(int64_t s, int64_t positive) {
    at::Tensor obs = torch::zeros({s, kObs});
    obs.select(1, 0).fill_(-100.f);
    obs.select(1, 0).slice(0, 0, positive).fill_(100.f);
    return obs;
  }

  static at::Tensor policy(const at::Tensor& obs) { return torch::full({obs.size(0), kAct}, 0.5f); }

  std::shared_ptr<GaussianMlpEnsemble> model_;
  std::unique_ptr<ModelEnv> env_;
};

TEST_F(ModelRolloutTest, StoresEveryStepAndCountsTransitions) {
  ReplayBuffer buffer(1000, kObs, kAct);
  auto stats = rollout_model(*env_, policy, starts(6, 0), buffer,
                             ModelRolloutOptions().horizon(4).with_uncertainty(true));
  EXPECT_EQ(stats.start_states, 6);
  EXPECT_EQ(stats.steps, 4);
  EXPECT_EQ(stats.transitions, 24);
  EXPECT_EQ(buffer.size(), 24);
  EXPECT_DOUBLE_EQ(stats.terminated_fraction, 0.0);
  EXPECT_TRUE(std::isfinite(stats.mean_epistemic_std));
  EXPECT_GT(stats.mean_epistemic_std, 0.0);  // three differently initialised members

  TransitionBatch all = buffer.all();
  all.check(kObs, kAct);
  EXPECT_TRUE(all.act.eq(0.5f).all().item<bool>());
  EXPECT_FALSE(all.truncated.any().item<bool>());
  // step 2 starts where step 1 ended: rows 6..11 continue rows 0..5
  EXPECT_TRUE(all.obs.slice(0, 6, 12).equal(all.next_obs.slice(0, 0, 6)));
  EXPECT_TRUE(all.obs.slice(0, 0, 6).equal(starts(6, 0)));
  EXPECT_NEAR(stats.mean_reward, all.reward.mean().item<double>(), 1e-5);
}

TEST_F(ModelRolloutTest, TerminatedRowsAreStoredOnceThenDropped) {
  ReplayBuffer buffer(1000, kObs, kAct);
  // 3 of 8 rows terminate on their first step (next_obs[0] stays near +100)
  auto stats = rollout_model(*env_, policy, starts(8, 3), buffer,
                             ModelRolloutOptions().horizon(3).with_uncertainty(false));
  EXPECT_EQ(stats.transitions, 8 + 5 + 5);
  EXPECT_EQ(buffer.size(), 18);
  EXPECT_DOUBLE_EQ(stats.terminated_fraction, 3.0 / 8.0);
  EXPECT_TRUE(std::isnan(stats.mean_epistemic_std));  // not computed without uncertainty
  TransitionBatch all = buffer.all();
  EXPECT_EQ(all.terminated.sum().item<int64_t>(), 3);
  EXPECT_TRUE(all.terminated.slice(0, 0, 3).all().item<bool>());
  EXPECT_TRUE((all.obs.slice(0, 8, 18).select(1, 0) < 0).all().item<bool>());
}

TEST_F(ModelRolloutTest, AllTerminatedStopsEarly) {
  ReplayBuffer buffer(1000, kObs, kAct);
  auto stats = rollout_model(*env_, policy, starts(4, 4), buffer,
                             ModelRolloutOptions().horizon(5).with_uncertainty(false));
  EXPECT_EQ(stats.steps, 1);
  EXPECT_EQ(stats.transitions, 4);
  EXPECT_DOUBLE_EQ(stats.terminated_fraction, 1.0);
}

TEST_F(ModelRolloutTest, RewardPenaltyIsSubtracted) {
  ReplayBuffer plain(100, kObs, kAct), penalised(100, kObs, kAct);
  env_->generator().set_current_seed(5);
  rollout_model(*env_, policy, starts(4, 0), plain, ModelRolloutOptions().horizon(2));
  env_->generator().set_current_seed(5);
  rollout_model(*env_, policy, starts(4, 0), penalised,
                ModelRolloutOptions().horizon(2).reward_penalty(
                    [](const ModelStepResult& r) { return torch::full_like(r.reward, 2.f); }));
  EXPECT_TRUE(torch::allclose(penalised.all().reward, plain.all().reward - 2.f));
}

// MOREC's filter: a row whose chosen transition scores below stop_below is stored as terminal
// and ends; rows scoring above go on
TEST_F(ModelRolloutTest, TransitionFilterStopsRowsScoredBelowTheThreshold) {
  ReplayBuffer buffer(1000, kObs, kAct);
  // on the first step every candidate of rows 0-1 scores 0.5, all others score 1.0
  int64_t calls = 0;
  const TransitionScore score = [&](const at::Tensor& obs, const at::Tensor&, const at::Tensor&) {
    ++calls;
    at::Tensor s = torch::ones({obs.size(0), obs.size(1)});
    if (calls == 1) s.narrow(1, 0, 2).fill_(0.5f);
    return s;
  };
  auto stats = rollout_model(
      *env_, policy, starts(6, 0), buffer,
      ModelRolloutOptions().horizon(3).with_uncertainty(false).transition_score(score).stop_below(
          0.6));
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(stats.transitions, 6 + 4 + 4);
  EXPECT_DOUBLE_EQ(stats.filter_stopped_fraction, 2.0 / 6.0);
  EXPECT_DOUBLE_EQ(stats.terminated_fraction, 2.0 / 6.0);
  EXPECT_NEAR(stats.mean_transition_score, (2 * 0.5 + 12 * 1.0) / 14, 1e-6);
  EXPECT_TRUE(std::isfinite(stats.mean_epistemic_std));  // the filtered step always has it
  const TransitionBatch all = buffer.all();
  EXPECT_TRUE(all.terminated.slice(0, 0, 2).all().item<bool>());
  EXPECT_FALSE(all.terminated.slice(0, 2, 14).any().item<bool>());

  ReplayBuffer none(1000, kObs, kAct);
  EXPECT_THROW_WITH(
      rollout_model(*env_, policy, starts(2, 0), none,
                    ModelRolloutOptions().transition_score(score).candidates_per_member(0)),
      InvalidArgument, "candidates_per_member");
}

TEST_F(ModelRolloutTest, NonFinitePredictionThrowsAndStoresNothingOfThatStep) {
  ReplayBuffer buffer(1000, kObs, kAct);
  int calls = 0;
  // the second step's actions are NaN, so its predictions are
  auto nan_on_second = [&](const at::Tensor& obs) {
    ++calls;
    return torch::full({obs.size(0), kAct},
                       calls == 2 ? std::numeric_limits<float>::quiet_NaN() : 0.5f);
  };
  ASSERT_THROW_WITH(
      rollout_model(*env_, nan_on_second, starts(5, 0), buffer, ModelRolloutOptions().horizon(3)),
      NonFiniteError, "at rollout step 2 of 3");
  EXPECT_EQ(buffer.size(), 5);  // step 1 only
  EXPECT_TRUE(torch::isfinite(buffer.all().next_obs).all().item<bool>());
}

TEST_F(ModelRolloutTest, BadInputsThrow) {
  ReplayBuffer buffer(10, kObs, kAct);
  EXPECT_THROW_WITH(
      rollout_model(*env_, policy, starts(2, 0), buffer, ModelRolloutOptions().horizon(0)),
      InvalidArgument, "horizon");
  EXPECT_THROW(rollout_model(*env_, policy, torch::zeros({2, 3}), buffer), ShapeError);
}

}  // namespace
}  // namespace mbrl

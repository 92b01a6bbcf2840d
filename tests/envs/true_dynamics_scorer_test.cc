// Tests for envs/true_dynamics_scorer.cc.
#include "mbrl/envs/true_dynamics_scorer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/core/error.h"
#include "mbrl/envs/classic/cartpole_swingup.h"
#include "mbrl/envs/env_registry.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

// A 1-D walk: next = obs + act, reward 1 per step, terminates beyond 2.5. NaN actions give NaN
// states (to test non-finite returns).
class WalkTask : public TaskFunctions, public TrueDynamics {
 public:
  at::Tensor reward(const at::Tensor& obs, const at::Tensor& act,
                    const at::Tensor& next_obs) const override {
    return torch::ones({obs.size(0)}) + 0.0 * next_obs.select(1, 0);
  }
  at::Tensor terminated(const at::Tensor& next_obs) const override {
    return next_obs.select(1, 0).gt(2.5);
  }
  at::Tensor next_obs(const at::Tensor& obs, const at::Tensor& act) const override {
    return obs + act;
  }
};

TrueDynamicsScorer walk_scorer() {
  auto task = std::make_shared<WalkTask>();
  return TrueDynamicsScorer(task, task);
}

TEST(TrueDynamicsScorerTest, MatchesTheSumOfEnvRewards) {
  CartpoleSwingupEnv env(0);
  auto task = std::dynamic_pointer_cast<const CartpoleSwingupTask>(env.task_functions());
  TrueDynamicsScorer scorer(task, task);
  const int64_t S = 2, P = 3, H = 12;
  const std::array<std::array<double, 4>, 2> starts{{{0.1, 0.2, -0.3, 0.5}, {-1.0, 3.0, 0.2, 0.0}}};
  auto obs = torch::tensor({0.1, 0.2, -0.3, 0.5, -1.0, 3.0, 0.2, 0.0}).view({S, 4});
  auto actions = torch::rand({S, P, H, 1}) * 6.0 - 3.0;
  auto scores = scorer.score(obs, actions);
  EXPECT_SHAPE(scores, {S, P});

  for (int64_t s = 0; s < S; ++s) {
    for (int64_t p = 0; p < P; ++p) {
      env.set_state(starts[s]);
      double total = 0.0;
      for (int64_t h = 0; h < H; ++h) total += env.step(actions[s][p][h]).reward;
      EXPECT_NEAR(scores[s][p].item<double>(), total, 1e-3) << s << " " << p;
    }
  }
}

TEST(TrueDynamicsScorerTest, StopsAccumulatingAfterTermination) {
  auto scorer = walk_scorer();
  auto obs = torch::zeros({1, 1});
  // steps of 1: states 1, 2, 3 (terminates, still rewarded), then nothing -> 3;
  // steps of 0.1 never terminate -> 6; steps of 3 terminate at once -> 1
  auto actions = torch::tensor({1.0, 0.1, 3.0}).view({1, 3, 1, 1}).expand({1, 3, 6, 1});
  EXPECT_TENSOR_CLOSE(scorer.score(obs, actions), torch::tensor({{3.0, 6.0, 1.0}}));
}

TEST(TrueDynamicsScorerTest, ReplacesNonFiniteReturns) {
  // the walk's reward is 1 + 0 * next_obs: NaN once the state is NaN
  auto scorer = walk_scorer();
  auto actions = torch::zeros({1, 2, 3, 1});
  actions[0][1][1][0] = NAN;
  auto scores = scorer.score(torch::zeros({1, 1}), actions);
  EXPECT_FLOAT_EQ(scores[0][0].item<float>(), 3.0f);
  EXPECT_FLOAT_EQ(scores[0][1].item<float>(), TrueDynamicsScorer::kNonFiniteScore);
}

TEST(TrueDynamicsScorerTest, RejectsWrongShapes) {
  auto scorer = walk_scorer();
  EXPECT_THROW_WITH(scorer.score(torch::zeros({2, 1}), torch::zeros({1, 3, 2, 1})), ShapeError,
                    "obs");
  EXPECT_THROW_WITH(scorer.score(torch::zeros({1, 1}), torch::zeros({3, 2, 1})), ShapeError,
                    "actions");
}

TEST(TrueDynamicsScorerTest, MadeFromAnEnvWithTrueDynamicsOnly) {
  BuildContext ctx;
  auto env = make_env(
      load_config_string("type: cartpole_swingup\nnormalize_actions: true\n", "test.yaml"), ctx);
  auto scorer = make_true_dynamics_scorer(*env);
  ASSERT_TRUE(scorer);
  // the wrapped task sees actions in [-1, 1]: a sequence of 1s pushes as hard as 3s in the raw env
  auto obs = torch::zeros({1, 4});
  CartpoleSwingupEnv raw(0);
  auto raw_task = std::dynamic_pointer_cast<const CartpoleSwingupTask>(raw.task_functions());
  TrueDynamicsScorer raw_scorer(raw_task, raw_task);
  EXPECT_TENSOR_CLOSE(scorer->score(obs, torch::ones({1, 1, 5, 1})),
                      raw_scorer.score(obs, torch::full({1, 1, 5, 1}, 3.0)));

  class NoTaskEnv : public Env {
   public:
    const EnvSpec& spec() const override { return spec_; }
    at::Tensor reset(std::optional<uint64_t>) override { return torch::zeros({1}); }
    StepResult step(const at::Tensor&) override { return {}; }

   private:
    EnvSpec spec_;
  };
  EXPECT_EQ(make_true_dynamics_scorer(NoTaskEnv()), nullptr);
}

}  // namespace
}  // namespace mbrl

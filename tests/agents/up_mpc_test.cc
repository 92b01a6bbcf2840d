// Tests for agents/up_mpc.cc: COPlanner's UP-MPC on a hand-made two-member ensemble whose
// members disagree exactly where the action is positive, and on a real ensemble.
#include "mbrl/agents/up_mpc.h"

#include <limits>
#include <memory>
#include <stdexcept>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/lsse_model.h"
#include "mbrl/models/model_env.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"

namespace mbrl {
namespace {

// obs, act [N, 1]. Member 0 moves to obs + a, member 1 to obs + a where a <= 0 and to obs + 2a
// where a > 0, so their std is a / 2 on positive actions and 0 otherwise. Every row follows
// member 0; the learned reward is reward_sign * (obs + a).
class DisagreesOnPositiveActions : public DynamicsModel, public UncertaintyAware {
 public:
  explicit DisagreesOnPositiveActions(float reward_sign) : reward_sign_(reward_sign) {}
  std::string type() const override { return "disagrees_on_positive_actions"; }
  int64_t obs_dim() const override { return 1; }
  int64_t act_dim() const override { return 1; }
  bool learns_reward() const override { return true; }
  c10::Device device() const override { return torch::kCPU; }
  ModelState initial_state(const at::Tensor& obs, const RolloutSpec& spec,
                           at::Generator&) override {
    ModelState s;
    s.obs = obs;
    s.spec = spec;
    return s;
  }
  ModelStep step(const ModelState& state, const at::Tensor& act, at::Generator& gen) override {
    return step_with_uncertainty(state, act, gen).step;
  }
  UncertainModelStep step_with_uncertainty(const ModelState& state, const at::Tensor& act,
                                           at::Generator&) override {
    const at::Tensor first = state.obs + act;
    const at::Tensor second = state.obs + torch::where(act > 0, 2 * act, act);
    UncertainModelStep r;
    r.member_mean = torch::stack({first, second});  // [2, N, 1]
    r.uncertainty = ensemble_uncertainty(r.member_mean, at::Tensor(), r.member_mean);
    r.step.next_obs = first;
    r.step.reward = reward_sign_ * first.squeeze(1);
    r.step.state = state;
    r.step.state.obs = first;
    return r;
  }
  MemberSamples sample_members(const at::Tensor&, const at::Tensor&, int64_t,
                               at::Generator&) override {
    throw std::logic_error("not used by UP-MPC");
  }
  ModelLosses loss(const TransitionBatch&) override { throw std::logic_error("not trained"); }
  void save(torch::serialize::OutputArchive&) const override {}
  void load(torch::serialize::InputArchive&, const std::string&) override {}

 private:
  float reward_sign_;
};

// K = 2 candidates: the first of each row block acts +1, the second -1, at every state
at::Tensor plus_then_minus(const at::Tensor& obs) {
  at::Tensor a = torch::ones({obs.size(0), 1});
  a.slice(0, obs.size(0) / 2).fill_(-1.f);
  return a;
}

class UpMpcTest : public test::MbrlTest {
 protected:
  static ModelEnv env_of(float reward_sign) {
    return ModelEnv(ModelEnvOptions().propagation(Propagation::kRandomModel),
                    std::make_shared<DisagreesOnPositiveActions>(reward_sign), nullptr,
                    make_generator(0, torch::kCPU));
  }
  // H = 3, undiscounted returns, disagreement discounted by 0.5
  static UpMpc planner(int64_t max_rows = 1000) {
    return UpMpc(UpMpcOptions()
                     .candidates(2)
                     .horizon(3)
                     .reward_discount(1.0)
                     .uncertainty_discount(0.5)
                     .max_rows(max_rows));
  }
};

// From obs 0, +1 visits 1, 2, 3 and -1 visits -1, -2, -3; with reward -(obs + a) the returns
// are -6 and +6, and the disagreement of +1 is 0.5 (1 + 0.5 + 0.25) = 0.875.
TEST_F(UpMpcTest, PenaltyAvoidsAndBonusSeeksTheDisagreement) {
  ModelEnv env = env_of(-1.f);
  const at::Tensor obs = torch::zeros({3, 1});

  UpMpcPlan greedy = planner().plan(env, plus_then_minus, obs, 0.0);
  EXPECT_TRUE(torch::equal(greedy.action, torch::full({3, 1}, -1.f)));
  EXPECT_TRUE(torch::allclose(greedy.planned_return, torch::full({3}, 6.f)));
  EXPECT_TRUE(torch::allclose(greedy.planned_uncertainty, torch::zeros({3})));

  UpMpcPlan penalised = planner().plan(env, plus_then_minus, obs, -20.0);
  EXPECT_TRUE(torch::equal(penalised.action, torch::full({3, 1}, -1.f)));

  // -6 + 20 * 0.875 = 11.5 > 6: the bonus picks the disagreeing candidate over the better return
  UpMpcPlan optimistic = planner().plan(env, plus_then_minus, obs, 20.0);
  EXPECT_TRUE(torch::equal(optimistic.action, torch::ones({3, 1})));
  EXPECT_TRUE(torch::allclose(optimistic.planned_return, torch::full({3}, -6.f)));
  EXPECT_TRUE(torch::allclose(optimistic.planned_uncertainty, torch::full({3}, 0.875f)));
  // a bonus too small to pay for the return keeps the better candidate
  UpMpcPlan small_bonus = planner().plan(env, plus_then_minus, obs, 10.0);
  EXPECT_TRUE(torch::equal(small_bonus.action, torch::full({3, 1}, -1.f)));
}

// With reward +(obs + a) the disagreeing candidate also has the better return (+6 vs -6): the
// plain plan takes it, a penalty of 20 (6 - 17.5 < -6) turns it away.
TEST_F(UpMpcTest, PenaltyGivesUpReturnToAvoidDisagreement) {
  ModelEnv env = env_of(1.f);
  const at::Tensor obs = torch::zeros({2, 1});
  EXPECT_TRUE(
      torch::equal(planner().plan(env, plus_then_minus, obs, 0.0).action, torch::ones({2, 1})));
  EXPECT_TRUE(torch::equal(planner().plan(env, plus_then_minus, obs, -20.0).action,
                           torch::full({2, 1}, -1.f)));
}

// Every state is planned by one batched pass, or in slices of max_rows / K states: the same plan.
TEST_F(UpMpcTest, SlicesOfStatesPlanAsOneBatch) {
  ModelEnv env = env_of(-1.f);
  const at::Tensor obs = torch::linspace(-2, 2, 7).unsqueeze(1);
  const auto sample_first = [](const at::Tensor& o) {
    // each row's own action size, and the positive candidate first only where obs > 0.5
    at::Tensor a = plus_then_minus(o) * (1 + o.abs());
    return torch::where(o > 0.5, a, -a);
  };
  UpMpcPlan whole = planner().plan(env, sample_first, obs, 20.0);
  UpMpcPlan sliced = planner(/*max_rows=*/4).plan(env, sample_first, obs, 20.0);
  EXPECT_EQ(whole.action.sizes(), (std::vector<int64_t>{7, 1}));
  EXPECT_TRUE(torch::equal(whole.action, sliced.action));
  EXPECT_TRUE(torch::equal(whole.planned_return, sliced.planned_return));
  EXPECT_TRUE(torch::equal(whole.planned_uncertainty, sliced.planned_uncertainty));
}

// One candidate and no weight: the plan is the policy's own first draw, bitwise, on a real
// ensemble with a stochastic policy.
TEST_F(UpMpcTest, OneCandidateWithoutWeightIsThePolicysAction) {
  auto model = std::make_shared<GaussianMlpEnsemble>(
      GaussianMlpEnsembleOptions(3, 2).ensemble_size(3).num_elites(2).hidden_size(8).learn_reward(
          true),
      make_generator(1, torch::kCPU));
  ModelEnv env(ModelEnvOptions().propagation(Propagation::kRandomModel), model, nullptr,
               make_generator(2, torch::kCPU));
  at::Generator policy_gen = make_generator(3, torch::kCPU);
  const auto policy = [&](const at::Tensor& o) {
    return torch::tanh(o.narrow(1, 0, 2) + torch::randn({o.size(0), 2}, policy_gen));
  };
  const at::Tensor obs = torch::randn({5, 3}, make_generator(4, torch::kCPU));
  UpMpcPlan plan = UpMpc(UpMpcOptions().candidates(1).horizon(4)).plan(env, policy, obs, 0.0);

  at::Generator again = make_generator(3, torch::kCPU);
  const at::Tensor expected = torch::tanh(obs.narrow(1, 0, 2) + torch::randn({5, 2}, again));
  EXPECT_TRUE(torch::equal(plan.action, expected));
  EXPECT_TRUE(torch::isfinite(plan.planned_return).all().item<bool>());
  EXPECT_TRUE((plan.planned_uncertainty > 0).all().item<bool>());  // members differ
}

// K = 3 candidates of N = 2 states, candidate-major: the first maximum wins a tie, a NaN or
// infinite score never wins
TEST_F(UpMpcTest, BestCandidateSkipsNonFiniteScoresAndTakesTheFirstTie) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const at::Tensor score = torch::tensor({1.f, nan, 5.f, inf, 5.f, 2.f});
  EXPECT_TRUE(torch::equal(best_candidate_rows(score, 3), torch::tensor({2, 5})));
  EXPECT_TRUE(torch::equal(best_candidate_rows(torch::full({4}, 1.f), 2), torch::tensor({0, 1})));
}

TEST_F(UpMpcTest, RejectsBadOptionsAndModelsWithoutUncertainty) {
  EXPECT_THROW_WITH(UpMpc(UpMpcOptions().candidates(0)), InvalidArgument, "candidates");
  EXPECT_THROW_WITH(UpMpc(UpMpcOptions().horizon(0)), InvalidArgument, "horizon");
  EXPECT_THROW_WITH(UpMpc(UpMpcOptions().reward_discount(1.5)), InvalidArgument, "reward_discount");
  EXPECT_THROW_WITH(UpMpc(UpMpcOptions().candidates(5).max_rows(4)), InvalidArgument, "max_rows");
  ModelEnv single(ModelEnvOptions(),
                  std::make_shared<LsseModel>(LsseOptions(1, 1).learn_reward(true),
                                              make_generator(0, torch::kCPU)),
                  nullptr, make_generator(1, torch::kCPU));
  EXPECT_THROW_WITH(UpMpc(UpMpcOptions()).plan(single, plus_then_minus, torch::zeros({2, 1}), 1.0),
                    Error, "model 'lsse' reports no uncertainty");
  EXPECT_THROW_WITH(
      coplanner_options_from_config(load_config_string("conservative_weight: -1\n", "c.yaml")),
      ConfigError, "conservative_weight");
  EXPECT_THROW_WITH(coplanner_options_from_config(load_config_string("horizon: 0\n", "c.yaml")),
                    ConfigError, "c.yaml:1:10: horizon");

  const CoplannerOptions read = coplanner_options_from_config(load_config_string(
      "candidates: 4\nhorizon: 3\noptimistic_weight: 0.5\noptimistic_exploration: false\n",
      "c.yaml"));
  EXPECT_EQ(read.planner().candidates(), 4);
  EXPECT_EQ(read.planner().horizon(), 3);
  EXPECT_DOUBLE_EQ(read.optimistic_weight(), 0.5);
  EXPECT_DOUBLE_EQ(read.conservative_weight(), 2.0);
  EXPECT_FALSE(read.optimistic_exploration());
  EXPECT_TRUE(read.conservative_rollouts());
}

}  // namespace
}  // namespace mbrl

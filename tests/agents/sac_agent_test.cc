// Tests for agents/sac_agent.cc.
#include <cmath>
#include <limits>
#include <sstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/agents/agent_registry.h"
#include "mbrl/agents/sac_agent.h"
#include "mbrl/config/loader.h"
#include "mbrl/core/build_context.h"
#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

class SacAgentTest : public test::MbrlTest {};

// obs_dim 3; two actions with asymmetric bounds, so the rescaling is visible
EnvSpec test_spec() {
  EnvSpec spec;
  spec.name = "test";
  spec.observation_space = Box::uniform(3, -10, 10);
  spec.action_space = Box(torch::tensor({-2.0f, 0.0f}), torch::tensor({2.0f, 1.0f}));
  return spec;
}

SacOptions small_options() { return SacOptions().hidden_size(32).batch_size(64); }

SacAgent make_agent(SacOptions o = small_options(), uint64_t seed = 1) {
  return SacAgent(o, test_spec(), make_generator(seed, torch::kCPU));
}

// a random batch in the env's action space
TransitionBatch random_batch(int64_t n, uint64_t seed) {
  auto gen = make_generator(seed, torch::kCPU);
  TransitionBatch b;
  b.obs = torch::randn({n, 3}, gen);
  b.act = torch::stack({torch::rand({n}, gen) * 4 - 2, torch::rand({n}, gen)}, 1);
  b.next_obs = torch::randn({n, 3}, gen);
  b.reward = torch::randn({n}, gen);
  b.terminated = torch::rand({n}, gen) < 0.1;
  b.truncated = torch::zeros({n}, torch::kBool);
  return b;
}

std::vector<at::Tensor> copies(const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone());
  return out;
}

TEST_F(SacAgentTest, ActionsAreInsideTheEnvBounds) {
  SacAgent agent = make_agent();
  const Box box = test_spec().action_space;
  for (int i = 0; i < 50; ++i) {
    auto obs = torch::randn({3}) * 5;
    for (ActMode mode : {ActMode::kExplore, ActMode::kEval}) {
      auto a = agent.act(obs, mode);
      EXPECT_SHAPE(a, {2});
      EXPECT_EQ(a.scalar_type(), torch::kFloat32);
      EXPECT_TRUE(a.device().is_cpu());
      EXPECT_TRUE(box.contains(a)) << a;
    }
  }
}

TEST_F(SacAgentTest, EvalActionIsTheRescaledTanhMean) {
  SacAgent agent = make_agent();
  auto obs = torch::randn({3});
  auto mean = agent.policy()->forward(obs.unsqueeze(0)).first.squeeze(0).detach();
  auto expected = torch::tensor({0.0f, 0.5f}) + torch::tensor({2.0f, 0.5f}) * torch::tanh(mean);
  EXPECT_TENSOR_CLOSE(agent.act(obs, ActMode::kEval), expected);
  EXPECT_TENSOR_CLOSE(agent.act(obs, ActMode::kEval), expected);
  EXPECT_FALSE(torch::allclose(agent.act(obs, ActMode::kExplore), expected));
}

TEST_F(SacAgentTest, ActBatchMatchesActAndKeepsTheDevice) {
  SacAgent agent = make_agent();
  auto obs = torch::randn({7, 3});
  auto batch = agent.act_batch(obs, /*deterministic=*/true);
  EXPECT_SHAPE(batch, {7, 2});
  for (int64_t i = 0; i < 7; ++i) EXPECT_TENSOR_CLOSE(batch[i], agent.act(obs[i], ActMode::kEval));
  auto sampled = agent.act_batch(obs);
  EXPECT_SHAPE(sampled, {7, 2});
  EXPECT_TRUE(test_spec().action_space.contains(sampled));
  EXPECT_THROW(agent.act_batch(torch::randn({7, 4})), ShapeError);
}

TEST_F(SacAgentTest, NormalizeInvertsDenormalize) {
  SacAgent agent = make_agent();
  auto a = torch::rand({10, 2}) * 2 - 1;
  EXPECT_TENSOR_CLOSE(agent.normalize_action(agent.denormalize_action(a)), a, 1e-5, 1e-6);
  EXPECT_TENSOR_CLOSE(agent.denormalize_action(torch::tensor({{-1.0f, 1.0f}})),
                      torch::tensor({{-2.0f, 1.0f}}));
}

TEST_F(SacAgentTest, SameSeedGivesTheSameAgentAndUpdates) {
  SacAgent a = make_agent(small_options(), 4), b = make_agent(small_options(), 4);
  SacAgent c = make_agent(small_options(), 5);
  auto obs = torch::randn({3});
  EXPECT_TENSOR_CLOSE(a.act(obs, ActMode::kEval), b.act(obs, ActMode::kEval), 0, 0);
  EXPECT_FALSE(torch::allclose(a.act(obs, ActMode::kEval), c.act(obs, ActMode::kEval)));
  for (int i = 0; i < 3; ++i) {
    auto batch = random_batch(64, 10 + i);
    SacUpdateMetrics ma = a.update_sac(batch), mb = b.update_sac(batch);
    EXPECT_EQ(ma.critic_loss, mb.critic_loss);
    EXPECT_EQ(ma.actor_loss, mb.actor_loss);
    EXPECT_EQ(ma.alpha, mb.alpha);
  }
  EXPECT_TENSOR_CLOSE(a.act(obs), b.act(obs), 0, 0);
}

TEST_F(SacAgentTest, TargetCriticsStartEqualAndFollowByPolyakAveraging) {
  SacAgent agent = make_agent(small_options().tau(0.1));
  auto online = agent.critic()->parameters(), target = agent.target_critic()->parameters();
  for (size_t i = 0; i < online.size(); ++i) EXPECT_TRUE(torch::equal(online[i], target[i]));
  for (const auto& t : target) EXPECT_FALSE(t.requires_grad());

  auto before = copies(target);
  agent.update(random_batch(64, 3));
  for (size_t i = 0; i < online.size(); ++i) {
    EXPECT_FALSE(torch::equal(online[i], before[i])) << "critic " << i << " did not learn";
    EXPECT_TENSOR_CLOSE(target[i], 0.9 * before[i] + 0.1 * online[i], 1e-5, 1e-7);
  }
}

TEST_F(SacAgentTest, TargetUpdateIntervalDelaysTheTargets) {
  SacAgent agent = make_agent(small_options().target_update_interval(2).tau(1.0));
  auto before = copies(agent.target_critic()->parameters());
  agent.update(random_batch(64, 3));
  auto target = agent.target_critic()->parameters();
  for (size_t i = 0; i < target.size(); ++i) EXPECT_TRUE(torch::equal(target[i], before[i]));
  agent.update(random_batch(64, 4));
  auto online = agent.critic()->parameters();
  for (size_t i = 0; i < target.size(); ++i) EXPECT_TRUE(torch::equal(target[i], online[i]));
  EXPECT_EQ(agent.num_updates(), 2);
}

TEST_F(SacAgentTest, EntropyTuningMovesAlphaTowardsTheTarget) {
  // the squashed 2-d policy's entropy is at most 2 log 2 nats: a target of +5 is never met
  // (alpha must grow), a target of -50 is always exceeded (alpha must shrink)
  SacAgent up = make_agent(small_options().target_entropy(5.0));
  SacAgent down = make_agent(small_options().target_entropy(-50.0));
  EXPECT_NEAR(up.alpha(), 0.2, 1e-6);
  for (int i = 0; i < 5; ++i) {
    up.update(random_batch(64, i));
    down.update(random_batch(64, i));
  }
  EXPECT_GT(up.alpha(), 0.2 * std::exp(5 * 3e-4 * 0.9));
  EXPECT_LT(down.alpha(), 0.2 * std::exp(-5 * 3e-4 * 0.9));
  EXPECT_DOUBLE_EQ(make_agent().target_entropy(), -2.0);
}

TEST_F(SacAgentTest, FixedAlphaStaysFixed) {
  SacAgent agent = make_agent(small_options().automatic_entropy_tuning(false).alpha(0.05));
  SacUpdateMetrics m;
  for (int i = 0; i < 3; ++i) m = agent.update_sac(random_batch(64, i));
  EXPECT_NEAR(agent.alpha(), 0.05, 1e-7);
  EXPECT_NEAR(m.alpha, 0.05, 1e-7);
  EXPECT_EQ(m.alpha_loss, 0.0);
}

// one state, reward 1 every step: Q -> 1 when every transition terminates, and
// Q -> 1 / (1 - gamma) when they are only truncated (bootstrapping continues)
double learned_q(bool terminated) {
  SacOptions o = SacOptions()
                     .hidden_size(32)
                     .gamma(0.5)
                     .critic_lr(3e-3)
                     .automatic_entropy_tuning(false)
                     .alpha(1e-6)
                     .tau(0.2);
  SacAgent agent(o, test_spec(), make_generator(2, torch::kCPU));
  TransitionBatch b = random_batch(64, 1);
  b.obs = torch::ones({64, 3});
  b.next_obs = b.obs;
  b.reward = torch::ones({64});
  b.terminated = torch::full({64}, terminated, torch::kBool);
  b.truncated = torch::full({64}, !terminated, torch::kBool);
  for (int i = 0; i < 600; ++i) agent.update(b);
  torch::NoGradGuard no_grad;
  return agent.critic()->forward(b.obs, agent.normalize_action(b.act)).mean().item<double>();
}

TEST_F(SacAgentTest, TerminatedStopsBootstrappingButTruncatedDoesNot) {
  EXPECT_NEAR(learned_q(true), 1.0, 0.05);
  EXPECT_NEAR(learned_q(false), 2.0, 0.1);
}

TEST_F(SacAgentTest, NonFiniteLossStopsBeforeTheStepAndNamesTheUpdate) {
  SacAgent agent = make_agent();
  agent.update(random_batch(64, 1));
  auto before = copies(agent.critic()->parameters());
  TransitionBatch bad = random_batch(64, 2);
  bad.reward[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW_WITH(agent.update(bad), NonFiniteError, "sac: non-finite critic loss at update 2");
  auto after = agent.critic()->parameters();
  for (size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(torch::equal(after[i], before[i]));
  EXPECT_EQ(agent.num_updates(), 1);
}

TEST_F(SacAgentTest, RejectsMalformedBatches) {
  SacAgent agent = make_agent();
  TransitionBatch b = random_batch(8, 1);
  b.act = torch::zeros({8, 3});
  EXPECT_THROW(agent.update(b), ShapeError);
}

// serializes through bytes, as a checkpoint file would
void round_trip(const SacAgent& from, SacAgent& to) {
  torch::serialize::OutputArchive out;
  from.save(out);
  std::stringstream bytes;
  out.save_to(bytes);
  torch::serialize::InputArchive in;
  in.load_from(bytes);
  to.load(in);
}

TEST_F(SacAgentTest, SaveLoadResumesExactly) {
  SacAgent a = make_agent(small_options(), 1);
  for (int i = 0; i < 4; ++i) a.update(random_batch(64, i));
  a.act(torch::randn({3}));
  SacAgent b = make_agent(small_options(), 99);
  round_trip(a, b);
  EXPECT_EQ(b.num_updates(), 4);
  EXPECT_DOUBLE_EQ(b.alpha(), a.alpha());

  // same sampled actions (generator state), same next updates (optimizer state, targets)
  auto obs = torch::randn({3});
  EXPECT_TENSOR_CLOSE(b.act(obs), a.act(obs), 0, 0);
  for (int i = 0; i < 2; ++i) {
    auto batch = random_batch(64, 50 + i);
    SacUpdateMetrics ma = a.update_sac(batch), mb = b.update_sac(batch);
    EXPECT_EQ(ma.critic_loss, mb.critic_loss);
    EXPECT_EQ(ma.actor_loss, mb.actor_loss);
    EXPECT_EQ(ma.alpha_loss, mb.alpha_loss);
  }
  auto pa = a.policy()->parameters(), pb = b.policy()->parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i]));
  auto ta = a.target_critic()->parameters(), tb = b.target_critic()->parameters();
  for (size_t i = 0; i < ta.size(); ++i) EXPECT_TRUE(torch::equal(ta[i], tb[i]));
}

// OfflineRL-Kit's CosineAnnealingLR(actor_optim, T_max = 4) stepped after every epoch of 2
// updates: lr_e = lr (1 + cos(pi e / 4)) / 2, by hand
TEST_F(SacAgentTest, CosineScheduleAnnealsTheActorLearningRatePerEpoch) {
  const double lr = 1e-3;
  SacAgent agent =
      make_agent(small_options().actor_lr(lr).actor_lr_cosine_epochs(4).actor_lr_epoch_updates(2));
  const double expected[] = {
      lr,     lr,     lr * (1 + std::sqrt(0.5)) / 2, lr * (1 + std::sqrt(0.5)) / 2,
      lr / 2, lr / 2, lr * (1 - std::sqrt(0.5)) / 2, lr * (1 - std::sqrt(0.5)) / 2,
      0.0,    0.0};
  for (int n = 0; n < 10; ++n) {
    EXPECT_NEAR(agent.actor_lr(), expected[n], 1e-15) << "before update " << n;
    agent.update(random_batch(64, n));
  }
  EXPECT_NEAR(make_agent(small_options().actor_lr(lr)).actor_lr(), lr, 0);

  // the schedule is what the actor steps with: beside an agent with the constant actor_lr, the
  // actor takes the same steps in epoch 0 and a smaller one at update 2 (epoch 1)
  SacAgent scheduled = make_agent(
      small_options().actor_lr(lr).actor_lr_cosine_epochs(4).actor_lr_epoch_updates(2), 7);
  SacAgent constant = make_agent(small_options().actor_lr(lr), 7);
  for (int n = 0; n < 2; ++n) {
    scheduled.update(random_batch(64, n));
    constant.update(random_batch(64, n));
  }
  auto ps = scheduled.policy()->parameters(), pc = constant.policy()->parameters();
  for (size_t i = 0; i < ps.size(); ++i) EXPECT_TRUE(torch::equal(ps[i], pc[i]));
  scheduled.update(random_batch(64, 2));
  constant.update(random_batch(64, 2));
  ps = scheduled.policy()->parameters(), pc = constant.policy()->parameters();
  bool differs = false;
  for (size_t i = 0; i < ps.size(); ++i) differs = differs || !torch::equal(ps[i], pc[i]);
  EXPECT_TRUE(differs) << "the actor stepped with the constant rate";
}

TEST_F(SacAgentTest, CosineScheduleResumesAtTheSavedEpoch) {
  const auto options =
      small_options().actor_lr(1e-3).actor_lr_cosine_epochs(3).actor_lr_epoch_updates(2);
  SacAgent a = make_agent(options, 1);
  for (int i = 0; i < 3; ++i) a.update(random_batch(64, i));
  SacAgent b = make_agent(options, 99);
  round_trip(a, b);
  EXPECT_EQ(b.actor_lr(), a.actor_lr());
  for (int i = 0; i < 3; ++i) {
    auto batch = random_batch(64, 20 + i);
    EXPECT_EQ(a.update_sac(batch).actor_loss, b.update_sac(batch).actor_loss);
  }
  auto pa = a.policy()->parameters(), pb = b.policy()->parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i]));
}

TEST_F(SacAgentTest, LoadRejectsAnotherArchitecture) {
  SacAgent a = make_agent();
  SacAgent b = make_agent(small_options().hidden_size(16));
  EXPECT_THROW_WITH(round_trip(a, b), DataError, "hidden_size 32");
}

TEST_F(SacAgentTest, RejectsBadOptions) {
  EXPECT_THROW_WITH(make_agent(small_options().tau(0)), InvalidArgument, "tau");
  EXPECT_THROW_WITH(make_agent(small_options().gamma(1.5)), InvalidArgument, "gamma");
  EXPECT_THROW_WITH(make_agent(small_options().alpha(-1)), InvalidArgument, "alpha");
  EXPECT_THROW_WITH(make_agent(small_options().num_critics(0)), InvalidArgument, "num_critics");
  EXPECT_THROW_WITH(make_agent(small_options().critic_lr(0)), InvalidArgument, "critic_lr");
  EXPECT_THROW_WITH(make_agent(small_options().actor_lr_cosine_epochs(-1)), InvalidArgument,
                    "actor_lr_cosine_epochs");
  EXPECT_THROW_WITH(make_agent(small_options().actor_lr_epoch_updates(0)), InvalidArgument,
                    "actor_lr_epoch_updates");
}

TEST_F(SacAgentTest, ActsUpdatesAndResumesOnCuda_CUDA) {
  MBRL_SKIP_WITHOUT_CUDA();
  const c10::Device cuda("cuda");
  auto make = [&](uint64_t seed) {
    return SacAgent(small_options(), test_spec(), make_generator(seed, cuda), cuda);
  };
  SacAgent a = make(1);
  for (const auto& p : a.policy()->parameters()) EXPECT_TRUE(p.is_cuda());
  for (const auto& p : a.target_critic()->parameters()) EXPECT_TRUE(p.is_cuda());
  auto act = a.act(torch::randn({3}));
  EXPECT_TRUE(act.device().is_cpu());
  EXPECT_TRUE(test_spec().action_space.contains(act));
  auto batch_act = a.act_batch(torch::randn({5, 3}, torch::device(cuda)));
  EXPECT_TRUE(batch_act.is_cuda());
  for (int i = 0; i < 3; ++i) a.update(random_batch(64, i));  // a CPU batch is moved over

  SacAgent b = make(2);
  round_trip(a, b);
  auto obs = torch::randn({3});
  EXPECT_TENSOR_CLOSE(b.act(obs), a.act(obs), 0, 0);
  auto batch = random_batch(64, 9);
  EXPECT_EQ(a.update_sac(batch).critic_loss, b.update_sac(batch).critic_loss);
}

BuildContext test_context() {
  BuildContext ctx;
  ctx.seed = 3;
  ctx.env_spec = test_spec();
  return ctx;
}

TEST_F(SacAgentTest, BuildsFromConfig) {
  ConfigNode node = load_config_string(
      "type: sac\nhidden_size: 16\nnum_critics: 3\ntarget_entropy: -0.5\n"
      "actor_lr_cosine_epochs: 3000\nactor_lr_epoch_updates: 500\n",
      "test.yaml");
  auto agent = std::dynamic_pointer_cast<SacAgent>(agent_registry().create(node, test_context()));
  ASSERT_TRUE(agent);
  EXPECT_EQ(agent->options().hidden_size(), 16);
  EXPECT_EQ(agent->critic()->options.num_critics(), 3);
  EXPECT_DOUBLE_EQ(agent->target_entropy(), -0.5);
  EXPECT_EQ(agent->options().actor_lr_cosine_epochs(), 3000);
  EXPECT_EQ(agent->options().actor_lr_epoch_updates(), 500);
  EXPECT_NO_THROW(node.check_all_read());
}

TEST_F(SacAgentTest, ConfigErrorsNameTheKey) {
  auto build = [](const std::string& yaml) {
    agent_registry().create(load_config_string(yaml, "test.yaml"), test_context());
  };
  EXPECT_THROW_WITH(build("type: sac\ntarget_entropy: lots\n"), ConfigError,
                    "target_entropy: expected a number or auto, got 'lots'");
  EXPECT_THROW_WITH(build("type: sac\ntau: 2\n"), ConfigError, "tau");
  EXPECT_THROW_WITH(build("type: sac\nhidden_size: wide\n"), ConfigError, "hidden_size");
}

}  // namespace
}  // namespace mbrl

namespace mbrl {
namespace {

// EDAC's ensemble similarity, by hand: each critic's action gradient on its own, normalised,
// pairwise dot products i != j, averaged over the batch, over N - 1
TEST(SacCriticDiversityTest, SimilarityEqualsAHandComputation) {
  const int64_t n = 3;
  SacAgent agent(small_options().num_critics(n).critic_diversity(0.5), test_spec(),
                 make_generator(2, torch::kCPU));
  const TransitionBatch batch = random_batch(16, 4);
  const at::Tensor act = agent.normalize_action(batch.act);
  std::vector<at::Tensor> unit;
  for (int64_t j = 0; j < n; ++j) {
    at::Tensor a = act.clone().requires_grad_(true);
    at::Tensor q = agent.critic()->forward(batch.obs, a)[j].sum();
    at::Tensor g = torch::autograd::grad({q}, {a})[0];
    unit.push_back(g / g.norm(2, -1, true));
  }
  at::Tensor sum = torch::zeros({16});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      if (i != j) sum += (unit[i] * unit[j]).sum(-1);
  const double expected = (sum.mean() / (n - 1)).item<double>();
  const SacUpdateMetrics m = agent.update_sac(batch);
  EXPECT_NEAR(m.critic_similarity, expected, 1e-5);
  EXPECT_EQ(agent.metric_names().back(), "critic_similarity");
  EXPECT_EQ(agent.update(batch).size(), 6u);
}

// the term does what it is for: trained on one batch, the critics' action gradients end up less
// alike with it than without it
TEST(SacCriticDiversityTest, DiversityMakesTheCriticsDisagree) {
  const TransitionBatch batch = random_batch(64, 5);
  const auto similarity_after = [&](double eta) {
    SacAgent agent(small_options().num_critics(5).critic_diversity(eta), test_spec(),
                   make_generator(3, torch::kCPU));
    SacAgent probe(small_options().num_critics(5).critic_diversity(1.0), test_spec(),
                   make_generator(3, torch::kCPU));
    for (int i = 0; i < 200; ++i) agent.update_sac(batch);
    round_trip(agent, probe);
    return probe.update_sac(batch).critic_similarity;
  };
  EXPECT_LT(similarity_after(5.0), similarity_after(0.0) - 0.1);
}

TEST(SacCriticDiversityTest, NeedsTwoCritics) {
  EXPECT_THROW_WITH(SacAgent(small_options().num_critics(1).critic_diversity(1.0), test_spec(),
                             make_generator(1, torch::kCPU)),
                    InvalidArgument, "needs num_critics >= 2");
  EXPECT_THROW_WITH(
      SacAgent(small_options().critic_diversity(-1.0), test_spec(), make_generator(1, torch::kCPU)),
      InvalidArgument, "expected a finite number >= 0");
}

}  // namespace
}  // namespace mbrl

namespace mbrl {
namespace {

// The critic loss of N critics by hand: y = r + gamma (1 - d) (min_j Qbar_j(s', a') - alpha log
// pi(a'|s')) (without the log pi term under deterministic_backup), a' drawn as the update draws it
// (the agent's generator, read from its archive), loss = sum_j mean_b (Q_j(s, a) - y)^2
void expect_critic_loss_by_hand(bool deterministic_backup) {
  SacAgent agent(
      small_options().num_critics(4).alpha(0.3).deterministic_backup(deterministic_backup),
      test_spec(), make_generator(6, torch::kCPU));
  const TransitionBatch batch = random_batch(8, 7);
  torch::serialize::OutputArchive out;
  agent.save(out);
  std::stringstream bytes;
  out.save_to(bytes);
  torch::serialize::InputArchive in;
  in.load_from(bytes);
  at::Tensor state;
  in.read("generator_state", state);
  at::Generator gen = make_generator(0, torch::kCPU);
  gen.set_state(state);

  double expected = 0;
  {
    torch::NoGradGuard no_grad;
    const PolicySample next = agent.policy()->sample(batch.next_obs, gen);
    const at::Tensor target_q = agent.target_critic()->forward(batch.next_obs, next.action);
    ASSERT_EQ(target_q.size(0), 4);
    at::Tensor min_q = target_q[0];
    for (int64_t j = 1; j < 4; ++j) min_q = torch::minimum(min_q, target_q[j]);
    const at::Tensor entropy =
        deterministic_backup ? torch::zeros_like(min_q) : 0.3 * next.log_prob;
    const at::Tensor y =
        batch.reward + 0.99 * (1 - batch.terminated.to(torch::kFloat)) * (min_q - entropy);
    const at::Tensor q = agent.critic()->forward(batch.obs, agent.normalize_action(batch.act));
    for (int64_t j = 0; j < 4; ++j) expected += (q[j] - y).pow(2).mean().item<double>();
  }
  EXPECT_NEAR(agent.update_sac(batch).critic_loss, expected, 1e-4 * std::abs(expected));
}

TEST(SacCriticEnsembleTest, TargetTakesTheMinimumOverAllCriticsByHand) {
  expect_critic_loss_by_hand(false);
}

TEST(SacCriticEnsembleTest, DeterministicBackupDropsTheEntropyTermByHand) {
  expect_critic_loss_by_hand(true);
}

}  // namespace
}  // namespace mbrl

namespace mbrl {
namespace {

// V(s) = Q(s, a) with the action held fixed, in double precision
at::Tensor values_in_double(QEnsemble& critic, const at::Tensor& obs, const at::Tensor& act) {
  auto copy = std::dynamic_pointer_cast<QEnsembleImpl>(critic->clone());
  copy->to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  return copy->forward(obs, act);  // [N, B]
}

TEST_F(SacAgentTest, ValueGradientsMatchFiniteDifferencesOfEveryCriticAndTarget) {
  SacAgent agent = make_agent();
  for (const auto& b : {random_batch(64, 1), random_batch(64, 2)}) agent.update_sac(b);
  {
    // critics and targets differ, so the order of the result is visible
    torch::NoGradGuard no_grad;
    for (auto& p : agent.critic()->parameters()) p.add_(0.05 * torch::randn_like(p));
  }
  const at::Tensor obs = torch::randn({5, 3}, make_generator(8, torch::kCPU));
  auto grads_of = [](const std::vector<at::Tensor>& params) {
    std::vector<at::Tensor> out;
    for (const auto& p : params)
      out.push_back(p.grad().defined() ? p.grad().clone() : at::Tensor());
    return out;
  };
  const auto params = agent.critic()->parameters();
  const std::vector<at::Tensor> before = copies(params), grads_before = grads_of(params);
  const at::Tensor g = agent.value_gradients(obs);
  ASSERT_EQ(g.sizes(), (std::vector<int64_t>{4, 5, 3}));
  EXPECT_FALSE(g.requires_grad());
  const auto grads_after = grads_of(params);
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_TRUE(params[i].equal(before[i]));  // the critics' weights and gradients untouched
    EXPECT_EQ(grads_after[i].defined(), grads_before[i].defined());
    if (grads_before[i].defined()) EXPECT_TRUE(grads_after[i].equal(grads_before[i]));
    EXPECT_TRUE(params[i].requires_grad());
  }

  at::Tensor act;
  {
    torch::NoGradGuard no_grad;
    act = agent.policy()->mean_action(obs).to(torch::kFloat64);
  }
  const double h = 1e-5;
  const at::Tensor s = obs.to(torch::kFloat64);
  for (int which = 0; which < 2; ++which) {
    QEnsemble& q = which == 0 ? agent.critic() : agent.target_critic();
    for (int64_t j = 0; j < 3; ++j) {
      at::Tensor up = s.clone(), down = s.clone();
      up.select(1, j).add_(h);
      down.select(1, j).sub_(h);
      const at::Tensor fd =
          (values_in_double(q, up, act) - values_in_double(q, down, act)) / (2 * h);
      EXPECT_TENSOR_CLOSE(g.narrow(0, 2 * which, 2).select(2, j), fd.to(torch::kFloat32), 1e-3,
                          1e-4)
          << (which == 0 ? "critics" : "target critics") << ", obs dim " << j;
    }
  }
  EXPECT_FALSE(g[0].equal(g[2]));
}

}  // namespace
}  // namespace mbrl

// Tests for agents/dreamer/dreamer_agent.cc: acting in the env's box, episode resets, one train
// step, and a save/load that continues identically.
#include "mbrl/agents/dreamer/dreamer_agent.h"

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/core/build_context.h"
#include "mbrl/core/rng.h"
#include "mbrl/register_builtins.h"
#include "tests/support/fixture.h"
#include "tests/support/tensor_matchers.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

constexpr int64_t kObs = 3, kAct = 2;

// discrete: kAct choices (one-hot actions) instead of a [-2, 2] x [0, 1] box
std::unique_ptr<DreamerAgent> agent(uint64_t seed = 0, bool discrete = false) {
  register_builtins();
  torch::manual_seed(seed);
  auto backbone = backbone_registry().create(
      load_config_string("type: gru\nhidden_size: 16\nblocks: 4\n", "b.yaml"), BuildContext{},
      4 * 4 + kAct);
  auto wm = std::make_shared<WorldModel>(
      WorldModelOptions(kObs, kAct).latents(4).classes(4).units(32).layers(1).reward_bins(41),
      backbone, make_generator(seed + 1, torch::kCPU));
  auto ac = std::make_shared<ImaginationActorCritic>(
      ImaginationActorCriticOptions(wm->feature_size(), kAct)
          .units(32)
          .layers(1)
          .horizon(4)
          .critic_bins(41)
          .discrete_actions(discrete),
      make_generator(seed + 2, torch::kCPU));
  const Box box = discrete ? Box::uniform(kAct, 0.0, 1.0)
                           : Box(torch::tensor({-2.0f, 0.0f}), torch::tensor({2.0f, 1.0f}));
  return std::make_unique<DreamerAgent>(wm, ac, box, WorldModelOptimizerOptions(),
                                        make_generator(seed + 3, torch::kCPU));
}

// the agent with COPlanner (disagreement heads of width 16) switched on
std::unique_ptr<DreamerAgent> coplanner_agent(CoplannerOptions options, uint64_t seed = 0) {
  auto a = agent(seed);
  torch::manual_seed(seed + 10);
  auto d = std::make_shared<LatentDisagreement>(
      LatentDisagreementOptions(a->world_model().feature_size(), kAct, 4 * 4).heads(4).units(16));
  a->enable_coplanner(d, options);
  return a;
}

StepBatch chunk() {
  StepBatch s;
  auto t = torch::arange(6, torch::kFloat32).unsqueeze(1) + torch::arange(4).unsqueeze(0);
  s.obs = torch::stack({torch::sin(t), torch::cos(t), 0.1 * t}, -1);
  s.prev_act = torch::zeros({6, 4, kAct});
  s.reward = torch::sin(t);
  s.is_first = torch::zeros({6, 4}, torch::kBool);
  s.is_first[0].fill_(true);
  s.is_terminal = torch::zeros({6, 4}, torch::kBool);
  return s;
}

class DreamerAgentTest : public test::MbrlTest {};

TEST_F(DreamerAgentTest, ActsInsideTheEnvBoxAndNormalizesBack) {
  auto a = agent();
  a->reset();
  const Box box(torch::tensor({-2.0f, 0.0f}), torch::tensor({2.0f, 1.0f}));
  for (int i = 0; i < 50; ++i) {
    at::Tensor act = a->act(torch::randn({kObs}), i % 2 ? ActMode::kEval : ActMode::kExplore);
    EXPECT_SHAPE(act, {kAct});
    EXPECT_TRUE(box.contains(act)) << act;
    EXPECT_TENSOR_CLOSE(a->normalize(act), a->last_normalized_action(), 1e-5, 1e-6);
  }
}

TEST_F(DreamerAgentTest, ResetMakesTheNextObservationAnEpisodeStart) {
  auto a = agent(), b = agent();
  a->reset();
  for (int i = 0; i < 5; ++i) a->act(torch::randn({kObs}), ActMode::kEval);
  a->reset();
  b->reset();
  a->act(torch::randn({kObs}));
  b->act(torch::randn({kObs}));
  // the deterministic state of an episode's first step forgets the episode before (the latent
  // sample and the action are random draws)
  EXPECT_TENSOR_CLOSE(a->latent_state().h, b->latent_state().h, 0.0, 0.0);
}

// a loop evaluates inside a training episode between two steps: restoring the memory taken
// before must continue the episode as if the evaluation had not happened (the deterministic
// state of the next step is a function of the memory and the observation)
TEST_F(DreamerAgentTest, RestoredMemoryContinuesTheEpisode) {
  auto a = agent(), b = agent();
  const at::Tensor obs1 = torch::tensor({0.1f, 0.2f, 0.3f}), obs2 = torch::tensor({-1.f, 0.f, 1.f});
  for (auto* x : {a.get(), b.get()}) {
    x->reset();
    x->act(obs1);
    x->act(obs2);
  }
  const DreamerAgent::Memory memory = a->memory();
  a->reset();  // an evaluation episode
  for (int i = 0; i < 3; ++i) a->act(torch::randn({kObs}), ActMode::kEval);
  a->restore(memory);
  const at::Tensor obs3 = torch::tensor({0.5f, 0.5f, -0.5f});
  a->act(obs3);
  b->act(obs3);
  EXPECT_TENSOR_CLOSE(a->latent_state().h, b->latent_state().h, 0.0, 0.0);
}

TEST_F(DreamerAgentTest, TrainStepsTheWorldModelAndReportsEveryMetric) {
  auto a = agent();
  std::vector<at::Tensor> before;
  for (const auto& p : a->world_model().parameters()) before.push_back(p.detach().clone());
  std::vector<double> m = a->train(chunk());
  ASSERT_EQ(m.size(), a->metric_names().size());
  for (double v : m) EXPECT_TRUE(std::isfinite(v));
  bool changed = false;
  auto after = a->world_model().parameters();
  for (size_t i = 0; i < before.size(); ++i) changed |= !torch::equal(before[i], after[i]);
  EXPECT_TRUE(changed);
}

// DreamerV3's discrete actor: one-hot actions for the env and the world model, trained by
// REINFORCE in imagination
TEST_F(DreamerAgentTest, DiscreteActionsAreOneHotAndTheActorLearnsByReinforce) {
  auto a = agent(0, /*discrete=*/true);
  EXPECT_TRUE(a->discrete());
  a->reset();
  for (ActMode mode : {ActMode::kExplore, ActMode::kEval}) {
    const at::Tensor act = a->act(torch::tensor({0.3f, -0.2f, 0.5f}), mode);
    EXPECT_SHAPE(act, {kAct});
    EXPECT_EQ(act.sum().item<float>(), 1.0f);
    EXPECT_EQ(act.max().item<float>(), 1.0f);
    EXPECT_TRUE(torch::equal(a->last_normalized_action().cpu(), act));
    EXPECT_TRUE(torch::equal(a->normalize(act), act));
  }
  std::vector<at::Tensor> before;
  for (const auto& p : a->actor_critic().parameters()) before.push_back(p.detach().clone());
  StepBatch steps = chunk();
  steps.prev_act = torch::zeros({6, 4, kAct});
  steps.prev_act.select(-1, 1).fill_(1.0);
  std::vector<double> m = a->train(steps);
  for (double v : m) EXPECT_TRUE(std::isfinite(v));
  // the entropy of two choices is at most log 2
  const auto& names = a->metric_names();
  const size_t entropy = std::find(names.begin(), names.end(), "entropy") - names.begin();
  ASSERT_LT(entropy, m.size());
  EXPECT_LE(m[entropy], std::log(2.0) + 1e-6);
  EXPECT_GT(m[entropy], 0.0);
  bool actor_changed = false;
  auto after = a->actor_critic().named_parameters();
  size_t i = 0;
  for (const auto& p : after) {
    if (p.key().rfind("actor", 0) == 0) actor_changed |= !torch::equal(before[i], p.value());
    ++i;
  }
  EXPECT_TRUE(actor_changed);
}

// a trained once, saved to a file and loaded into b (other weights until then): both take the
// same next training step and the same actions
void expect_save_and_load_continue_identically(DreamerAgent& a, DreamerAgent& b) {
  a.train(chunk());
  torch::serialize::OutputArchive out;
  a.save(out);
  const auto path = test::scratch_dir() / "dreamer_agent.pt";
  out.save_to(path.string());
  torch::serialize::InputArchive in;
  in.load_from(path.string());
  b.load(in);
  EXPECT_EQ(a.train(chunk()), b.train(chunk()));
  a.reset();
  b.reset();
  const at::Tensor obs = torch::tensor({0.3f, -0.2f, 0.5f});
  EXPECT_TRUE(torch::equal(a.act(obs), b.act(obs)));
}

TEST_F(DreamerAgentTest, SaveAndLoadContinueIdentically) {
  expect_save_and_load_continue_identically(*agent(), *agent(5));
}

// The plan's choice is the argmax of R + w U over its candidates, and the weight's sign decides
// between the most and the least disagreeing candidate.
TEST_F(DreamerAgentTest, LatentUpMpcPicksTheBestScoringCandidate) {
  auto a = coplanner_agent(CoplannerOptions());
  for (int i = 0; i < 3; ++i) a->train(chunk());  // heads that have seen some data
  a->reset();
  a->act(torch::tensor({0.1f, 0.2f, 0.3f}));
  const LatentState start = repeat_rows(a->latent_state(), 5);  // N = 5 equal states
  const LatentUpMpc planner(UpMpcOptions().candidates(3).horizon(2));
  at::Generator gen = make_generator(7, torch::kCPU);
  const auto policy = [&](const at::Tensor& f) { return a->actor_critic().policy(f).rsample(gen); };
  const at::Tensor first = torch::rand({15, kAct}, gen) * 2 - 1;
  for (double w : {0.0, 1e6, -1e6, 0.7}) {
    const LatentPlan p =
        planner.plan(a->world_model(), *a->disagreement(), start, first, policy, w);
    EXPECT_SHAPE(p.candidate_return, {3, 5});
    EXPECT_TRUE((p.candidate_uncertainty > 0).all().item<bool>());
    const at::Tensor best = (p.candidate_return + w * p.candidate_uncertainty).argmax(0);
    EXPECT_TRUE(torch::equal(p.rows, best * 5 + torch::arange(5))) << w;
    const at::Tensor chosen = p.candidate_uncertainty.gather(0, best.unsqueeze(0)).squeeze(0);
    EXPECT_TRUE(torch::equal(p.planned_uncertainty, chosen));
    if (w > 1e5) {
      EXPECT_TRUE(torch::equal(chosen, p.candidate_uncertainty.amax(0)));
    }
    if (w < -1e5) {
      EXPECT_TRUE(torch::equal(chosen, p.candidate_uncertainty.amin(0)));
    }
  }
}

TEST_F(DreamerAgentTest, RepeatRowsIsCandidateMajor) {
  LatentState s;
  s.h = torch::arange(3, torch::kFloat32).unsqueeze(1);
  s.z = s.h * 10;
  s.memory.tensors = {s.h.unsqueeze(2) * 100};
  const LatentState r = repeat_rows(s, 2);
  EXPECT_TRUE(torch::equal(r.h.squeeze(1), torch::tensor({0.f, 1.f, 2.f, 0.f, 1.f, 2.f})));
  EXPECT_SHAPE(r.memory.tensors[0], {6, 1, 1});
  EXPECT_EQ(r.z[4].item<float>(), 10.f);
}

// One candidate and no weight: the optimistic action is the actor's own draw, bitwise.
TEST_F(DreamerAgentTest, OneCandidateWithoutWeightExploresAsTheActor) {
  auto plain = agent();
  auto planned = coplanner_agent(CoplannerOptions()
                                     .planner(UpMpcOptions().candidates(1).horizon(3))
                                     .optimistic_weight(0.0)
                                     .conservative_rollouts(false));
  plain->reset();
  planned->reset();
  const at::Tensor obs = torch::tensor({0.3f, -0.2f, 0.5f});
  EXPECT_TRUE(torch::equal(plain->act(obs), planned->act(obs)));
}

TEST_F(DreamerAgentTest, CoplannerTrainsTheDisagreementAndPlansImagination) {
  auto a = coplanner_agent(CoplannerOptions().planner(UpMpcOptions().candidates(3).horizon(2)));
  ASSERT_EQ(a->metric_names().size(), 12u);
  EXPECT_EQ(a->metric_names()[10], "disag_loss");
  EXPECT_EQ(a->metric_names()[11], "imag_plan_uncertainty");
  const at::Tensor probe_f = torch::randn({4, a->world_model().feature_size()});
  const at::Tensor probe_a = torch::zeros({4, kAct});
  const at::Tensor before = a->disagreement()->predict(probe_f, probe_a);
  const std::vector<double> m = a->train(chunk());
  ASSERT_EQ(m.size(), 12u);
  EXPECT_GT(m[10], 0.0);
  EXPECT_GT(m[11], 0.0);
  EXPECT_FALSE(torch::equal(before, a->disagreement()->predict(probe_f, probe_a)));
  // without the conservative half there is no imagination plan to report
  auto b = coplanner_agent(CoplannerOptions().conservative_rollouts(false));
  EXPECT_EQ(b->train(chunk())[11], 0.0);
}

TEST_F(DreamerAgentTest, CoplannerSaveAndLoadContinueIdentically) {
  const CoplannerOptions options =
      CoplannerOptions().planner(UpMpcOptions().candidates(2).horizon(2));
  expect_save_and_load_continue_identically(*coplanner_agent(options),
                                            *coplanner_agent(options, 5));
}

}  // namespace
}  // namespace mbrl

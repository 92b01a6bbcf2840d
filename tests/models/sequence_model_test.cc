// Tests for models/sequence/sequence_model.cc, sequence_model_learner.cc and
// models/prediction_errors.cc: the step form continues the parallel form, save/load, config
// errors, a memory the learner can fit, and the error tables against hand-computed ones.
#include "mbrl/models/sequence/sequence_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/core/data_parallel.h"
#include "mbrl/core/rng.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/envs/memory/delayed_recall.h"
#include "mbrl/models/model_env.h"
#include "mbrl/models/model_registry.h"
#include "mbrl/models/prediction_errors.h"
#include "mbrl/models/sequence/sequence_model_learner.h"
#include "tests/support/box_context.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/ranks.h"
#include "tests/support/tensor_matchers.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

constexpr int64_t kObs = 3, kAct = 2;
// updates of the slow recall test (see SequenceModelSlowTest)
constexpr int64_t kSlowGradientSteps = 2500;

BuildContext context(int64_t obs_dim = kObs, int64_t act_dim = kAct) {
  return test::box_context(obs_dim, act_dim);
}

std::shared_ptr<SequenceModel> make(const std::string& yaml, const BuildContext& ctx = context()) {
  torch::manual_seed(5);
  auto model = std::dynamic_pointer_cast<SequenceModel>(
      model_registry().create(load_config_string(yaml, "model.yaml"), ctx));
  EXPECT_NE(model, nullptr);
  return model;
}

std::string model_yaml(const std::string& backbone) {
  return "type: sequence_model\nhead_hidden_size: 16\nbackbone:\n" + backbone;
}

// random transitions [T, B] with episode starts at t = 0 and inside the window
SequenceBatch random_sequences(int64_t T, int64_t B) {
  SequenceBatch s;
  s.obs = torch::randn({T, B, kObs});
  s.act = torch::rand({T, B, kAct}) * 2 - 1;
  s.next_obs = torch::randn({T, B, kObs});
  s.reward = torch::randn({T, B});
  s.terminated = torch::zeros({T, B}, torch::kBool);
  s.truncated = torch::zeros({T, B}, torch::kBool);
  s.is_first = torch::zeros({T, B}, torch::kBool);
  s.is_first[0].fill_(true);
  s.is_first[5][1] = true;
  return s;
}

TransitionBatch rows(const SequenceBatch& s) {
  auto flat = [](const at::Tensor& t) { return t.flatten(0, 1); };
  return {flat(s.obs),    flat(s.act),        flat(s.next_obs),
          flat(s.reward), flat(s.terminated), flat(s.truncated)};
}

class SequenceModelTest : public test::MbrlTest,
                          public ::testing::WithParamInterface<std::string> {};

std::string backbone_yaml(const std::string& type) {
  if (type == "gru") return "  type: gru\n  hidden_size: 16\n  blocks: 2\n";
  if (type == "s4d") return "  type: s4d\n  d_model: 8\n  num_layers: 1\n  d_state: 4\n";
  if (type == "mamba") return "  type: mamba\n  d_model: 8\n  num_layers: 1\n  d_state: 4\n";
  return "  type: transformer\n  d_model: 8\n  num_layers: 1\n  num_heads: 2\n  context: 6\n";
}

TEST_P(SequenceModelTest, StepFormContinuesTheParallelForm) {
  auto model = make(model_yaml(backbone_yaml(GetParam())));
  const int64_t T = 12, B = 3;
  const SequenceBatch seq = random_sequences(T, B);
  model->fit_normalizers(rows(seq));
  torch::NoGradGuard no_grad;
  const SequencePrediction p = model->predict(seq.obs, seq.act, seq.is_first,
                                              model->backbone().initial_state(B, torch::kCPU));
  EXPECT_SHAPE(p.next_obs, {T, B, kObs});
  EXPECT_SHAPE(p.reward, {T, B});

  // the first 4 steps read as a history, then steps with the real observations fed in
  const int64_t C = 4;
  auto first = [&](const at::Tensor& t) { return t.narrow(0, 0, C); };
  SequenceBatch history{first(seq.obs),     first(seq.act),        first(seq.next_obs),
                        first(seq.reward),  first(seq.terminated), first(seq.truncated),
                        first(seq.is_first)};
  ModelState state = model->initial_state_after(history, RolloutSpec{});
  EXPECT_TENSOR_CLOSE(state.obs, seq.next_obs[C - 1]);
  auto gen = make_generator(0, torch::kCPU);
  for (int64_t t = C; t < T; ++t) {
    // the parallel form saw an episode start at t = 5 for sequence 1: start that row afresh
    if (t == 5) {
      const ModelState fresh = model->initial_state(seq.obs[t], RolloutSpec{}, gen);
      for (size_t i = 0; i < state.latent.size(); ++i) {
        state.latent[i][1] = fresh.latent[i][1];
      }
    }
    state.obs = seq.obs[t];
    const ModelStep step = model->step(state, seq.act[t], gen);
    EXPECT_TENSOR_CLOSE(step.next_obs, p.next_obs[t], 1e-4, 1e-4) << GetParam() << " t " << t;
    EXPECT_TENSOR_CLOSE(step.reward, p.reward[t], 1e-4, 1e-4) << GetParam() << " t " << t;
    state = step.state;
  }
}

TEST_P(SequenceModelTest, ModelEnvPlansFromTheMemoryOfTheRealEpisode) {
  auto model = make(model_yaml(backbone_yaml(GetParam())));
  const int64_t T = 6, P = 3, H = 4;
  const SequenceBatch seq = random_sequences(T, 2);
  model->fit_normalizers(rows(seq));
  ModelEnv env(ModelEnvOptions().particles(2), model, nullptr, make_generator(0, torch::kCPU));
  // an episode of real observations o_0..o_T-1 (sequence 0), the actions between them
  const at::Tensor obs = seq.obs.select(1, 0), act = seq.act.select(1, 0);
  const at::Tensor actions = torch::rand({1, P, H, kAct}) * 2 - 1;
  auto gen = make_generator(1, torch::kCPU);
  // summed predicted rewards of the candidates from `state` (one row, expanded to P)
  auto returns_from = [&](const ModelState& state) {
    ModelState s = state.select(torch::zeros({P}, torch::kInt64));
    at::Tensor sum = torch::zeros({P});
    for (int64_t h = 0; h < H; ++h) {
      ModelStep step = model->step(s, actions[0].select(1, h), gen);
      sum += step.reward;
      s = step.state;
    }
    return sum.unsqueeze(0);
  };

  env.begin_episode();
  for (int64_t t = 0; t + 1 < T; ++t) env.observe(obs[t], act[t], obs[t + 1]);
  const at::Tensor with_history = env.score(obs[T - 1].unsqueeze(0), actions);
  // the memory after reading the real transitions, as initial_state_after builds it
  auto past = [&](const at::Tensor& x) { return x.narrow(0, 0, T - 1).narrow(1, 0, 1); };
  SequenceBatch history{
      past(seq.obs),     past(seq.act),        obs.narrow(0, 1, T - 1).unsqueeze(1),
      past(seq.reward),  past(seq.terminated), past(seq.truncated),
      past(seq.is_first)};
  const ModelState after = model->initial_state_after(history, RolloutSpec{});
  EXPECT_TENSOR_CLOSE(with_history, returns_from(after), 1e-5, 1e-5) << GetParam();

  // from another observation, or after the episode ends, the rollout starts from a fresh memory
  const at::Tensor fresh = returns_from(model->initial_state(obs[T - 1].unsqueeze(0), {}, gen));
  EXPECT_GT((with_history - fresh).abs().max().item<double>(), 1e-4) << GetParam();
  const at::Tensor other = obs[T - 1] + 0.5;
  EXPECT_TENSOR_CLOSE(env.score(other.unsqueeze(0), actions),
                      returns_from(model->initial_state(other.unsqueeze(0), {}, gen)), 1e-5, 1e-5);
  env.begin_episode();
  EXPECT_TENSOR_CLOSE(env.score(obs[T - 1].unsqueeze(0), actions), fresh, 1e-5, 1e-5);
}

TEST_P(SequenceModelTest, DynaRolloutsContinueTheMemoryOfTheirRealHistory) {
  auto model = make(model_yaml(backbone_yaml(GetParam())));
  // two stored episodes of random observations: positions 0..6, then 7..12
  ReplayBuffer buffer(20, kObs, kAct);
  const at::Tensor obs = torch::randn({14, kObs}), act = torch::rand({13, kAct}) * 2 - 1;
  for (int64_t t = 0; t < 13; ++t) {
    if (t == 7) continue;  // obs[7] ends episode one; episode two starts at obs[8]
    buffer.add(obs[t], act[t], obs[t + 1], 0.1 * t, false, t == 6);
  }
  model->fit_normalizers(buffer.all());
  // a start whose history is padded (position 3), one whose history crosses into the previous
  // episode (position 9), and an episode's first step (position 7)
  const RolloutStart start = buffer.rollout_starts(torch::tensor({3, 9, 7}), 5);
  EXPECT_SHAPE(start.history.obs, {5, 3, kObs});
  EXPECT_TRUE(start.is_first.equal(torch::tensor({false, false, true})));
  ModelEnv env(ModelEnvOptions(), model, nullptr, make_generator(0, torch::kCPU));
  ModelState state = env.start(start);

  // each row's memory, as stepping the model through its own episode's transitions gives it
  auto gen = make_generator(1, torch::kCPU);
  auto after = [&](std::vector<int64_t> steps) {  // stored positions of the row's episode
    const at::Tensor first = buffer.at(torch::tensor({steps.empty() ? 0 : steps.front()})).obs;
    ModelState s = model->initial_state(first, {}, gen);
    for (int64_t p : steps) {
      const TransitionBatch t = buffer.at(torch::tensor({p}));
      s.obs = t.obs;
      s = model->step(s, t.act, gen).state;
    }
    return s;
  };
  std::vector<ModelState> expected{after({0, 1, 2}), after({7, 8}), after({})};
  const TransitionBatch at_start = buffer.at(torch::tensor({3, 9, 7}));
  EXPECT_TENSOR_CLOSE(state.obs, at_start.obs);

  // the memories predict alike (a Transformer's cache may keep masked-out entries, so the
  // predictions are compared, not the tensors), and ModelEnv::step carries them: three steps
  // equal the model stepped row by row from those memories
  const at::Tensor actions = torch::rand({3, 3, kAct}) * 2 - 1;
  for (int64_t h = 0; h < 3; ++h) {
    const ModelStepResult r = env.step(state, actions[h], /*with_uncertainty=*/false);
    for (int64_t row = 0; row < 3; ++row) {
      expected[row].obs = h == 0 ? at_start.obs.narrow(0, row, 1) : expected[row].obs;
      const ModelStep t = model->step(expected[row], actions[h].narrow(0, row, 1), gen);
      EXPECT_TENSOR_CLOSE(r.next_obs[row], t.next_obs[0], 1e-5, 1e-5) << GetParam() << " h " << h;
      EXPECT_TENSOR_CLOSE(r.reward[row], t.reward[0], 1e-5, 1e-5) << GetParam() << " h " << h;
      expected[row] = t.state;
    }
  }
  // the stateless step forgets: from a fresh memory the first step differs for the rows with a
  // history
  ModelState again = env.start(start);
  const at::Tensor remembered = env.step(again, actions[0], false).next_obs;
  const at::Tensor forgotten = env.step(at_start.obs, actions[0], false).next_obs;
  EXPECT_GT((remembered[0] - forgotten[0]).abs().max().item<double>(), 1e-4) << GetParam();
  EXPECT_TENSOR_CLOSE(remembered[2], forgotten[2], 1e-5, 1e-5) << GetParam();
}

TEST_P(SequenceModelTest, SaveLoadRoundTripAndArchitectureMismatchNamed) {
  auto a = make(model_yaml(backbone_yaml(GetParam())));
  const SequenceBatch seq = random_sequences(6, 2);
  a->fit_normalizers(rows(seq));
  const auto path = test::scratch_dir() / "sequence_model.pt";
  save_model(*a, path);
  torch::manual_seed(77);
  auto b = std::dynamic_pointer_cast<SequenceModel>(model_registry().create(
      load_config_string(model_yaml(backbone_yaml(GetParam())), "m.yaml"), context()));
  load_model(*b, path);
  torch::NoGradGuard no_grad;
  const auto s = a->backbone().initial_state(2, torch::kCPU);
  EXPECT_TENSOR_CLOSE(a->predict(seq.obs, seq.act, seq.is_first, s).next_obs,
                      b->predict(seq.obs, seq.act, seq.is_first, s).next_obs, 0, 0);
  const std::string other = GetParam() == "gru" ? "s4d" : "gru";
  auto c = make(model_yaml(backbone_yaml(other)));
  EXPECT_THROW_WITH(load_model(*c, path), DataError, "backbone");
}

INSTANTIATE_TEST_SUITE_P(Backbones, SequenceModelTest,
                         ::testing::Values("gru", "s4d", "mamba", "transformer"));

// Three predictors: three heads on one backbone, or a backbone of three members (three whole
// models, one head each). The parallel form predicts their mean; a rollout's propagation picks
// each row's predictor as an ensemble's members (ts_inf keeps row r on predictor
// r % particles % 3, expectation averages, ts1 deals every candidate's particles anew); the
// uncertainty is the predictors' spread.
class SequenceModelPredictorsTest : public test::MbrlTest,
                                    public ::testing::WithParamInterface<std::string> {};

std::string three_predictors_yaml(const std::string& kind) {
  if (kind == "heads")
    return "type: sequence_model\nhead_hidden_size: 16\nheads: 3\nbackbone:\n" +
           backbone_yaml("gru");
  return "type: sequence_model\nhead_hidden_size: 16\nbackbone:\n" + backbone_yaml("gru") +
         "  members: 3\n";
}

TEST_P(SequenceModelPredictorsTest, PropagationPicksEachRowsPredictorAndTheSpreadIsTheUncertainty) {
  auto model = make(three_predictors_yaml(GetParam()));
  EXPECT_EQ(model->predictors(), 3);
  const int64_t T = 6, N = 6;
  const SequenceBatch seq = random_sequences(T, N);
  model->fit_normalizers(rows(seq));
  auto gen = make_generator(0, torch::kCPU);
  const at::Tensor act = torch::rand({N, kAct}) * 2 - 1;

  // every head's prediction of every row, from one state
  const ModelState start =
      model->initial_state(seq.obs[0], RolloutSpec{Propagation::kExpectation, N, false}, gen);
  const UncertainModelStep all = model->step_with_uncertainty(start, act, gen);
  EXPECT_SHAPE(all.member_mean, {3, N, kObs + 1});
  EXPECT_FALSE(all.member_std.defined());
  const at::Tensor heads_next_obs = seq.obs[0] + all.member_mean.narrow(-1, 0, kObs);
  EXPECT_TENSOR_CLOSE(all.step.next_obs, heads_next_obs.mean(0), 1e-5, 1e-5);
  // the heads disagree, and the epistemic std is their population spread
  const at::Tensor spread = all.member_mean.var(0, /*unbiased=*/false).mean(-1).sqrt();
  EXPECT_GT(spread.min().item<double>(), 1e-4);
  EXPECT_TENSOR_CLOSE(all.uncertainty.epistemic_std, spread, 1e-5, 1e-5);
  // a deterministic head's sample is its mean: COPlanner's sample std is the heads' std
  EXPECT_TENSOR_CLOSE(all.uncertainty.sample_std,
                      all.member_mean.std(0, /*unbiased=*/false).mean(-1), 1e-5, 1e-5);

  // ts_inf with 2 particles per candidate: row r keeps head (r % 2) % 3 through the rollout
  ModelState s = model->initial_state(seq.obs[0], RolloutSpec{Propagation::kTsInf, 2, true}, gen);
  ASSERT_TRUE(s.member.defined());
  EXPECT_TRUE(s.member.equal(torch::tensor({0, 1, 0, 1, 0, 1})));
  const at::Tensor rows_index = torch::arange(N);
  for (int64_t t = 0; t < 3; ++t) {
    const UncertainModelStep u = model->step_with_uncertainty(s, act, gen);
    const at::Tensor own = s.obs + u.member_mean.index({s.member, rows_index}).narrow(-1, 0, kObs);
    EXPECT_TENSOR_CLOSE(u.step.next_obs, own, 1e-6, 1e-6) << "t " << t;
    EXPECT_TENSOR_CLOSE(model->step(s, act, gen).next_obs, own, 1e-6, 1e-6) << "t " << t;
    s = u.step.state;
    EXPECT_TRUE(s.member.equal(torch::tensor({0, 1, 0, 1, 0, 1})));
  }
  // ts1 draws a head per row each step: every row's prediction is one of the heads'
  ModelState d = model->initial_state(seq.obs[0], RolloutSpec{Propagation::kTs1, 3, true}, gen);
  EXPECT_FALSE(d.member.defined());
  const UncertainModelStep drawn = model->step_with_uncertainty(d, act, gen);
  const at::Tensor distance =
      (drawn.step.next_obs.unsqueeze(0) - heads_next_obs).abs().amax(-1);  // [3, N]
  EXPECT_LT(distance.amin(0).max().item<double>(), 1e-6);
  // step runs each row through its own head only (rows grouped by head), and draws the heads
  // step_with_uncertainty draws: the same outcome from the same generator state
  for (Propagation p : {Propagation::kTs1, Propagation::kRandomModel}) {
    const ModelState r = model->initial_state(seq.obs[0], RolloutSpec{p, 3, true}, gen);
    auto g1 = make_generator(5, torch::kCPU), g2 = make_generator(5, torch::kCPU);
    const ModelStep own = model->step(r, act, g1);
    const ModelStep ref = model->step_with_uncertainty(r, act, g2).step;
    EXPECT_TENSOR_CLOSE(own.next_obs, ref.next_obs, 1e-6, 1e-6) << propagation_name(p);
    EXPECT_TENSOR_CLOSE(own.reward, ref.reward, 1e-6, 1e-6) << propagation_name(p);
    EXPECT_FALSE(own.next_obs.equal(model->step_with_uncertainty(r, act, gen).step.next_obs));
  }

  // member samples: every head from a fresh memory, repeated
  const MemberSamples m = model->sample_members(seq.obs[0], act, 2, gen);
  EXPECT_SHAPE(m.next_obs, {2, 3, N, kObs});
  EXPECT_TENSOR_CLOSE(m.next_obs[1], heads_next_obs, 1e-6, 1e-6);
  EXPECT_TENSOR_CLOSE(m.reward[0], all.member_mean.select(-1, kObs), 1e-6, 1e-6);
  EXPECT_TRUE(m.rollout_members.equal(torch::arange(3)));

  // the parallel form predicts the heads' mean
  torch::NoGradGuard no_grad;
  const SequencePrediction p =
      model->predict(seq.obs.narrow(0, 0, 1), act.unsqueeze(0), at::Tensor(),
                     model->backbone().initial_state(N, torch::kCPU));
  EXPECT_TENSOR_CLOSE(p.next_obs[0], heads_next_obs.mean(0), 1e-5, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Kinds, SequenceModelPredictorsTest, ::testing::Values("heads", "members"));

// A backbone of three members: member m's prediction reads member m's backbone only, memory
// included (changing member 1's weights changes predictor 1 alone, after a history too).
TEST(SequenceModelMembersTest, EachPredictorReadsItsOwnMember) {
  auto model = make(three_predictors_yaml("members"));
  const int64_t T = 6, N = 4;
  const SequenceBatch seq = random_sequences(T, N);
  model->fit_normalizers(rows(seq));
  auto gen = make_generator(0, torch::kCPU);
  const at::Tensor act = torch::rand({N, kAct}) * 2 - 1;
  const RolloutSpec spec{Propagation::kExpectation, N, false};
  const auto predict = [&] {
    return model->step_with_uncertainty(model->initial_state_after(seq, spec), act, gen)
        .member_mean;
  };
  const at::Tensor before = predict();
  {
    torch::NoGradGuard no_grad;
    // member 1's blocks are [2, 4) of the GRU's 3 x 2 blocks
    // (noise: a scale or a shift of all of them the gates' LayerNorm would undo)
    at::Tensor w = model->backbone().named_parameters()["gates.weight"].narrow(0, 2, 2);
    w.add_(torch::randn_like(w));
  }
  const at::Tensor after = predict();
  EXPECT_TRUE(after[0].equal(before[0]));
  EXPECT_TRUE(after[2].equal(before[2]));
  EXPECT_GT((after[1] - before[1]).abs().max().item<double>(), 1e-4);
  // a trained model of members is saved and loaded whole; heads and members are exclusive
  const auto path = test::scratch_dir() / "members.pt";
  save_model(*model, path);
  auto copy = make(three_predictors_yaml("members"));
  load_model(*copy, path);
  EXPECT_TRUE(copy->step_with_uncertainty(copy->initial_state_after(seq, spec), act, gen)
                  .member_mean.equal(after));
  EXPECT_THROW_WITH(load_model(*make(three_predictors_yaml("heads")), path), DataError,
                    "architecture differs");
  EXPECT_THROW_WITH(
      make("type: sequence_model\nheads: 2\nbackbone:\n" + backbone_yaml("gru") + "  members: 3\n"),
      ConfigError, "heads");
}

TEST(SequenceModelHeadsTest, OneHeadReportsNoUncertaintyAndHeadsAreSaved) {
  auto one = make(model_yaml(backbone_yaml("gru")));
  EXPECT_EQ(uncertainty_aware(*one), nullptr);
  auto gen = make_generator(0, torch::kCPU);
  const ModelState s = one->initial_state(torch::zeros({2, kObs}), RolloutSpec{}, gen);
  EXPECT_THROW_WITH(one->step_with_uncertainty(s, torch::zeros({2, kAct}), gen), InvalidArgument,
                    "heads");
  EXPECT_THROW_WITH(one->sample_members(torch::zeros({2, kObs}), torch::zeros({2, kAct}), 1, gen),
                    InvalidArgument, "heads");
  EXPECT_THROW_WITH(make("type: sequence_model\nheads: 0\nbackbone:\n" + backbone_yaml("gru")),
                    ConfigError, "heads");
  // a model with 3 heads does not load into one with 1, and the message names the field
  auto three = make("type: sequence_model\nhead_hidden_size: 16\nheads: 3\nbackbone:\n" +
                    backbone_yaml("gru"));
  EXPECT_NE(uncertainty_aware(*three), nullptr);
  EXPECT_TRUE(ModelEnv(ModelEnvOptions(), three, nullptr, make_generator(0, torch::kCPU))
                  .has_uncertainty());
  EXPECT_FALSE(
      ModelEnv(ModelEnvOptions(), one, nullptr, make_generator(0, torch::kCPU)).has_uncertainty());
  const auto path = test::scratch_dir() / "three_heads.pt";
  save_model(*three, path);
  EXPECT_THROW_WITH(load_model(*one, path), DataError, "heads");
}

// Gaussian heads (probabilistic: true) learn the noise of the data: next_obs = obs + act_0 / 2
// + sigma_d eps with sigma = (0.1, 0.3, 0.6), reward = act_1 + 0.2 eps. Their std is the
// aleatoric term of the uncertainty, a step draws from it where the rollout samples, and member
// samples spread by it.
TEST(SequenceModelGaussianTest, HeadsLearnTheNoiseAndStepsDrawFromIt) {
  torch::manual_seed(0);
  const at::Tensor sigma = torch::tensor({0.1f, 0.3f, 0.6f, 0.2f});  // obs dims, then reward
  ReplayBuffer buffer(4000, kObs, kAct);
  for (int64_t e = 0; e < 80; ++e) {
    at::Tensor obs = torch::randn({kObs});
    for (int64_t t = 0; t < 50; ++t) {
      const at::Tensor act = torch::rand({kAct}) * 2 - 1;
      const at::Tensor noise = sigma * torch::randn({kObs + 1});
      const at::Tensor next = obs + act[0] / 2 + noise.narrow(0, 0, kObs);
      buffer.add(obs, act, next, (act[1] + noise[kObs]).item<double>(), false, t == 49);
      obs = next;
    }
  }
  const std::string yaml =
      "type: sequence_model\nhead_hidden_size: 32\nheads: 2\nprobabilistic: true\n"
      "backbone:\n  type: gru\n  hidden_size: 16\n  blocks: 1\n";
  auto model = make(yaml);
  auto gen = make_generator(1, torch::kCPU);
  SequenceModelLearner(
      SequenceModelLearnerOptions().gradient_steps(400).batch_size(32).sequence_length(8).lr(3e-3),
      model)
      .train(buffer, gen);

  // the heads' std, per target dimension, is the data's noise
  const int64_t N = 256;
  const at::Tensor obs = torch::randn({N, kObs}), act = torch::rand({N, kAct}) * 2 - 1;
  const RolloutSpec mean_spec{Propagation::kExpectation, N, false};
  const UncertainModelStep u =
      model->step_with_uncertainty(model->initial_state(obs, mean_spec, gen), act, gen);
  ASSERT_TRUE(u.member_std.defined());
  EXPECT_SHAPE(u.member_std, {2, N, kObs + 1});
  EXPECT_TENSOR_CLOSE(u.member_std.mean(std::vector<int64_t>{0, 1}), sigma, 0.15, 0.0);
  EXPECT_GT(u.uncertainty.aleatoric_max_norm.min().item<double>(), 0.5);
  EXPECT_SHAPE(u.uncertainty.log_likelihood_var, {N});
  // without sampling a step is the heads' mean; with it, draws around it by the heads' std
  EXPECT_TENSOR_CLOSE(u.step.next_obs, obs + u.member_mean.mean(0).narrow(-1, 0, kObs), 1e-5, 1e-5);
  const at::Tensor one_obs = obs.narrow(0, 0, 1).expand({4000, kObs}).contiguous();
  const at::Tensor one_act = act.narrow(0, 0, 1).expand({4000, kAct}).contiguous();
  const RolloutSpec sample_spec{Propagation::kExpectation, 4000, true};
  const ModelStep drawn =
      model->step(model->initial_state(one_obs, sample_spec, gen), one_act, gen);
  const UncertainModelStep at_one = model->step_with_uncertainty(
      model->initial_state(one_obs.narrow(0, 0, 1), mean_spec, gen), one_act.narrow(0, 0, 1), gen);
  // expectation: one Gaussian with the heads' mean of mean and of log-variance
  const at::Tensor mean_std = (at_one.member_std.log().mean(0)).exp()[0].narrow(0, 0, kObs);
  EXPECT_TENSOR_CLOSE(drawn.next_obs.std(0), mean_std, 0.05, 0.0);
  EXPECT_TENSOR_CLOSE(drawn.next_obs.mean(0), at_one.step.next_obs[0], 0.0, 0.05);
  // member samples: S draws of every head
  const MemberSamples m = model->sample_members(obs, act, 2000, gen);
  EXPECT_SHAPE(m.next_obs, {2000, 2, N, kObs});
  EXPECT_TENSOR_CLOSE(m.next_obs.std(0).mean(std::vector<int64_t>{0, 1}), sigma.narrow(0, 0, kObs),
                      0.15, 0.0);
  EXPECT_TENSOR_CLOSE(m.reward.std(0).mean(), sigma[kObs], 0.15, 0.0);

  // a deterministic model has no member_std; the two kinds do not load into each other
  auto point = make(model_yaml(backbone_yaml("gru")) + "heads: 2\n");
  EXPECT_FALSE(point->step_with_uncertainty(point->initial_state(obs, mean_spec, gen), act, gen)
                   .member_std.defined());
  // one Gaussian head: no disagreement, but its aleatoric term
  auto single =
      make("type: sequence_model\nprobabilistic: true\nbackbone:\n" + backbone_yaml("gru"));
  ASSERT_NE(uncertainty_aware(*single), nullptr);
  single->fit_normalizers(buffer.all());
  const Uncertainty alone =
      single->step_with_uncertainty(single->initial_state(obs, mean_spec, gen), act, gen)
          .uncertainty;
  EXPECT_EQ(alone.epistemic_std.abs().max().item<double>(), 0.0);
  EXPECT_GT(alone.aleatoric_max_norm.min().item<double>(), 0.0);
  const auto path = test::scratch_dir() / "gaussian.pt";
  save_model(*model, path);
  EXPECT_THROW_WITH(load_model(*make(yaml + "max_logvar: 1.0\n"), path), DataError,
                    "logvar_bounds");
  EXPECT_THROW_WITH(make(yaml + "min_logvar: 1.0\n"), ConfigError, "min_logvar");
  EXPECT_THROW_WITH(make(yaml + "nll_beta: 2.0\n"), ConfigError, "nll_beta");
  EXPECT_THROW_WITH(make(model_yaml(backbone_yaml("gru")) + "nll_beta: 0.5\n"), ConfigError,
                    "probabilistic");
}

TEST(SequenceModelConfigTest, BadSectionsAreConfigErrorsNamingTheKey) {
  EXPECT_THROW_WITH(make("type: sequence_model\n"), ConfigError, "backbone");
  EXPECT_THROW_WITH(make(model_yaml("  type: lstm\n")), ConfigError, "lstm");
  EXPECT_THROW_WITH(make("type: sequence_model\nhead_layers: -1\nbackbone:\n  type: gru\n"),
                    ConfigError, "head_layers");
  EXPECT_THROW_WITH(make(model_yaml("  type: gru\n  hidden_size: 0\n")), ConfigError,
                    "hidden_size");
  auto model = make(model_yaml(backbone_yaml("gru")));
  EXPECT_THROW_WITH(SequenceModelLearner(SequenceModelLearnerOptions().sequence_length(0), model),
                    InvalidArgument, "sequence_length");
}

// A delay of 3 steps: the reward at the recall step needs the cue, 3 steps back. A learner that
// fits the memory explains far more of that reward than the chance level 1/num_cues = 0.25.
// Two ranks, each computing the loss of its columns of every batch of sequences and summing
// gradients before clipping, reach the weights one process reaches on the whole batches.
TEST(SequenceModelLearnerTest, DataParallelRanksTrainAsOneProcess) {
  DelayedRecallEnv env(DelayedRecallOptions().delay(3).num_cues(4), 1);
  ReplayBuffer buffer(2000, env.spec().obs_dim(), env.spec().act_dim());
  auto episodes_gen = make_generator(3, torch::kCPU);
  for (int e = 0; e < 200; ++e) {
    at::Tensor obs = env.reset();
    for (bool done = false; !done;) {
      const at::Tensor act = torch::rand({4}, episodes_gen) * 2 - 1;
      StepResult r = env.step(act);
      buffer.add(obs, act, r.obs, r.reward, r.terminated, r.truncated);
      obs = r.obs;
      done = r.terminated;
    }
  }
  const BuildContext ctx = context(env.spec().obs_dim(), env.spec().act_dim());
  const std::string yaml = model_yaml("  type: gru\n  hidden_size: 16\n  blocks: 1\n");
  // 9 sequences a batch: shards of 4 and 5
  const auto options =
      SequenceModelLearnerOptions().gradient_steps(20).batch_size(9).sequence_length(6).lr(3e-3);
  auto one = make(yaml, ctx);
  auto gen = make_generator(7, torch::kCPU);
  const ModelTrainResult alone = SequenceModelLearner(options, one).train(buffer, gen);

  std::vector<std::shared_ptr<SequenceModel>> models{make(yaml, ctx), make(yaml, ctx)};
  std::vector<ModelTrainResult> results(2);
  test::on_ranks(2, [&](DataParallel& group) {
    SequenceModelLearner learner(options, models[group.rank()]);
    EXPECT_TRUE(learner.set_data_parallel(std::shared_ptr<DataParallel>(&group, [](auto*) {})));
    auto rank_gen = make_generator(7, torch::kCPU);
    results[group.rank()] = learner.train(buffer, rank_gen);
  });
  EXPECT_EQ(results[0].train_loss, results[1].train_loss);
  EXPECT_NEAR(results[0].train_loss.at(0), alone.train_loss.at(0),
              1e-4 * std::abs(alone.train_loss.at(0)));
  auto p1 = models[1]->named_parameters(), p_alone = one->named_parameters();
  for (const auto& p : models[0]->named_parameters()) {
    EXPECT_TRUE(torch::equal(p.value(), p1[p.key()])) << p.key();
    EXPECT_TENSOR_CLOSE(p.value(), p_alone[p.key()], 1e-4, 1e-5) << p.key();
  }
}

// Burn-in: the first steps of each training sequence feed the memory, and the loss is the mean
// over the other steps. One update equals a hand-made Adam step on the same sequences with the
// burn-in steps weighted 0 and the rest T / (T - burn_in).
TEST(SequenceModelLearnerTest, BurnInStepsFeedTheMemoryButAddNoLoss) {
  torch::manual_seed(1);
  ReplayBuffer buffer(400, kObs, kAct);
  for (int64_t i = 0; i < 400; ++i) {
    buffer.add(torch::randn({kObs}), torch::rand({kAct}) * 2 - 1, torch::randn({kObs}),
               torch::randn({}).item<double>(), false, (i + 1) % 20 == 0);
  }
  const std::string yaml = model_yaml(backbone_yaml("gru"));
  auto learned = make(yaml), by_hand = make(yaml), plain = make(yaml);
  const auto options =
      SequenceModelLearnerOptions().gradient_steps(1).batch_size(6).sequence_length(8).lr(1e-2);
  auto gen = make_generator(3, torch::kCPU);
  SequenceModelLearner(SequenceModelLearnerOptions(options).burn_in(5), learned).train(buffer, gen);
  auto plain_gen = make_generator(3, torch::kCPU);
  SequenceModelLearner(options, plain).train(buffer, plain_gen);

  auto hand_gen = make_generator(3, torch::kCPU);
  by_hand->train();
  by_hand->fit_normalizers(buffer.all());
  const SequenceBatch batch = buffer.sequences_at(buffer.sample_sequence_starts(6, 8, hand_gen), 8);
  at::Tensor weights = torch::zeros({1, 8, 6});
  weights.narrow(1, 5, 3).fill_(8.0 / 3.0);
  torch::optim::Adam adam(by_hand->parameters(), torch::optim::AdamOptions(1e-2));
  adam.zero_grad();
  by_hand->sequence_loss(batch, weights).at("loss").backward();
  torch::nn::utils::clip_grad_norm_(by_hand->parameters(), 100.0);
  adam.step();
  auto hand = by_hand->named_parameters(), without = plain->named_parameters();
  bool differs = false;
  for (const auto& p : learned->named_parameters()) {
    EXPECT_TENSOR_CLOSE(p.value(), hand[p.key()], 1e-5, 1e-6) << p.key();
    differs = differs || !torch::allclose(p.value(), without[p.key()]);
  }
  EXPECT_TRUE(differs) << "the burn-in changed nothing";
  EXPECT_THROW_WITH(SequenceModelLearner(SequenceModelLearnerOptions(options).burn_in(8), learned),
                    InvalidArgument, "burn_in");
}

TEST(SequenceModelLearnerTest, LearnsToRecallACueAcrossEpisodes) {
  torch::manual_seed(0);
  DelayedRecallEnv env(DelayedRecallOptions().delay(3).num_cues(4), 1);
  ReplayBuffer buffer(20000, env.spec().obs_dim(), env.spec().act_dim());
  ReplayBuffer held_out(400, env.spec().obs_dim(), env.spec().act_dim());
  auto gen = make_generator(3, torch::kCPU);
  for (int e = 0; e < 2100; ++e) {
    at::Tensor obs = env.reset();
    for (bool done = false; !done;) {
      const at::Tensor act = torch::rand({4}, gen) * 2 - 1;
      StepResult r = env.step(act);
      (e < 2000 ? buffer : held_out).add(obs, act, r.obs, r.reward, r.terminated, r.truncated);
      obs = r.obs;
      done = r.terminated;
    }
  }
  auto model = make(model_yaml("  type: gru\n  hidden_size: 32\n  blocks: 1\n"),
                    context(env.spec().obs_dim(), env.spec().act_dim()));
  SequenceModelLearner learner(
      SequenceModelLearnerOptions().gradient_steps(600).batch_size(16).sequence_length(8).lr(3e-3),
      model);
  const ModelTrainResult result = learner.train(buffer, gen);
  EXPECT_EQ(result.gradient_steps, 600);
  EXPECT_EQ(learner.total_gradient_steps(), 600);
  ASSERT_EQ(result.train_loss.size(), 1u);

  // the 100 held-out episodes as [4, 100] sequences from their first step
  const SequenceBatch episodes = held_out.sequences_at(torch::arange(100) * 4, 4);
  const PredictionErrors one = one_step_errors(*model, episodes, gen);
  const PredictionErrors open = open_loop_errors(*model, episodes, 1, gen);
  EXPECT_GT(one.final_reward_r2, 0.7);
  EXPECT_GT(open.final_reward_r2, 0.7);
  EXPECT_SHAPE(one.obs_mse, {4});
  EXPECT_SHAPE(open.obs_mse, {3});
  EXPECT_SHAPE(open.reward_mse, {3});

  // the learner's state round-trips
  torch::serialize::OutputArchive out;
  learner.save(out);
  std::stringstream buffer_bytes;
  out.save_to(buffer_bytes);
  SequenceModelLearner restored(SequenceModelLearnerOptions(), model);
  torch::serialize::InputArchive in;
  in.load_from(buffer_bytes);
  restored.load(in);
  EXPECT_EQ(restored.total_gradient_steps(), 600);
}

// The S4WM-style memory check of issue 12: with a delay of 50 steps, GRU, S4D and Mamba world
// models trained on random-action episodes predict the recalled reward far better than chance
// (R^2 = 1/num_cues = 0.25 for a model without memory). A few minutes in all (label slow).
class SequenceModelSlowTest : public test::MbrlTest,
                              public ::testing::WithParamInterface<std::string> {};

TEST_P(SequenceModelSlowTest, RecallsACueFiftyStepsLater) {
  DelayedRecallEnv env(DelayedRecallOptions().delay(50).num_cues(4), 11);
  const int64_t train_episodes = 3000, eval_episodes = 100, L = 51;
  ReplayBuffer buffer(train_episodes * L, env.spec().obs_dim(), env.spec().act_dim());
  ReplayBuffer held_out(eval_episodes * L, env.spec().obs_dim(), env.spec().act_dim());
  auto gen = make_generator(7, torch::kCPU);
  for (int64_t e = 0; e < train_episodes + eval_episodes; ++e) {
    at::Tensor obs = env.reset();
    for (bool done = false; !done;) {
      const at::Tensor act = torch::rand({4}, gen) * 2 - 1;
      StepResult r = env.step(act);
      (e < train_episodes ? buffer : held_out)
          .add(obs, act, r.obs, r.reward, r.terminated, r.truncated);
      obs = r.obs;
      done = r.terminated;
    }
  }
  std::string backbone = backbone_yaml(GetParam());
  if (GetParam() == "gru") backbone = "  type: gru\n  hidden_size: 128\n  blocks: 1\n";
  if (GetParam() == "s4d")
    backbone = "  type: s4d\n  d_model: 64\n  num_layers: 2\n  d_state: 32\n";
  if (GetParam() == "mamba")
    backbone = "  type: mamba\n  d_model: 32\n  num_layers: 2\n  d_state: 8\n";
  auto model = make("type: sequence_model\nhead_hidden_size: 128\nbackbone:\n" + backbone,
                    context(env.spec().obs_dim(), env.spec().act_dim()));
  SequenceModelLearner learner(SequenceModelLearnerOptions()
                                   .gradient_steps(kSlowGradientSteps)
                                   .batch_size(16)
                                   .sequence_length(100)
                                   .lr(3e-3),
                               model);
  learner.train(buffer, gen);

  const SequenceBatch episodes = held_out.sequences_at(torch::arange(eval_episodes) * L, L);
  const PredictionErrors one = one_step_errors(*model, episodes, gen);
  EXPECT_GT(one.final_reward_r2, 0.6) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Backbones, SequenceModelSlowTest, ::testing::Values("gru", "s4d"));

TEST(PredictionErrorsTest, OneStepAndOpenLoopErrorsAgainstHandComputedOnes) {
  auto model = make(model_yaml(backbone_yaml("gru")));
  const int64_t T = 7, B = 4;
  SequenceBatch seq = random_sequences(T, B);
  seq.is_first.zero_();
  seq.is_first[0].fill_(true);
  model->fit_normalizers(rows(seq));
  auto gen = make_generator(0, torch::kCPU);
  torch::NoGradGuard no_grad;
  const SequencePrediction p = model->predict(seq.obs, seq.act, seq.is_first,
                                              model->backbone().initial_state(B, torch::kCPU));
  const PredictionErrors one = one_step_errors(*model, seq, gen);
  EXPECT_TENSOR_CLOSE(one.obs_mse.to(torch::kFloat),
                      (p.next_obs - seq.next_obs).square().mean({1, 2}), 1e-5, 1e-6);
  EXPECT_TENSOR_CLOSE(one.reward_mse.to(torch::kFloat), (p.reward - seq.reward).square().mean(1),
                      1e-5, 1e-6);
  const at::Tensor last = seq.reward[T - 1];
  EXPECT_NEAR(one.final_reward_r2,
              1.0 - (p.reward[T - 1] - last).square().mean().item<double>() /
                        last.var(/*unbiased=*/false).item<double>(),
              1e-4);

  // open loop after 2 real steps: the model's own next_obs fed back
  ModelState state = model->initial_state_after(
      {seq.obs.narrow(0, 0, 2), seq.act.narrow(0, 0, 2), seq.next_obs.narrow(0, 0, 2),
       seq.reward.narrow(0, 0, 2), seq.terminated.narrow(0, 0, 2), seq.truncated.narrow(0, 0, 2),
       seq.is_first.narrow(0, 0, 2)},
      RolloutSpec{});
  std::vector<double> expected;
  for (int64_t t = 2; t < T; ++t) {
    ModelStep step = model->step(state, seq.act[t], gen);
    expected.push_back((step.next_obs - seq.next_obs[t]).square().mean().item<double>());
    state = step.state;
  }
  const PredictionErrors open = open_loop_errors(*model, seq, 2, gen);
  ASSERT_EQ(open.obs_mse.size(0), T - 2);
  for (int64_t k = 0; k < T - 2; ++k) {
    EXPECT_NEAR(open.obs_mse[k].item<double>(), expected[static_cast<size_t>(k)], 1e-5) << k;
  }
  EXPECT_THROW_WITH(open_loop_errors(*model, seq, T, gen), InvalidArgument, "context");
}

}  // namespace
}  // namespace mbrl

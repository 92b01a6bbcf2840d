// Tests for algorithms/mbpo.cc and mbpo_io.cc: a tiny MBPO on the built-in Pendulum, run as
// `mbrl train` runs it (Experiment), with known numbers for the rollout schedule and buffer.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/agents/sac_agent.h"
#include "mbrl/algorithms/experiment.h"
#include "mbrl/algorithms/mbpo.h"
#include "mbrl/config/loader.h"
#include "mbrl/core/error.h"
#include "tests/support/csv.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

// 300 steps of 50-step episodes: 100 random steps, then the model is trained every 50 steps
// (at 100, 150, ..., 300) and 20 start states are rolled out; epochs of 100 steps
const std::string kTinyHead = R"(
seed: 0
threads: 1
env: {type: pendulum, max_episode_steps: 50}
)";
const std::string kTinyModel = R"(
model:
  type: gaussian_mlp_ensemble
  ensemble_size: 3
  num_elites: 2
  num_layers: 2
  hidden_size: 16
  learn_reward: true
)";
const std::string kTinyAgent = "agent: {type: sac, hidden_size: 16, batch_size: 32}\n";
const std::string kTinyAlgorithm = R"(
algorithm:
  type: mbpo
  num_steps: 300
  epoch_length: 100
  initial_random_steps: 100
  model_train_freq: 50
  rollout_batch_size: 20
  rollout_schedule: [1, 3, 1, 3]
  real_ratio: 0.25
  sac_updates_per_step: 2
  eval_every: 100
  eval_episodes: 1
  checkpoint_every: 0
  model_training: {num_epochs: 3, batch_size: 32}
)";
const std::string kTinyMbpo = kTinyHead + kTinyModel + kTinyAgent + kTinyAlgorithm;

class MbpoTest : public test::MbrlTest {};

using test::Csv;
using test::read_csv;

// the file without its wall-time columns (elapsed_s and every other *_s)
std::vector<std::vector<std::string>> without_times(const Csv& csv) {
  std::vector<std::vector<std::string>> out;
  for (const auto& row : csv.rows) {
    std::vector<std::string> kept;
    for (size_t c = 0; c < csv.header.size(); ++c) {
      if (!test::is_time_column(csv.header[c])) kept.push_back(row.at(c));
    }
    out.push_back(kept);
  }
  return out;
}

RunDir run_tiny(const std::vector<std::string>& overrides = {}, const std::string& sub = "run",
                const std::string& yaml = kTinyMbpo) {
  static const fs::path root = test::scratch_dir();  // scratch_dir() empties the folder
  Experiment e(load_config_string(yaml, "mbpo.yaml", overrides), "mbpo");
  RunDir dir = e.create_run_dir(
      root /
      (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" + sub));
  e.run(dir);
  return dir;
}

TEST_F(MbpoTest, RunsAndWritesEpisodeModelAndEvalMetrics) {
  RunDir dir = run_tiny();
  Csv episodes = read_csv(dir.path() / "metrics.csv");
  ASSERT_EQ(episodes.rows.size(), 6u);
  EXPECT_EQ(episodes.column(5, "env_steps"), "300");
  EXPECT_EQ(episodes.column(0, "critic_loss"), "");  // random steps: no updates yet
  EXPECT_NE(episodes.column(2, "critic_loss"), "");  // updates from step 100 on
  Csv model = read_csv(dir.path() / "model.csv");
  ASSERT_EQ(model.rows.size(), 5u);  // trainings at 100, 150, 200, 250, 300
  EXPECT_EQ(model.column(0, "env_steps"), "100");
  EXPECT_EQ(model.column(4, "env_steps"), "300");
  for (const char* c : {"model_train_loss", "model_holdout_score", "rollout_reward",
                        "rollout_epistemic_std", "model_train_s", "rollout_s", "sac_update_s"}) {
    EXPECT_NE(model.column(4, c), "") << c;
  }
  EXPECT_EQ(model.column(0, "model_epochs"), "3");
  EXPECT_EQ(model.column(4, "rollout_terminated"), "0");  // Pendulum never terminates
  Csv eval = read_csv(dir.path() / "eval.csv");
  ASSERT_EQ(eval.rows.size(), 3u);
  EXPECT_EQ(eval.column(2, "env_steps"), "300");
  EXPECT_TRUE(fs::exists(dir.path() / "model_train.csv"));
  EXPECT_TRUE(fs::exists(dir.path() / "agent.pt"));
  EXPECT_TRUE(fs::exists(dir.path() / "checkpoints" / "checkpoint.pt"));  // the final one
}

TEST_F(MbpoTest, RolloutLengthAndModelBufferFollowTheSchedule) {
  RunDir dir = run_tiny();
  Csv model = read_csv(dir.path() / "model.csv");
  ASSERT_EQ(model.rows.size(), 5u);
  // epoch = (t - 100) / 100 from 0 (jannerm/mbpo); k from [1, 3, 1, 3]: 1 up to epoch 1, 2 at
  // epoch 2; capacity = 1 * 20 * k * (100 / 50)
  const std::vector<std::string> epoch{"0", "0", "1", "1", "2"}, k{"1", "1", "1", "1", "2"},
      capacity{"40", "40", "40", "40", "80"}, transitions{"20", "20", "20", "20", "40"},
      // the buffer keeps the newest rollouts: 20, 40, full, full, then 40 kept + 40 new
      size{"20", "40", "40", "40", "80"};
  for (size_t r = 0; r < 5; ++r) {
    EXPECT_EQ(model.column(r, "epoch"), epoch[r]) << r;
    EXPECT_EQ(model.column(r, "rollout_length"), k[r]) << r;
    EXPECT_EQ(model.column(r, "model_buffer_capacity"), capacity[r]) << r;
    EXPECT_EQ(model.column(r, "rollout_transitions"), transitions[r]) << r;
    EXPECT_EQ(model.column(r, "model_buffer_size"), size[r]) << r;
  }
}

TEST_F(MbpoTest, ModelBufferCapacityFormula) {
  // MBPO's pool: retain_epochs * rollout_batch * k * (epoch_length / model_train_freq)
  MbpoOptions o;
  o.model_retain_epochs(1).rollout_batch_size(100000).epoch_length(1000).model_train_freq(250);
  EXPECT_EQ(Mbpo::model_buffer_capacity(o, 1), 400000);
  EXPECT_EQ(Mbpo::model_buffer_capacity(o, 15), 6000000);
  o.model_retain_epochs(5).model_train_freq(1000);
  EXPECT_EQ(Mbpo::model_buffer_capacity(o, 2), 1000000);
  o.model_retain_epochs(1).model_train_freq(2000);  // at least one rollout batch per epoch
  EXPECT_EQ(Mbpo::model_buffer_capacity(o, 1), 100000);
}

TEST_F(MbpoTest, SameSeedSameMetrics) {
  RunDir a = run_tiny({}, "a"), b = run_tiny({}, "b");
  for (const char* f : {"metrics.csv", "model.csv", "eval.csv"}) {
    EXPECT_EQ(without_times(read_csv(a.path() / f)), without_times(read_csv(b.path() / f))) << f;
  }
  RunDir c = run_tiny({"seed=1"}, "c");
  EXPECT_NE(without_times(read_csv(a.path() / "metrics.csv")),
            without_times(read_csv(c.path() / "metrics.csv")));
}

TEST_F(MbpoTest, EffectiveRolloutsPerStepSetsTheBatch) {
  std::string yaml = kTinyMbpo;
  yaml.replace(yaml.find("rollout_batch_size: 20"), 22, "effective_model_rollouts_per_step: 2");
  RunDir dir = run_tiny({"algorithm.num_steps=100"}, "run", yaml);
  Csv model = read_csv(dir.path() / "model.csv");
  ASSERT_EQ(model.rows.size(), 1u);
  EXPECT_EQ(model.column(0, "rollout_transitions"), "100");  // 2 * model_train_freq 50
}

TEST_F(MbpoTest, BadOptionsNameTheKey) {
  auto build = [](const std::vector<std::string>& overrides) {
    Experiment e(load_config_string(kTinyMbpo, "mbpo.yaml", overrides), "mbpo");
  };
  EXPECT_THROW_WITH(build({"algorithm.real_ratio=1.5"}), Error, "algorithm.real_ratio");
  EXPECT_THROW_WITH(build({"algorithm.model_train_freq=0"}), Error, "algorithm.model_train_freq");
  EXPECT_THROW_WITH(build({"algorithm.rollout_schedule=[1, 2, 3]"}), Error, "rollout_schedule");
  EXPECT_THROW_WITH(build({"algorithm.rollout_schedule=[5, 2, 1, 3]"}), Error,
                    "min_epoch < max_epoch");
  EXPECT_THROW_WITH(build({"algorithm.sac_updates_per_step=-1"}), Error,
                    "algorithm.sac_updates_per_step");
  EXPECT_THROW_WITH(build({"algorithm.effective_model_rollouts_per_step=4"}), Error, "not both");
  EXPECT_THROW_WITH(build({"algorithm.rollout_length=4"}), Error,
                    "algorithm.rollout_length: unknown key");
  EXPECT_THROW_WITH(build({"algorithm.model_training.lr=-1"}), Error, "lr");
  EXPECT_THROW_WITH(build({"algorithm.rollout_history=-1"}), Error, "algorithm.rollout_history");
  EXPECT_THROW_WITH(build({"algorithm.rollout_history=8"}), Error,
                    "algorithm.rollout_history: model 'gaussian_mlp_ensemble' has no memory");
}

// MBPO on a GRU sequence model: rollouts that start from the memory of the real history before
// each start state (rollout_history) predict other transitions than rollouts from a fresh memory,
// and both runs are the same up to the first rollout
TEST_F(MbpoTest, SequenceModelRolloutsContinueTheMemoryOfTheRealHistory) {
  std::string algorithm = kTinyAlgorithm;
  const std::string ensemble_training = "model_training: {num_epochs: 3, batch_size: 32}";
  algorithm.replace(algorithm.find(ensemble_training), ensemble_training.size(),
                    "model_training: {gradient_steps: 20, batch_size: 4, sequence_length: 16}\n"
                    "  rollout_uncertainty: false");
  const std::string gru = kTinyHead + R"(
model:
  type: sequence_model
  head_hidden_size: 16
  backbone: {type: gru, hidden_size: 16, blocks: 1}
)" + kTinyAgent + algorithm;
  auto with = [&](const std::string& history) {
    const std::vector<std::string> o = {"algorithm.num_steps=150",
                                        "algorithm.rollout_history=" + history};
    return read_csv(run_tiny(o, "history_" + history, gru).path() / "model.csv");
  };
  const Csv fresh = with("0"), remembered = with("10");
  ASSERT_GE(fresh.rows.size(), 1u);
  ASSERT_EQ(remembered.rows.size(), fresh.rows.size());
  // the same data and model up to the first rollout, then other rollouts
  EXPECT_EQ(fresh.column(0, "model_train_loss"), remembered.column(0, "model_train_loss"));
  for (size_t r = 0; r < fresh.rows.size(); ++r) {
    EXPECT_EQ(remembered.column(r, "rollout_transitions"), "20") << r;
    EXPECT_NE(fresh.column(r, "rollout_reward"), remembered.column(r, "rollout_reward")) << r;
  }
}

TEST_F(MbpoTest, NeedsASacAgentAndARewardModel) {
  auto build = [](const std::string& yaml) {
    Experiment e(load_config_string(yaml, "mbpo.yaml"), "mbpo");
  };
  EXPECT_THROW_WITH(build(kTinyHead + kTinyModel + "agent: {type: random}\n" + kTinyAlgorithm),
                    Error, "needs an agent that learns from transition batches");
  std::string no_reward = kTinyMbpo;
  no_reward.replace(no_reward.find("learn_reward: true"), 18, "learn_reward: false");
  EXPECT_THROW_WITH(build(no_reward), Error, "learn_reward: true");
  EXPECT_THROW_WITH(build(kTinyHead + kTinyAgent + kTinyAlgorithm), Error,
                    "needs a 'model' section");
}

TEST_F(MbpoTest, VagramTrainsTheModelOnTheCriticsValueGradients) {
  // same data, same initial model: the two losses differ only by the value-gradient weights
  const Csv vagram = read_csv(run_tiny({"model.loss=vagram"}, "vagram").path() / "model.csv");
  const Csv mse = read_csv(run_tiny({"model.loss=mse"}, "mse").path() / "model.csv");
  ASSERT_EQ(vagram.rows.size(), 5u);
  EXPECT_NE(vagram.column(0, "model_train_loss"), mse.column(0, "model_train_loss"));
  for (size_t r = 0; r < vagram.rows.size(); ++r) {
    EXPECT_GT(std::stod(vagram.column(r, "model_holdout_score")), 0.0) << r;
  }
}

const std::vector<std::string> kTinyCoplanner{"algorithm.coplanner.candidates=3",
                                              "algorithm.coplanner.horizon=2"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST_F(MbpoTest, CoplannerPlansRolloutsAndExplorationAndLogsThem) {
  RunDir dir = run_tiny(kTinyCoplanner);
  Csv model = read_csv(dir.path() / "model.csv");
  ASSERT_EQ(model.rows.size(), 5u);
  for (size_t r = 0; r < 5; ++r) {
    EXPECT_GT(std::stod(model.column(r, "coplanner_rollout_uncertainty")), 0.0) << r;
    EXPECT_NE(model.column(r, "coplanner_rollout_return"), "") << r;
  }
  // the first model is trained after the random steps: no optimistic plan before the first row,
  // one per env step (50) before each later one
  EXPECT_EQ(model.column(0, "coplanner_explore_uncertainty"), "");
  EXPECT_GT(std::stod(model.column(1, "coplanner_explore_uncertainty")), 0.0);
  EXPECT_GT(std::stod(model.column(1, "coplanner_explore_s")), 0.0);
  // plain MBPO has no COPlanner columns
  Csv plain = read_csv(run_tiny({}, "plain").path() / "model.csv");
  EXPECT_EQ(plain.header.size() + 4, model.header.size());
}

// Each half of COPlanner changes what MBPO does, and with both switched off it is MBPO exactly.
TEST_F(MbpoTest, CoplannerHalvesSwitchOffToPlainMbpo) {
  const auto episodes = [](const RunDir& d) {
    return without_times(read_csv(d.path() / "metrics.csv"));
  };
  const auto rollouts = [](const RunDir& d) {
    Csv model = read_csv(d.path() / "model.csv");
    std::vector<std::string> rewards;
    for (size_t r = 0; r < model.rows.size(); ++r)
      rewards.push_back(model.column(r, "rollout_reward"));
    return rewards;
  };
  RunDir plain = run_tiny({}, "plain");
  RunDir off = run_tiny(with(kTinyCoplanner, {"algorithm.coplanner.conservative_rollouts=false",
                                              "algorithm.coplanner.optimistic_exploration=false"}),
                        "off");
  EXPECT_EQ(episodes(plain), episodes(off));
  EXPECT_EQ(rollouts(plain), rollouts(off));

  RunDir explore = run_tiny(
      with(kTinyCoplanner, {"algorithm.coplanner.conservative_rollouts=false"}), "explore");
  const auto plain_episodes = episodes(plain), explore_episodes = episodes(explore);
  // the random steps (episodes 0 and 1) are the same, the planned ones are not
  EXPECT_EQ(plain_episodes[1], explore_episodes[1]);
  EXPECT_NE(plain_episodes[2], explore_episodes[2]);

  RunDir conservative = run_tiny(
      with(kTinyCoplanner, {"algorithm.coplanner.optimistic_exploration=false"}), "conservative");
  EXPECT_NE(rollouts(plain)[0], rollouts(conservative)[0]);  // the first rollouts are planned
}

TEST_F(MbpoTest, CoplannerBadOptionsNameTheKey) {
  auto build = [](const std::vector<std::string>& overrides, const std::string& yaml = kTinyMbpo) {
    Experiment e(load_config_string(yaml, "mbpo.yaml", overrides), "mbpo");
  };
  EXPECT_THROW_WITH(build({"algorithm.coplanner.candidates=0"}), Error,
                    "algorithm.coplanner.candidates");
  EXPECT_THROW_WITH(build({"algorithm.coplanner.optimistic_weight=-1"}), Error,
                    "algorithm.coplanner.optimistic_weight");
  EXPECT_THROW_WITH(build({"algorithm.coplanner.ntraj=5"}), Error,
                    "algorithm.coplanner.ntraj: unknown key");
  const std::string lsse =
      kTinyHead + "model: {type: lsse, learn_reward: true}\n" + kTinyAgent + kTinyAlgorithm;
  EXPECT_THROW_WITH(
      build({"algorithm.rollout_uncertainty=false", "algorithm.coplanner.horizon=2"}, lsse), Error,
      "algorithm.coplanner: UP-MPC plans with the disagreement of an ensemble");
}

// The learning target of MBPO, scaled to CI (issue 18 item 13): on Pendulum, MBPO from its shipped
// config beats SAC from its shipped config at equal env steps by a clear margin. At 2000 env
// steps (docs/benchmarks/mbpo.md, seeds 0-2) MBPO's deterministic return is -150 to -200 and
// SAC's about -1000 (SAC has had 1000 random and 1000 learning steps): a broken MBPO (model,
// rollouts or the mixed SAC batches) falls back to SAC's curve or below.
double final_eval_return(const std::string& config, const std::string& name) {
  Experiment e(load_config(test::source_path(config).string(),
                           {"run_root=" + test::scratch_dir().string(), "algorithm.num_steps=2000",
                            "algorithm.eval_every=1000", "algorithm.eval_episodes=5"}),
               name);
  RunDir dir = e.create_run_dir();
  e.run(dir);
  const Csv eval = read_csv(dir.path() / "eval.csv");
  return std::stod(eval.column(eval.rows.size() - 1, "eval_return"));
}

TEST_F(MbpoTest, SlowBeatsSacOnPendulumAtEqualEnvSteps) {
  const double mbpo = final_eval_return("configs/mbpo/pendulum.yaml", "mbpo/pendulum");
  const double sac = final_eval_return("configs/sac/pendulum.yaml", "sac/pendulum");
  std::printf("pendulum at 2000 env steps: MBPO %.1f, SAC %.1f\n", mbpo, sac);
  EXPECT_GT(mbpo, -400.0);
  EXPECT_GT(mbpo - sac, 300.0);
}
}  // namespace
}  // namespace mbrl

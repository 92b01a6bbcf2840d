// Tests for algorithms/fit_model.cc, run through the shipped configs/fit_model/*.yaml as
// `mbrl train` does, scaled down by overrides.
#include "mbrl/algorithms/fit_model.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/algorithms/experiment.h"
#include "mbrl/config/loader.h"
#include "mbrl/core/error.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/models/dynamics_model.h"
#include "mbrl/models/model_registry.h"
#include "tests/support/csv.h"
#include "tests/support/d4rl_fixtures.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

class FitModelTest : public test::MbrlTest {};

// the shipped config, scaled down: delay 5, 20 training and 4 evaluation episodes, 2 rounds
ConfigNode config(const std::string& name, std::vector<std::string> overrides) {
  overrides.push_back("run_root=" + test::scratch_dir().string());
  overrides.push_back("threads=1");
  overrides.push_back("env.delay=5");
  overrides.push_back("algorithm.train_episodes=20");
  overrides.push_back("algorithm.eval_episodes=4");
  overrides.push_back("algorithm.rounds=2");
  return load_config(test::source_path("configs/fit_model/" + name).string(), overrides);
}

Experiment experiment(const std::string& name, std::vector<std::string> overrides) {
  return Experiment(config(name, std::move(overrides)), "fit_model/test");
}

TEST_F(FitModelTest, WritesOneRowPerRoundAndTheOpenLoopTableAndSavesTheModel) {
  const std::vector<std::string> small{"algorithm.model_training.gradient_steps=3",
                                       "algorithm.model_training.sequence_length=10",
                                       "model.backbone.hidden_size=16"};
  Experiment e = experiment("delayed_recall_gru.yaml", small);
  // (built before the run: config() starts a fresh scratch folder)
  auto copy =
      model_registry().create(config("delayed_recall_gru.yaml", small).child("model"), e.context());
  RunDir dir = e.create_run_dir();
  e.run(dir);
  const test::Csv fit = test::read_csv(dir.path() / "metrics.csv");
  ASSERT_EQ(fit.rows.size(), 2u);
  EXPECT_EQ(fit.column(0, "round"), "1");
  EXPECT_EQ(fit.column(1, "gradient_steps"), "6");
  EXPECT_EQ(fit.column(1, "env_steps"), "120");  // 20 episodes of delay + 1 = 6 steps
  for (const char* c : {"train_loss", "one_step_obs_mse", "one_step_final_reward_r2",
                        "open_loop_obs_mse", "open_loop_final_reward_r2"}) {
    EXPECT_NE(fit.column(1, c), "") << c;
  }
  // episodes of 6 steps, context 1: horizons 1..5 in each round
  const test::Csv open = test::read_csv(dir.path() / "open_loop.csv");
  ASSERT_EQ(open.rows.size(), 10u);
  EXPECT_EQ(open.column(9, "round"), "2");
  EXPECT_EQ(open.column(9, "horizon"), "5");
  EXPECT_EQ(open.column(9, "obs_mse"), fit.column(1, "open_loop_final_obs_mse"));

  // model.pt holds the trained model
  load_model(*copy, dir.path() / "model.pt");
  for (const auto& p : e.model()->named_parameters()) {
    EXPECT_TRUE(p.value().equal(copy->named_parameters()[p.key()])) << p.key();
  }
}

TEST_F(FitModelTest, TheMemorylessEnsembleBaselineRunsThroughTheSameLoop) {
  Experiment e = experiment("delayed_recall_mlp.yaml",
                            {"algorithm.model_training.num_epochs=2", "model.hidden_size=16"});
  RunDir dir = e.create_run_dir();
  e.run(dir);
  const test::Csv fit = test::read_csv(dir.path() / "metrics.csv");
  ASSERT_EQ(fit.rows.size(), 2u);
  EXPECT_NE(fit.column(1, "open_loop_final_reward_r2"), "");
}

// a D4RL file of episodes instead of collected ones (outside the scratch folder config() clears)
TEST_F(FitModelTest, TrainsOnTheEpisodesOfADatasetFile) {
  const fs::path file =
      fs::temp_directory_path() / ("mbrl_fit_model_" + std::to_string(::getpid()) + ".hdf5");
  auto env = make_env(load_config_string("type: delayed_recall\ndelay: 5", "env"), BuildContext{});
  test::write_random_d4rl(*env, file, 90);  // 15 episodes of 6 steps
  const std::vector<std::string> small{
      "algorithm.model_training.gradient_steps=3", "algorithm.model_training.sequence_length=10",
      "model.backbone.hidden_size=16", "algorithm.dataset=" + file.string()};
  Experiment e = experiment("delayed_recall_gru.yaml", small);
  RunDir dir = e.create_run_dir();
  e.run(dir);
  const test::Csv fit = test::read_csv(dir.path() / "metrics.csv");
  ASSERT_EQ(fit.rows.size(), 2u);
  EXPECT_EQ(fit.column(1, "env_steps"), "90");  // every row of the file, not train_episodes' 120

  // a file of another env is one error naming it
  auto pendulum = make_env(load_config_string("type: pendulum", "env"), BuildContext{});
  test::write_random_d4rl(*pendulum, file, 20);
  Experiment other = experiment("delayed_recall_gru.yaml", small);
  EXPECT_THROW_WITH(other.run(other.create_run_dir()), DataError,
                    file.string() + ": observations and actions have 3 and 1 columns");
  fs::remove(file);
}

TEST_F(FitModelTest, AContextAsLongAsTheEpisodesIsAConfigError) {
  // episodes of delay + 1 = 6 steps leave nothing to imagine after a context of 6
  EXPECT_THROW_WITH(experiment("delayed_recall_gru.yaml", {"algorithm.context=6"}), ConfigError,
                    "algorithm.context");
}

}  // namespace
}  // namespace mbrl

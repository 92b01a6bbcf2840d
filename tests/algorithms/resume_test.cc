// Kill-and-resume tests of the online loops (algorithms sac, mbpo and dreamer) and the offline one
// (mopo): `mbrl train` runs
// as a child process, is killed with SIGKILL after it wrote a checkpoint, and `mbrl train --resume`
// must then produce exactly the rows of an uninterrupted run (wall-time columns aside). Also the
// guard rail: a non-finite loss stops the run naming component and step, and the last good
// checkpoint stays intact and resumable.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mbrl/algorithms/experiment.h"
#include "mbrl/config/loader.h"
#include "mbrl/core/build_context.h"
#include "mbrl/core/error.h"
#include "mbrl/envs/env_registry.h"
#include "tests/support/cli.h"
#include "tests/support/csv.h"
#include "tests/support/d4rl_fixtures.h"
#include "tests/support/expect_throw.h"
#include "tests/support/testdata.h"
#include "tests/support/tiny_configs.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

using test::rows_without_times;
using test::run_cli;
using test::run_cli_and_kill;
using test::slurp;

// `config` with `overrides`: an uninterrupted run, and a run killed after its first checkpoint
// then resumed; every metrics file must match row for row
void expect_kill_and_resume_exact(const std::string& config, std::vector<std::string> overrides,
                                  const std::vector<std::string>& files) {
  const fs::path dir = test::scratch_dir();
  auto train_args = [&](const fs::path& run_dir, int64_t checkpoint_every) {
    std::vector<std::string> a{"train",     test::source_path(config).string(),
                               "--run-dir", run_dir.string(),
                               "--device",  "cpu"};
    for (const auto& o : overrides) a.insert(a.end(), {"--set", o});
    a.insert(a.end(), {"--set", "algorithm.checkpoint_every=" + std::to_string(checkpoint_every)});
    return a;
  };
  // the reference checkpoints only at the end, so checkpointing itself must not change the run
  ASSERT_EQ(run_cli(train_args(dir / "full", 0), dir / "full.log"), 0) << slurp(dir / "full.log");

  const fs::path killed = dir / "killed";
  ASSERT_TRUE(run_cli_and_kill(train_args(killed, 100), killed / "checkpoints" / "checkpoint.pt",
                               dir / "killed.log"))
      << "the run ended before it was killed:\n"
      << slurp(dir / "killed.log");
  const auto rows_at_kill = rows_without_times(killed / files[0]).size();
  const auto rows_full = rows_without_times(dir / "full" / files[0]).size();
  ASSERT_LT(rows_at_kill, rows_full) << "killed too late to test anything";

  ASSERT_EQ(run_cli({"train", "--resume", killed.string()}, dir / "resume.log"), 0)
      << slurp(dir / "resume.log");
  EXPECT_NE(slurp(dir / "resume.log").find("resuming from"), std::string::npos);
  for (const auto& f : files) {
    EXPECT_EQ(rows_without_times(killed / f), rows_without_times(dir / "full" / f)) << f;
  }
}

TEST(ResumeTest, KilledSacRunResumesExactly) {
  expect_kill_and_resume_exact(
      "configs/sac/pendulum.yaml",
      {"threads=1", "env.max_episode_steps=50", "agent.hidden_size=16", "agent.batch_size=32",
       "algorithm.num_steps=2000", "algorithm.initial_random_steps=100", "algorithm.eval_every=250",
       "algorithm.eval_episodes=1"},
      {"metrics.csv", "eval.csv"});
}

const std::vector<std::string> kTinyDreamerOverrides{"threads=1",
                                                     "env.max_episode_steps=50",
                                                     "agent.world_model.latents=4",
                                                     "agent.world_model.classes=4",
                                                     "agent.world_model.units=16",
                                                     "agent.world_model.layers=1",
                                                     "agent.world_model.reward_bins=41",
                                                     "agent.backbone.hidden_size=16",
                                                     "agent.actor_critic.units=16",
                                                     "agent.actor_critic.layers=1",
                                                     "agent.actor_critic.horizon=5",
                                                     "agent.actor_critic.critic_bins=41",
                                                     "algorithm.num_steps=1500",
                                                     "algorithm.initial_random_steps=100",
                                                     "algorithm.train_ratio=16",
                                                     "algorithm.batch_size=4",
                                                     "algorithm.sequence_length=8",
                                                     "algorithm.eval_every=125",
                                                     "algorithm.eval_episodes=1"};

// Dreamer: the replay, the world model, the actor-critic with its return normaliser and slow
// critic, their three optimizers and generators, and the ratio's update count
TEST(ResumeTest, KilledDreamerRunResumesExactly) {
  expect_kill_and_resume_exact("configs/dreamer/pendulum.yaml", kTinyDreamerOverrides,
                               {"metrics.csv", "eval.csv"});
}

TEST(ResumeTest, KilledMbpoRunResumesExactly) {
  expect_kill_and_resume_exact("configs/mbpo/pendulum.yaml", test::tiny_mbpo_overrides(),
                               {"metrics.csv", "eval.csv", "model.csv", "model_train.csv"});
}

TEST(ResumeTest, KilledCoplannerMbpoRunResumesExactly) {
  std::vector<std::string> overrides = test::tiny_mbpo_overrides();
  overrides.insert(overrides.end(),
                   {"algorithm.coplanner.candidates=3", "algorithm.coplanner.horizon=2"});
  expect_kill_and_resume_exact("configs/mbpo_coplanner/pendulum.yaml", overrides,
                               {"metrics.csv", "eval.csv", "model.csv", "model_train.csv"});
}

// COPlanner on Dreamer adds the disagreement heads, their optimizer, and plans that draw from the
// acting and latent generators
TEST(ResumeTest, KilledCoplannerDreamerRunResumesExactly) {
  std::vector<std::string> overrides = kTinyDreamerOverrides;
  overrides.insert(overrides.end(), {"agent.coplanner.candidates=2", "agent.coplanner.horizon=2",
                                     "agent.coplanner.disagreement.units=16"});
  expect_kill_and_resume_exact("configs/dreamer_coplanner/pendulum.yaml", overrides,
                               {"metrics.csv", "eval.csv"});
}

// an offline run on a random pendulum dataset written outside the scratch folder the helper
// clears: the checkpoints hold no dataset, which the resumed run reads again
void expect_offline_run_resumes_exactly(const std::string& config,
                                        std::vector<std::string> overrides,
                                        const std::vector<std::string>& files) {
  const fs::path dataset =
      fs::temp_directory_path() / ("mbrl_resume_offline_" + std::to_string(::getpid()) + ".hdf5");
  auto env = make_env(load_config_string("type: pendulum", "test"), BuildContext{});
  test::write_random_d4rl(*env, dataset, 600);
  overrides.insert(overrides.end(),
                   {"threads=1", "env.max_episode_steps=50", "agent.hidden_size=16",
                    "agent.batch_size=32", "algorithm.dataset=" + dataset.string()});
  expect_kill_and_resume_exact(config, overrides, files);
  fs::remove(dataset);
}

// the offline model-based loop (MOPO's settings, tiny) counts gradient steps
const std::vector<std::string> kTinyOfflineOverrides{"model.ensemble_size=3",
                                                     "model.num_elites=2",
                                                     "model.num_layers=2",
                                                     "model.hidden_size=16",
                                                     "model.weight_decay=1.0e-5",
                                                     "algorithm.num_steps=1500",
                                                     "algorithm.rollout_freq=100",
                                                     "algorithm.rollout_batch_size=50",
                                                     "algorithm.rollout_length=3",
                                                     "algorithm.model_retain_epochs=2",
                                                     "algorithm.eval_every=100",
                                                     "algorithm.eval_episodes=1",
                                                     "algorithm.model_training.num_epochs=3",
                                                     "algorithm.model_training.batch_size=32"};

TEST(ResumeTest, KilledOfflineRunResumesExactly) {
  expect_offline_run_resumes_exactly("configs/mopo/pendulum_medium.yaml", kTinyOfflineOverrides,
                                     {"metrics.csv", "eval.csv", "model.csv", "model_train.csv"});
}

// behaviour cloning (model-free offline): the agent, its optimizer and the minibatch generator
TEST(ResumeTest, KilledBehaviourCloningRunResumesExactly) {
  expect_offline_run_resumes_exactly(
      "configs/bc/pendulum_medium.yaml",
      {"algorithm.num_steps=20000", "algorithm.eval_every=500", "algorithm.eval_episodes=1"},
      {"metrics.csv", "eval.csv"});
}

// MOREC-MOPO: the dynamics reward and its generator are part of the checkpoint
TEST(ResumeTest, KilledMorecRunResumesExactly) {
  std::vector<std::string> overrides = kTinyOfflineOverrides;
  overrides.insert(
      overrides.end(),
      {"algorithm.rollout_length=5", "algorithm.dynamics_reward.hidden_size=8",
       "algorithm.dynamics_reward.pretrain_steps=20", "algorithm.dynamics_reward.iterations=100",
       "algorithm.dynamics_reward.snapshot_every=10"});
  expect_offline_run_resumes_exactly(
      "configs/morec_mopo/pendulum_medium.yaml", overrides,
      {"metrics.csv", "eval.csv", "model.csv", "model_train.csv", "dynamics_reward.csv"});
}

// a SAC learning rate of 1e30 makes the first update's Adam step (lr * sign(grad)) blow the
// weights up, so the second update's loss is not finite: deterministically at env step 100, the
// first step with updates (two per step); the checkpoint of step 50 is the last good one
TEST(ResumeTest, NonFiniteLossStopsTheRunAndKeepsTheLastCheckpoint) {
  std::vector<std::string> overrides = test::tiny_mbpo_overrides();
  overrides.insert(overrides.end(), {"agent.critic_lr=1.0e30", "agent.actor_lr=1.0e30",
                                     "algorithm.checkpoint_every=50", "algorithm.num_steps=300",
                                     "run_root=" + test::scratch_dir().string()});
  const std::string config = test::source_path("configs/mbpo/pendulum.yaml").string();
  Experiment first(load_config(config, overrides), "nan");
  RunDir dir = first.create_run_dir(test::scratch_dir() / "run");
  const fs::path checkpoint = dir.path() / "checkpoints" / "checkpoint.pt";
  ASSERT_THROW_WITH(first.run(dir), NonFiniteError, "mbpo: env step 100: sac: non-finite");
  ASSERT_TRUE(fs::exists(checkpoint));
  const std::string saved = slurp(checkpoint);
  // episode 1 only: episode 2 fails on its last step, before its row
  EXPECT_EQ(rows_without_times(dir.path() / "metrics.csv").size(), 1u + 1u);

  // the checkpoint of step 50 loads and replays the same failure at the same step; it is never
  // overwritten by the broken state
  Experiment second(load_config(config, overrides), "nan");
  EXPECT_THROW_WITH(second.resume(dir), NonFiniteError, "mbpo: env step 100: sac: non-finite");
  EXPECT_EQ(slurp(checkpoint), saved);
  EXPECT_EQ(rows_without_times(dir.path() / "eval.csv").size(), 1u);  // header only
}

TEST(ResumeTest, SacLoopNamesTheStepOfANonFiniteLoss) {
  const std::vector<std::string> overrides{"threads=1",
                                           "env.max_episode_steps=10",
                                           "agent.hidden_size=16",
                                           "agent.batch_size=32",
                                           "agent.critic_lr=1.0e30",
                                           "agent.actor_lr=1.0e30",
                                           "algorithm.num_steps=200",
                                           "algorithm.initial_random_steps=50",
                                           "algorithm.eval_every=100",
                                           "algorithm.checkpoint_every=10",
                                           "run_root=" + test::scratch_dir().string()};
  const std::string config = test::source_path("configs/sac/pendulum.yaml").string();
  Experiment e(load_config(config, overrides), "nan");
  RunDir dir = e.create_run_dir(test::scratch_dir() / "run");
  // updates start with the 32nd transition: the critic step of the first one blows the weights
  // up, so that update's actor loss is already infinite
  const std::string error = "sac loop: env step 32: sac: non-finite actor loss at update 1";
  EXPECT_THROW_WITH(e.run(dir), NonFiniteError, error);
  // the checkpoint of step 30 (the last episode end before) resumes into the same failure
  Experiment again(load_config(config, overrides), "nan");
  EXPECT_THROW_WITH(again.resume(dir), NonFiniteError, error);
  EXPECT_EQ(rows_without_times(dir.path() / "metrics.csv").size(), 1u + 3u);
}

}  // namespace
}  // namespace mbrl

// `mbrl train --nproc N`, run as a user runs it: two ranks of a data-parallel model fit write the
// run one process writes (to float rounding), the second rank's own copy equals the first's, and
// what cannot run data-parallel is one line with exit code 2.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/cli.h"
#include "tests/support/csv.h"
#include "tests/support/testdata.h"
#include "tests/support/tiny_configs.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

using test::rows_without_times;
using test::run_cli;
using test::slurp;

// the ensemble fitted to delayed-recall episodes: two rounds of several minibatches each
std::vector<std::string> fit_args(const fs::path& run_dir) {
  std::vector<std::string> args{"train",
                                test::source_path("configs/fit_model/delayed_recall_mlp.yaml"),
                                "--run-dir", run_dir.string()};
  for (const char* o :
       {"algorithm.train_episodes=60", "algorithm.eval_episodes=5", "algorithm.rounds=2",
        "algorithm.model_training.num_epochs=3", "algorithm.model_training.batch_size=64",
        "model.hidden_size=32", "env.delay=10", "threads=1"})
    args.insert(args.end(), {"--set", o});
  return args;
}

TEST(DataParallelCliTest, TwoRanksFitTheModelOneProcessFits) {
  const fs::path dir = test::scratch_dir();
  ASSERT_EQ(run_cli(fit_args(dir / "one"), dir / "one.log"), 0) << slurp(dir / "one.log");
  std::vector<std::string> two = fit_args(dir / "two");
  two.insert(two.end(), {"--nproc", "2"});
  ASSERT_EQ(run_cli(two, dir / "two.log"), 0) << slurp(dir / "two.log");
  EXPECT_NE(slurp(dir / "two" / "log.txt").find("data-parallel rank 0 of 2"), std::string::npos);
  EXPECT_NE(slurp(dir / "two" / "ranks" / "1" / "log.txt").find("data-parallel rank 1 of 2"),
            std::string::npos)
      << slurp(dir / "two" / "ranks" / "1.log");

  // every rank holds the same model: rank 1's files equal rank 0's
  for (const auto* f : {"model_train.csv", "open_loop.csv"}) {
    EXPECT_EQ(rows_without_times(dir / "two" / "ranks" / "1" / f),
              rows_without_times(dir / "two" / f))
        << f;
  }
  // and the one one process fits, to float rounding
  const test::Csv one = test::read_csv(dir / "one" / "model_train.csv");
  const test::Csv dp = test::read_csv(dir / "two" / "model_train.csv");
  ASSERT_EQ(one.rows.size(), dp.rows.size());
  ASSERT_GT(one.rows.size(), 3u);
  for (size_t i = 0; i < one.rows.size(); ++i) {
    for (const auto* column : {"train_loss", "holdout_score"}) {
      const double a = std::stod(one.column(i, column)), b = std::stod(dp.column(i, column));
      EXPECT_NEAR(a, b, 1e-4 * std::abs(a) + 1e-6) << column << " row " << i;
    }
  }
}

// MBPO on two ranks, killed (the launcher, and with it rank 1) after a checkpoint and resumed on
// two ranks, writes every row an uninterrupted two-rank run writes
TEST(DataParallelCliTest, KilledTwoRankRunResumesExactly) {
  const fs::path dir = test::scratch_dir();
  auto args = [&](const fs::path& run_dir, int checkpoint_every) {
    std::vector<std::string> a{
        "train",     test::source_path("configs/mbpo/pendulum.yaml").string(),
        "--run-dir", run_dir.string(),
        "--nproc",   "2"};
    for (const auto& o : test::tiny_mbpo_overrides()) a.insert(a.end(), {"--set", o});
    a.insert(a.end(), {"--set", "algorithm.checkpoint_every=" + std::to_string(checkpoint_every)});
    return a;
  };
  ASSERT_EQ(run_cli(args(dir / "full", 0), dir / "full.log"), 0) << slurp(dir / "full.log");
  const fs::path killed = dir / "killed";
  ASSERT_TRUE(test::run_cli_and_kill(args(killed, 100), killed / "checkpoints" / "checkpoint.pt",
                                     dir / "killed.log"))
      << slurp(dir / "killed.log");
  ASSERT_LT(rows_without_times(killed / "metrics.csv").size(),
            rows_without_times(dir / "full" / "metrics.csv").size());
  ASSERT_EQ(run_cli({"train", "--resume", killed.string(), "--nproc", "2"}, dir / "resume.log"), 0)
      << slurp(dir / "resume.log");
  for (const auto* f : {"metrics.csv", "eval.csv", "model_train.csv"}) {
    EXPECT_EQ(rows_without_times(killed / f), rows_without_times(dir / "full" / f)) << f;
    EXPECT_EQ(rows_without_times(killed / "ranks" / "1" / f), rows_without_times(killed / f)) << f;
  }
}

// the pid of the process whose command line holds `needle` (0 when none does)
pid_t process_with(const std::string& needle) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = slurp(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(needle) != std::string::npos) return std::stoi(name);
  }
  return 0;
}

// rank 1 killed before it joins: rank 0 stops at once, naming it, instead of waiting for the
// group's 30-minute timeout (which would run past this test's ctest timeout)
TEST(DataParallelCliTest, ARankThatDiesEndsTheRunAtOnce) {
  const fs::path dir = test::scratch_dir();
  std::vector<std::string> args = fit_args(dir / "run");
  // thousands of episodes to collect before the first all-reduce: time to kill rank 1 first
  args.insert(args.end(), {"--set", "algorithm.train_episodes=20000", "--nproc", "2"});
  const auto start = std::chrono::steady_clock::now();
  int code = -1;
  std::thread launcher([&] { code = run_cli(args, dir / "run.log"); });
  const std::string rank1 = (dir / "run" / "ranks" / "1").string();
  pid_t pid = 0;
  while (pid == 0 && std::chrono::steady_clock::now() - start < std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pid = process_with(rank1);
  }
  ASSERT_GT(pid, 0) << "rank 1 never started:\n" << slurp(dir / "run.log");
  kill(pid, SIGKILL);
  launcher.join();
  EXPECT_EQ(code, 1) << slurp(dir / "run.log");
  EXPECT_NE(slurp(dir / "run.log").find("rank 1 ended (signal 9) while the others ran"),
            std::string::npos)
      << slurp(dir / "run.log");
}

TEST(DataParallelCliTest, WhatCannotRunDataParallelIsOneLine) {
  const fs::path dir = test::scratch_dir();
  auto expect = [&](std::vector<std::string> args, const std::string& message) {
    const int rc = run_cli(args, dir / "out.log");
    const std::string out = slurp(dir / "out.log");
    EXPECT_EQ(rc, 2) << out;
    EXPECT_NE(out.find(message), std::string::npos) << out;
  };
  std::vector<std::string> zero = fit_args(dir / "zero");
  zero.insert(zero.end(), {"--nproc", "0"});
  expect(zero, "--nproc: expected a rank count >= 1");
  // LSSE's learner solves least squares in one process
  expect({"train", test::source_path("configs/pets/cartpole_lsse.yaml").string(), "--run-dir",
          (dir / "lsse").string(), "--nproc", "2", "--set", "threads=1"},
         "trains in one process; data-parallel training");
  EXPECT_FALSE(fs::exists(dir / "lsse"));
  // SAC has no model: its ranks would only repeat one another
  expect({"train", test::source_path("configs/sac/pendulum.yaml").string(), "--run-dir",
          (dir / "sac").string(), "--nproc", "2"},
         "this config has none");
  EXPECT_FALSE(fs::exists(dir / "sac"));
}

}  // namespace
}  // namespace mbrl

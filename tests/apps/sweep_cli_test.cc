// `mbrl sweep` with the local backend, run as a user runs it: every job's run equals a plain
// `mbrl train` of the same overrides and seed, a killed task shows as interrupted and resumes
// exactly, and bad input is one line with a non-zero exit.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mbrl/algorithms/sweep.h"
#include "tests/support/cli.h"
#include "tests/support/csv.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

using test::rows_without_times;
using test::run_cli;
using test::slurp;

// SAC on 50-step pendulum episodes with 16-unit networks: a second or so per job
const std::vector<std::string> kTinySac{
    "env.max_episode_steps=50",           "agent.batch_size=32",      "algorithm.num_steps=600",
    "algorithm.initial_random_steps=100", "algorithm.eval_every=200", "algorithm.eval_episodes=1"};

std::string tiny_sac_sweep(const std::string& extra,
                           const std::vector<std::string>& overrides = kTinySac) {
  std::string text =
      "name: tiny\nconfig: " + test::source_path("configs/sac/pendulum.yaml").string() + "\nset:\n";
  for (const auto& o : overrides)
    text += "  " + o.substr(0, o.find('=')) + ": " + o.substr(o.find('=') + 1) + "\n";
  return text + extra;
}

fs::path write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

// the plain `mbrl train` of a job: the sweep's overrides, threads=1 and the seed
void train_plain(const std::vector<std::string>& overrides, const fs::path& run_dir,
                 const fs::path& log) {
  std::vector<std::string> args{"train", test::source_path("configs/sac/pendulum.yaml").string(),
                                "--run-dir", run_dir.string()};
  for (const auto& o : overrides) args.insert(args.end(), {"--set", o});
  ASSERT_EQ(run_cli(args, log), 0) << slurp(log);
}

TEST(SweepCliTest, LocalJobsEqualPlainRunsAndAreCollected) {
  const fs::path dir = test::scratch_dir();
  const fs::path file = write_file(
      dir / "tiny.yaml", tiny_sac_sweep("seeds: [0, 1]\ngrid: {agent.hidden_size: [16, 32]}\n"));
  const fs::path sweep = dir / "sweep";
  ASSERT_EQ(
      run_cli({"sweep", file.string(), "--dir", sweep.string(), "--jobs", "2"}, dir / "sweep.log"),
      0)
      << slurp(dir / "sweep.log");
  const std::string log = slurp(dir / "sweep.log");
  EXPECT_NE(log.find("4 job(s) to run, 2 at a time, 1 core(s) each"), std::string::npos) << log;
  EXPECT_NE(log.find(": 4 done"), std::string::npos) << log;
  EXPECT_NE(log.find("| hidden_size=32 | `agent.hidden_size=32` | 2/2 |"), std::string::npos)
      << log;
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(fs::exists(sweep / "logs" / (std::to_string(i) + ".log")));
  EXPECT_TRUE(fs::exists(sweep / "results.csv"));

  // job 3 (hidden 32, seed 1) is the plain run of its overrides
  std::vector<std::string> overrides = kTinySac;
  overrides.insert(overrides.end(), {"agent.hidden_size=32", "threads=1", "seed=1"});
  train_plain(overrides, dir / "plain", dir / "plain.log");
  for (const auto* f : {"metrics.csv", "eval.csv"}) {
    EXPECT_EQ(rows_without_times(sweep / "runs/hidden_size=32/s1" / f),
              rows_without_times(dir / "plain" / f))
        << f;
  }

  // a second call finds every job done and runs nothing
  ASSERT_EQ(run_cli({"sweep", sweep.string()}, dir / "again.log"), 0) << slurp(dir / "again.log");
  EXPECT_NE(slurp(dir / "again.log").find("0 job(s) to run"), std::string::npos)
      << slurp(dir / "again.log");
  ASSERT_EQ(run_cli({"sweep", "status", sweep.string()}, dir / "status.log"), 0);
  EXPECT_NE(slurp(dir / "status.log").find(sweep.string() + ": 4 done"), std::string::npos)
      << slurp(dir / "status.log");
}

TEST(SweepCliTest, KilledTaskIsInterruptedAndResumesExactly) {
  const fs::path dir = test::scratch_dir();
  std::vector<std::string> longer = kTinySac;
  longer[2] = "algorithm.num_steps=2000";
  longer.push_back("algorithm.checkpoint_every=100");
  const fs::path file = write_file(dir / "tiny.yaml", tiny_sac_sweep("seeds: [5]\n", longer));
  const fs::path sweep = dir / "sweep";
  create_sweep_dir(load_sweep(file), sweep);
  const fs::path run = sweep / "runs/base/s5";
  ASSERT_TRUE(test::run_cli_and_kill({"sweep", "task", sweep.string(), "0"},
                                     run / "checkpoints" / "checkpoint.pt", dir / "killed.log"))
      << "the task ended before it was killed:\n"
      << slurp(dir / "killed.log");
  ASSERT_EQ(run_cli({"sweep", "status", sweep.string()}, dir / "status.log"), 0);
  EXPECT_NE(slurp(dir / "status.log").find("interrupted"), std::string::npos)
      << slurp(dir / "status.log");

  ASSERT_EQ(run_cli({"sweep", sweep.string()}, dir / "resume.log"), 0) << slurp(dir / "resume.log");
  EXPECT_NE(slurp(sweep / "logs" / "0.log").find("resuming"), std::string::npos)
      << slurp(sweep / "logs" / "0.log");

  std::vector<std::string> overrides = longer;
  overrides.insert(overrides.end(), {"threads=1", "seed=5"});
  train_plain(overrides, dir / "plain", dir / "plain.log");
  for (const auto* f : {"metrics.csv", "eval.csv"})
    EXPECT_EQ(rows_without_times(run / f), rows_without_times(dir / "plain" / f)) << f;
}

TEST(SweepCliTest, BadInputIsOneLineWithANonZeroExit) {
  const fs::path dir = test::scratch_dir();
  auto expect = [&](const std::vector<std::string>& args, int code, const std::string& message) {
    const int rc = run_cli(args, dir / "out.log");
    const std::string out = slurp(dir / "out.log");
    EXPECT_EQ(rc, code) << out;
    EXPECT_NE(out.find(message), std::string::npos) << out;
  };
  expect({"sweep", (dir / "missing.yaml").string()}, 2, "no sweep file");
  expect({"sweep"}, 2, "expected a SWEEP.yaml file or a sweep folder");
  const fs::path file = write_file(dir / "tiny.yaml", tiny_sac_sweep("seeds: 1\n"));
  expect({"sweep", file.string(), "--backend", "pbs"}, 2, "--backend: expected local or slurm");
  expect({"sweep", "status", dir.string()}, 1, "not a sweep folder");

  // a job that fails: the sweep says which and where its log is, and exits 1
  const fs::path config = dir / "base.yaml";
  fs::copy_file(test::source_path("configs/sac/pendulum.yaml"), config);
  const fs::path failing = write_file(
      dir / "failing.yaml", "config: base.yaml\nseeds: 1\nset: {algorithm.num_steps: 10}\n");
  create_sweep_dir(load_sweep(failing), dir / "sweep");
  std::ofstream(config, std::ios::app) << "misspelt_key: 1\n";
  expect({"sweep", (dir / "sweep").string()}, 1, "job 0 (base, seed 0) failed (exit 2): see");
  expect({"sweep", "task", (dir / "sweep").string(), "3"}, 2, "expected a job index in [0, 0]");
  expect({"sweep", (dir / "sweep").string(), "--dir", "x"}, 2, "continues in place");
}

}  // namespace
}  // namespace mbrl

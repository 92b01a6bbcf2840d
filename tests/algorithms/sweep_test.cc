// Tests for algorithms/sweep.cc and sweep_slurm.cc's pure parts: the sweep file and its jobs,
// the sweep folder, one job's task and the states status reads, and collect's tables. The
// backends themselves run in tests/apps/sweep_cli_test.cc (local) and sweep_slurm_test.cc.
#include "mbrl/algorithms/sweep.h"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "mbrl/algorithms/sweep_slurm.h"
#include "mbrl/core/error.h"
#include "mbrl/io/atomic_file.h"
#include "mbrl/log/learning_curves.h"
#include "tests/support/csv.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

class SweepTest : public test::MbrlTest {};

fs::path write_sweep(const fs::path& dir, const std::string& text,
                     const std::string& name = "tiny.yaml") {
  std::ofstream(dir / name) << text;
  return dir / name;
}

// random actions on 10-step pendulum episodes: each job takes milliseconds
std::string random_sweep(const std::string& config) {
  return "config: " + config +
         "\nseeds: [4, 9]\nvariants:\n  ten: {env.max_episode_steps: 10}\n"
         "  twenty: {env.max_episode_steps: 20}\nset: {algorithm.episodes: 3}\n";
}

TEST_F(SweepTest, GridIsTheProductOfItsListsWithSeedsInnermost) {
  const fs::path dir = test::scratch_dir();
  const SweepSpec spec = load_sweep(
      write_sweep(dir, "config: " + test::source_path("configs/sac/pendulum.yaml").string() +
                           "\nseeds: [3, 7]\ngrid:\n  agent.actor_lr: [1.0e-4, 3.0e-4]\n"
                           "  agent.hidden_size: [16, 32, 64]\nset: {algorithm.num_steps: 500}\n"
                           "resources: {cpus_per_task: 2}\n"));
  EXPECT_EQ(spec.name, "tiny");
  ASSERT_EQ(spec.variants.size(), 6u);
  EXPECT_EQ(spec.variants[0].name, "actor_lr=1.0e-4+hidden_size=16");
  EXPECT_EQ(spec.variants[5].name, "actor_lr=3.0e-4+hidden_size=64");
  const std::vector<SweepJob> jobs = sweep_jobs(spec);
  ASSERT_EQ(jobs.size(), 12u);
  for (size_t i = 0; i < jobs.size(); ++i) EXPECT_EQ(jobs[i].index, static_cast<int64_t>(i));
  EXPECT_EQ(jobs[3].variant, "actor_lr=1.0e-4+hidden_size=32");
  EXPECT_EQ(jobs[3].seed, 7u);
  EXPECT_EQ(jobs[3].overrides,
            (std::vector<std::string>{"algorithm.num_steps=500", "agent.actor_lr=1.0e-4",
                                      "agent.hidden_size=32", "threads=2", "seed=7"}));
  EXPECT_EQ(jobs[3].run_dir, fs::path("runs/actor_lr=1.0e-4+hidden_size=32/s7"));
}

TEST_F(SweepTest, SeedCountsListedVariantsAndASweepOfSeedsAlone) {
  const fs::path dir = test::scratch_dir();
  const std::string config = test::source_path("configs/random/pendulum.yaml").string();
  const SweepSpec listed = load_sweep(write_sweep(dir, random_sweep(config)));
  ASSERT_EQ(listed.variants.size(), 2u);
  EXPECT_EQ(listed.variants[1].name, "twenty");
  EXPECT_EQ(listed.variants[1].overrides, std::vector<std::string>{"env.max_episode_steps=20"});

  const SweepSpec seeds_only =
      load_sweep(write_sweep(dir, "config: " + config + "\nseeds: 3\nname: three\n"));
  EXPECT_EQ(seeds_only.name, "three");
  EXPECT_EQ(seeds_only.seeds, (std::vector<uint64_t>{0, 1, 2}));
  ASSERT_EQ(seeds_only.variants.size(), 1u);
  EXPECT_EQ(seeds_only.variants[0].name, "base");
  // a list value is one override, as --set reads it
  const SweepSpec lists = load_sweep(
      write_sweep(dir, "config: " + config + "\nseeds: 1\nset: {env.some_list: [1, 2]}\n"));
  EXPECT_EQ(lists.common, std::vector<std::string>{"env.some_list=[1, 2]"});
}

TEST_F(SweepTest, BadSweepFilesAreConfigErrorsNamingTheKey) {
  const fs::path dir = test::scratch_dir();
  const std::string config =
      "config: " + test::source_path("configs/random/pendulum.yaml").string();
  auto expect_error = [&](const std::string& text, const std::string& substring) {
    SCOPED_TRACE(text);
    EXPECT_THROW_WITH(load_sweep(write_sweep(dir, text)), ConfigError, substring);
  };
  EXPECT_THROW_WITH(load_sweep(dir / "missing.yaml"), ConfigError, "no sweep file");
  expect_error("config: nowhere.yaml\nseeds: 1\n", "no config file");
  expect_error(config + "\nseeds: 1\nseed: 3\n", "unknown key 'seed'");
  expect_error(config + "\nseeds: 0\n", "seeds");
  expect_error(config + "\nseeds: [1, -2]\n", "expected seeds >= 0");
  expect_error(config + "\nseeds: [1, 1]\n", "seed 1 appears twice");
  expect_error(config + "\nseeds: 1\ngrid: {env.max_episode_steps: []}\n", "at least one value");
  expect_error(config + "\nseeds: 1\ngrid: {env.max_episode_steps: [[1], [2]]}\n",
               "grid.env.max_episode_steps");
  expect_error(config + "\nseeds: 1\ngrid: {a: [1]}\nvariants: {b: {c: 1}}\n",
               "either grid or variants");
  expect_error(config + "\nseeds: 1\nvariants: {a/b: {c: 1}}\n", "a folder name");
  expect_error(config + "\nseeds: 1\nset: {seed: 3}\n", "is set by the sweep");
  expect_error(config + "\nseeds: 1\nset: {threads: 3}\n", "is set by the sweep");
  expect_error(config + "\nseeds: 1\nset: {'bad key': 3}\n", "dotted key");
  expect_error(config + "\nseeds: 1\nresources: {cpus_per_task: 0}\n", "resources.cpus_per_task");
  expect_error(config + "\nseeds: 1\nresources: {cpu: 2}\n", "unknown key 'cpu'");
  expect_error(config + "\nseeds: 1\nstatistic: median\n", "expected last or max");
}

TEST_F(SweepTest, SweepFolderChecksEveryVariantAndRefusesAnotherSweep) {
  const fs::path dir = test::scratch_dir();
  const std::string config = test::source_path("configs/random/pendulum.yaml").string();
  // a misspelt key in one variant fails at creation, naming the key and the variant
  const SweepSpec typo =
      load_sweep(write_sweep(dir, "config: " + config +
                                      "\nseeds: 1\nvariants:\n  fine: {env.max_episode_steps: 10}\n"
                                      "  typo: {env.max_episode_step: 10}\n"));
  EXPECT_THROW_WITH(create_sweep_dir(typo, dir / "typo"), ConfigError,
                    "unknown key 'max_episode_step'");
  EXPECT_THROW_WITH(create_sweep_dir(typo, dir / "typo"), ConfigError, "(sweep variant 'typo')");
  EXPECT_FALSE(fs::exists(dir / "typo" / "sweep.yaml"));

  const SweepSpec spec = load_sweep(write_sweep(dir, random_sweep(config)));
  create_sweep_dir(spec, dir / "sweep");
  create_sweep_dir(spec, dir / "sweep");  // the same sweep again: nothing to do
  // the folder's sweep.yaml reads back as the same jobs
  const std::vector<SweepJob> jobs = sweep_jobs(spec);
  const std::vector<SweepJob> reread = sweep_jobs(open_sweep_dir(dir / "sweep"));
  ASSERT_EQ(reread.size(), jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_EQ(reread[i].overrides, jobs[i].overrides);
    EXPECT_EQ(reread[i].run_dir, jobs[i].run_dir);
  }
  SweepSpec other = spec;
  other.seeds = {4};
  EXPECT_THROW_WITH(create_sweep_dir(other, dir / "sweep"), ConfigError, "holds a different sweep");
  EXPECT_THROW_WITH(open_sweep_dir(dir / "typo"), IoError, "not a sweep folder");
}

TEST_F(SweepTest, TasksStatesAndCollect) {
  const fs::path dir = test::scratch_dir();
  // a copy of the base config, so that a task can be made to fail by breaking it
  const fs::path config = dir / "base.yaml";
  fs::copy_file(test::source_path("configs/random/pendulum.yaml"), config);
  const fs::path sweep = dir / "sweep";
  create_sweep_dir(load_sweep(write_sweep(dir, random_sweep(config.string()))), sweep);
  auto states = [&](const std::map<int64_t, std::string>& queued = {}) {
    std::vector<JobState> out;
    for (const auto& s : sweep_status(sweep, queued)) out.push_back(s.state);
    return out;
  };
  using S = JobState;
  EXPECT_EQ(states(),
            (std::vector<S>{S::kNotStarted, S::kNotStarted, S::kNotStarted, S::kNotStarted}));
  EXPECT_THROW_WITH(collect_sweep(sweep), DataError, "no job has finished yet (4 not started)");

  run_sweep_task(sweep, 0);
  run_sweep_task(sweep, 2);
  run_sweep_task(sweep, 0);  // done: left as it is
  EXPECT_THROW_WITH(run_sweep_task(sweep, 4), ConfigError, "expected a job index in [0, 3]");
  // a task whose process died: its state still says running, with a pid that is gone
  write_file_atomic(
      sweep / "tasks" / "1.state", "running\nhost " + [] {
        char buf[256] = {};
        gethostname(buf, sizeof(buf) - 1);
        return std::string(buf);
      }() + "\npid 999999999\n");
  EXPECT_EQ(states(), (std::vector<S>{S::kDone, S::kInterrupted, S::kDone, S::kNotStarted}));
  // what the scheduler still holds is queued or running
  EXPECT_EQ(states({{3, "PENDING"}, {1, "RUNNING"}}),
            (std::vector<S>{S::kDone, S::kRunning, S::kDone, S::kQueued}));
  // a task that stops on an error says so, with the error
  std::ofstream(config, std::ios::app) << "misspelt_key: 1\n";
  EXPECT_THROW(run_sweep_task(sweep, 3), ConfigError);
  const auto status = sweep_status(sweep);
  EXPECT_EQ(status[3].state, S::kFailed);
  EXPECT_NE(status[3].detail.find("misspelt_key"), std::string::npos) << status[3].detail;
  EXPECT_EQ(summarize(status), "2 done, 1 failed, 1 interrupted");

  // collect: one row per job, the finished ones with their last episode return
  const SweepResults results = collect_sweep(sweep);
  EXPECT_EQ(results.metric, "episode_return");
  const test::Csv csv = test::read_csv(results.csv);
  ASSERT_EQ(csv.rows.size(), 4u);
  const RunCurve curve = read_run_curve(sweep / "runs/twenty/s4", "episode_return", "env_steps");
  EXPECT_EQ(csv.column(2, "state"), "done");
  EXPECT_NEAR(std::stod(csv.column(2, "episode_return_last")), curve.y.back(), 1e-3);
  EXPECT_EQ(std::stod(csv.column(2, "env_steps")), curve.x.back());
  EXPECT_EQ(csv.column(3, "state"), "failed");
  EXPECT_EQ(csv.column(3, "episode_return_last"), "");
  EXPECT_NE(results.markdown_text.find("| twenty | `env.max_episode_steps=20` | 1/2 |"),
            std::string::npos)
      << results.markdown_text;
  EXPECT_TRUE(fs::exists(sweep / "results.md"));
  if (gnuplot_available()) {
    EXPECT_TRUE(fs::exists(sweep / "curves.png"));
  }
}

// every shipped sweep (configs/sweeps/) loads, and every variant of it builds
TEST_F(SweepTest, ShippedSweepsLoadAndEveryVariantBuilds) {
  int count = 0;
  for (const auto& e : fs::directory_iterator(test::source_path("configs/sweeps"))) {
    SCOPED_TRACE(e.path().string());
    const SweepSpec spec = load_sweep(e.path());
    EXPECT_FALSE(sweep_jobs(spec).empty());
    create_sweep_dir(spec, test::scratch_dir() / spec.name);
    ++count;
  }
  EXPECT_GE(count, 1);
}

TEST(SweepSlurmTest, ArrayRangesCompressRuns) {
  EXPECT_EQ(array_ranges({5, 0, 1, 2, 3, 7, 8, 8}), "0-3,5,7-8");
  EXPECT_EQ(array_ranges({4}), "4");
  EXPECT_EQ(array_ranges({}), "");
}

TEST_F(SweepTest, SlurmBackendWithoutSlurmIsOneLineNamingTheProgram) {
  const fs::path dir = test::scratch_dir();
  const SweepSpec spec = load_sweep(
      write_sweep(dir, random_sweep(test::source_path("configs/random/pendulum.yaml").string())));
  create_sweep_dir(spec, dir / "sweep");
  SlurmSweepOptions options;
  options.executable = test::binary_path("apps/mbrl");
  options.sbatch = (dir / "no-sbatch").string();
  EXPECT_THROW_WITH(submit_sweep_slurm(dir / "sweep", options), IoError,
                    "not found: the slurm backend needs Slurm's client programs");
  EXPECT_FALSE(fs::exists(dir / "sweep" / "slurm" / "submissions.txt"));
}

}  // namespace
}  // namespace mbrl

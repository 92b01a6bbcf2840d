// `mbrl sweep --backend slurm` against a real Slurm, not a mock: a private one-node cluster
// (scripts/local_slurm.sh: munged, slurmctld and slurmd on loopback ports) runs a sweep's job
// array; one task is cancelled mid-run, status reports it, resubmission resumes it, and every
// run equals the local backend's run of the same job. Slurm is installed by
// scripts/install_deps.sh: without it this test fails, it does not skip.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/cli.h"
#include "tests/support/csv.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

using test::rows_without_times;
using test::run_cli;
using test::slurp;

// the private cluster, stopped when the test ends however it ends
class LocalSlurm {
 public:
  LocalSlurm() {
    char name[] = "/tmp/mbrl-slurm-XXXXXX";  // short: munge's socket path has 108 bytes
    dir_ = mkdtemp(name);
    const std::string cmd = "'" + test::source_path("scripts/local_slurm.sh").string() +
                            "' start '" + dir_.string() + "' > '" + (dir_ / "start.log").string() +
                            "' 2>&1";
    started_ = std::system(cmd.c_str()) == 0;
    if (started_) setenv("SLURM_CONF", (dir_ / "slurm.conf").c_str(), 1);
  }
  ~LocalSlurm() {
    const std::string cmd = "'" + test::source_path("scripts/local_slurm.sh").string() +
                            "' stop '" + dir_.string() + "' > /dev/null 2>&1";
    std::system(cmd.c_str());
    unsetenv("SLURM_CONF");
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  bool started() const { return started_; }
  std::string start_log() const { return slurp(dir_ / "start.log"); }

 private:
  fs::path dir_;
  bool started_ = false;
};

// polls `mbrl sweep status` until `done(output)` or the timeout; returns the last output
std::string wait_for_status(const fs::path& sweep, const fs::path& log,
                            const std::function<bool(const std::string&)>& done,
                            std::chrono::seconds timeout = std::chrono::seconds(180)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string out;
  while (std::chrono::steady_clock::now() < deadline) {
    run_cli({"sweep", "status", sweep.string()}, log);
    out = slurp(log);
    if (done(out)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return out;
}

bool nothing_in_flight(const std::string& status) {
  return status.find("queued") == std::string::npos && status.find("running") == std::string::npos;
}

TEST(SweepSlurmTest, SlowCancelledTaskIsResubmittedAndResumesAsTheLocalRun) {
  LocalSlurm slurm;
  ASSERT_TRUE(slurm.started()) << "a private Slurm did not start (scripts/install_deps.sh installs "
                                  "slurmctld, slurmd, slurm-client and munge):\n"
                               << slurm.start_log();
  const fs::path dir = test::scratch_dir();
  // SAC on 50-step pendulum episodes, 2000 steps with a checkpoint every 100: a few seconds a job
  const fs::path file = dir / "tiny.yaml";
  std::ofstream(file) << "name: tiny\nconfig: "
                      << test::source_path("configs/sac/pendulum.yaml").string()
                      << "\nseeds: [2]\ngrid: {agent.hidden_size: [16, 24]}\n"
                         "set:\n  env.max_episode_steps: 50\n  agent.batch_size: 32\n"
                         "  algorithm.num_steps: 2000\n  algorithm.initial_random_steps: 100\n"
                         "  algorithm.eval_every: 250\n  algorithm.eval_episodes: 1\n"
                         "  algorithm.checkpoint_every: 100\n"
                         "resources: {cpus_per_task: 1, mem: 1G, time: '00:10:00'}\n";
  const fs::path sweep = dir / "slurm_sweep";
  ASSERT_EQ(run_cli({"sweep", file.string(), "--backend", "slurm", "--dir", sweep.string()},
                    dir / "submit.log"),
            0)
      << slurp(dir / "submit.log");
  EXPECT_NE(slurp(dir / "submit.log").find("2 task(s), array 0-1"), std::string::npos)
      << slurp(dir / "submit.log");
  const std::string script = slurp(sweep / "slurm" / "array.sbatch");
  EXPECT_NE(script.find("#SBATCH --mem=1G"), std::string::npos) << script;
  EXPECT_NE(script.find("#SBATCH --time=00:10:00"), std::string::npos) << script;
  std::ifstream submissions(sweep / "slurm" / "submissions.txt");
  std::string job_id;
  ASSERT_TRUE(submissions >> job_id);

  // cancel task 0 once it has a checkpoint
  const fs::path checkpoint = sweep / "runs/hidden_size=16/s2/checkpoints/checkpoint.pt";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(checkpoint) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(fs::exists(checkpoint)) << slurp(sweep / "slurm" / (job_id + "_0.out"));
  ASSERT_EQ(std::system(("scancel " + job_id + "_0").c_str()), 0);
  const std::string after_cancel = wait_for_status(sweep, dir / "status.log", nothing_in_flight);
  ASSERT_TRUE(nothing_in_flight(after_cancel)) << after_cancel;
  EXPECT_NE(after_cancel.find("1 done, 1 interrupted"), std::string::npos)
      << "the cancel came too late to test anything? " << after_cancel;

  // resubmission sends only the interrupted task, which resumes from its checkpoint
  ASSERT_EQ(run_cli({"sweep", sweep.string(), "--backend", "slurm"}, dir / "resubmit.log"), 0)
      << slurp(dir / "resubmit.log");
  EXPECT_NE(slurp(dir / "resubmit.log").find("1 task(s), array 0,"), std::string::npos)
      << slurp(dir / "resubmit.log");
  const std::string final_status =
      wait_for_status(sweep, dir / "status.log",
                      [](const std::string& s) { return s.find(": 2 done") != std::string::npos; });
  ASSERT_NE(final_status.find(": 2 done"), std::string::npos) << final_status;
  std::ifstream again(sweep / "slurm" / "submissions.txt");
  std::string first, rest, second;
  ASSERT_TRUE(again >> first && std::getline(again, rest) && again >> second);
  EXPECT_NE(slurp(sweep / "slurm" / (second + "_0.out")).find("resuming"), std::string::npos)
      << slurp(sweep / "slurm" / (second + "_0.out"));

  // every run equals the local backend's run of the same job
  ASSERT_EQ(
      run_cli({"sweep", file.string(), "--dir", (dir / "local_sweep").string()}, dir / "local.log"),
      0)
      << slurp(dir / "local.log");
  for (const auto* run : {"runs/hidden_size=16/s2", "runs/hidden_size=24/s2"}) {
    for (const auto* f : {"metrics.csv", "eval.csv"}) {
      EXPECT_EQ(rows_without_times(sweep / run / f),
                rows_without_times(dir / "local_sweep" / run / f))
          << run << "/" << f;
    }
  }
  ASSERT_EQ(run_cli({"sweep", "collect", sweep.string()}, dir / "collect.log"), 0)
      << slurp(dir / "collect.log");
  EXPECT_EQ(slurp(sweep / "results.csv"), slurp(dir / "local_sweep" / "results.csv"));
}

}  // namespace
}  // namespace mbrl

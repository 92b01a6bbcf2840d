// Regression test of the refactors: the shipped PETS quick, SAC pendulum and MBPO pendulum
// configs, shortened by --set (tests/testdata/regression/cases.txt), must write exactly the
// metrics rows recorded from the code before the refactor (wall-time columns aside), as one of
// the kernel sets of tests/testdata/regression/rows/ gives them (README.md there: rows differ
// between BLAS kernels). A deliberate change of results re-records them in its own commit
// (scripts/record_regression_rows.sh); a refactor never does.
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/csv.h"
#include "tests/support/one_cpu.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

struct RegressionCase {
  std::string name, config;
  std::vector<std::string> overrides;
};

std::vector<RegressionCase> read_cases() {
  std::ifstream in(test::source_path("tests/testdata/regression/cases.txt"));
  std::vector<RegressionCase> cases;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    RegressionCase c;
    words >> c.name >> c.config;
    for (std::string o; words >> o;) c.overrides.push_back(o);
    cases.push_back(c);
  }
  return cases;
}

std::vector<std::string> lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

class RegressionTest : public ::testing::TestWithParam<RegressionCase> {};

TEST_P(RegressionTest, SameMetricsRowsAsRecorded) {
  const RegressionCase& c = GetParam();
  const fs::path run = test::scratch_dir() / c.name;
  std::string cmd = "'" + test::binary_path("apps/mbrl").string() + "' train '" +
                    test::source_path(c.config).string() + "'";
  for (const auto& o : c.overrides) cmd += " --set '" + o + "'";
  cmd += " --run-dir '" + run.string() + "' > '" + run.string() + ".log' 2>&1";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << cmd << "\n"
      << lines(run.string() + ".log").size() << " log lines in " << run << ".log";

  // the first difference from each kernel set's rows; none from one set: a pass
  std::string differences;
  bool matched = false;
  const fs::path sets = test::source_path("tests/testdata/regression/rows");
  for (const auto& set : fs::directory_iterator(sets)) {
    const fs::path reference = set.path() / c.name;
    if (!fs::is_directory(reference)) continue;
    std::string first_difference;
    int files = 0;
    for (const auto& entry : fs::directory_iterator(reference)) {
      if (entry.path().extension() != ".csv" || !first_difference.empty()) continue;
      ++files;
      const std::string file = entry.path().filename().string();
      const auto want = lines(entry.path());
      const auto got = test::rows_without_times(run / file);
      if (got.size() != want.size()) {
        first_difference = file + ": " + std::to_string(got.size()) + " rows, recorded " +
                           std::to_string(want.size());
      }
      for (size_t r = 0; r < want.size() && first_difference.empty(); ++r) {
        if (got[r] != want[r]) {
          first_difference =
              file + " line " + std::to_string(r + 1) + ": got " + got[r] + " recorded " + want[r];
        }
      }
    }
    if (files == 0) first_difference = "no recorded CSV";
    // every CSV the run writes has a recorded counterpart
    for (const auto& entry : fs::directory_iterator(run)) {
      if (entry.path().extension() == ".csv" && first_difference.empty() &&
          !fs::exists(reference / entry.path().filename())) {
        first_difference = "no recorded " + entry.path().filename().string();
      }
    }
    if (first_difference.empty()) matched = true;
    differences += "\n  " + set.path().filename().string() + ": " + first_difference;
  }
  EXPECT_TRUE(matched) << c.name << " matches no recorded set (see "
                       << "tests/testdata/regression/README.md):"
                       << (differences.empty() ? " no set records it" : differences);
}

// share_cpus lowers the threads that run while other processes load the CPUs; results must not
// follow. The case at threads=2 confined to one CPU (`taskset`: share_cpus runs one thread) writes
// the rows of the same case on every CPU (two threads whenever the CPUs are free).
TEST_P(RegressionTest, SameRowsWhenSharedCpusLowerTheRunningThreads) {
  const RegressionCase& c = GetParam();
  const fs::path root = test::scratch_dir();  // emptied at each call
  auto run = [&](const std::string& name, const std::string& prefix) {
    const fs::path dir = root / (c.name + "_" + name);
    std::string cmd = prefix + "'" + test::binary_path("apps/mbrl").string() + "' train '" +
                      test::source_path(c.config).string() + "'";
    for (const auto& o : c.overrides)
      cmd += " --set '" + (o == "threads=1" ? "threads=2" : o) + "'";
    cmd += " --run-dir '" + dir.string() + "' > '" + dir.string() + ".log' 2>&1";
    const int status = std::system(cmd.c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
    return dir;
  };
  const fs::path all = run("all_cpus", "");
  const fs::path one =
      run("one_cpu", "taskset -c " + std::to_string(test::first_allowed_cpu()) + " ");
  int files = 0;
  for (const auto& entry : fs::directory_iterator(all)) {
    if (entry.path().extension() != ".csv") continue;
    ++files;
    const auto want = test::rows_without_times(entry.path());
    const auto got = test::rows_without_times(one / entry.path().filename());
    ASSERT_EQ(got.size(), want.size()) << c.name << " " << entry.path().filename();
    for (size_t r = 0; r < want.size(); ++r)
      EXPECT_EQ(got[r], want[r]) << c.name << " " << entry.path().filename() << " line " << r + 1;
  }
  EXPECT_GT(files, 0);
}

INSTANTIATE_TEST_SUITE_P(ShippedConfigs, RegressionTest, ::testing::ValuesIn(read_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace mbrl

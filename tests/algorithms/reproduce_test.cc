// Tests for algorithms/reproduce.cc: a tiny table of random-agent runs, one entry built to pass
// and one built to fail, and bad table files.
#include "mbrl/algorithms/reproduce.h"

#include <fstream>

#include <gtest/gtest.h>

#include "mbrl/core/error.h"
#include "mbrl/log/learning_curves.h"
#include "tests/support/csv.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

class ReproduceTest : public test::MbrlTest {};

// random actions on 10-step pendulum episodes: returns between about -170 and 0
std::string tiny_table(const std::string& pass_published, const std::string& fail_published) {
  const std::string config = test::source_path("configs/random/pendulum.yaml").string();
  auto entry = [&](const std::string& name, const std::string& published) {
    return "  " + name + ":\n    config: " + config +
           "\n    seeds: [0, 1, 2]\n    budget: {key: algorithm.episodes, value: 4}\n"
           "    overrides: [env.max_episode_steps=10, threads=1]\n"
           "    metric: episode_return\n    published: " +
           published + "\n";
  };
  return "title: Tiny table\nentries:\n" + entry("random_pendulum", pass_published) +
         entry("built_to_fail", fail_published);
}

fs::path write_table(const fs::path& dir, const std::string& text) {
  const fs::path path = dir / "tiny.yaml";
  std::ofstream(path) << text;
  return path;
}

TEST_F(ReproduceTest, FillsItsTableAndSaysWhatIsOutsideTolerance) {
  const fs::path dir = test::scratch_dir();
  const auto table = load_reproduce_table(
      write_table(dir, tiny_table("{value: -80.25, tolerance: 80, source: 'a wide band'}",
                                  "{value: 1000000, tolerance: 1, source: 'impossible', at: 40}")));
  ASSERT_EQ(table.entries.size(), 2u);
  EXPECT_EQ(table.name, "tiny");
  ReproduceOptions options;
  options.runs_root = dir / "runs";
  options.seeds = 2;
  const ReproduceReport report = reproduce(table, options);

  ASSERT_EQ(report.results.size(), 2u);
  EXPECT_EQ(report.results[0].values.size(), 2u);  // --seeds 2 of 3
  EXPECT_TRUE(report.results[0].within);
  EXPECT_FALSE(report.results[1].within);
  EXPECT_NE(report.markdown.find("| random_pendulum |"), std::string::npos) << report.markdown;
  EXPECT_NE(report.markdown.find(" | -80.25 | ± 80 | "), std::string::npos) << report.markdown;
  EXPECT_NE(report.markdown.find("within tolerance"), std::string::npos);
  EXPECT_NE(report.markdown.find("**outside tolerance**"), std::string::npos);
  EXPECT_NE(report.markdown.find("algorithm.episodes=4"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "runs/tiny/results.md"));
  EXPECT_TRUE(fs::exists(dir / "runs/tiny/random_pendulum/s1/agent.pt"));
  if (gnuplot_available()) {
    EXPECT_EQ(report.plots.size(), 2u);
  }

  // a second call reuses the finished runs: same numbers, no new run folder
  const auto again = reproduce(table, options);
  EXPECT_EQ(again.results[0].values, report.results[0].values);

  // a budget fraction scales the run length and says so
  options.budget = 0.5;
  const auto quick = reproduce(table, options);
  EXPECT_EQ(quick.results[0].budget, 2);
  EXPECT_NE(quick.markdown.find("Budget 50% of the published one"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "runs/tiny/random_pendulum/s0-budget2/agent.pt"));
}

TEST_F(ReproduceTest, BadTablesAreConfigErrorsNamingTheKey) {
  const fs::path dir = test::scratch_dir();
  const std::string ok = "{value: 0, tolerance: 1, source: s}";
  EXPECT_THROW_WITH(load_reproduce_table(dir / "missing.yaml"), ConfigError, "missing.yaml");
  auto table = tiny_table(ok, ok);
  EXPECT_THROW_WITH(load_reproduce_table(write_table(dir, table + "colour: red\n")), ConfigError,
                    "colour");
  auto bad = table;
  bad.replace(bad.find("seeds: [0, 1, 2]"), 16, "seeds: []");
  EXPECT_THROW_WITH(load_reproduce_table(write_table(dir, bad)), ConfigError, "seeds");
  bad = table;
  bad.replace(bad.find("tolerance: 1"), 12, "tolerance: -1");
  EXPECT_THROW_WITH(load_reproduce_table(write_table(dir, bad)), ConfigError, "tolerance");
  bad = table;
  bad.replace(bad.find("configs/random/pendulum.yaml"), 28, "configs/random/nothing.yaml");
  EXPECT_THROW_WITH(load_reproduce_table(write_table(dir, bad)), ConfigError, "no config file");
  ReproduceOptions too_much;
  too_much.budget = 1.5;
  too_much.runs_root = dir / "runs";
  EXPECT_THROW_WITH(reproduce(load_reproduce_table(write_table(dir, table)), too_much), ConfigError,
                    "--budget");
}

// mean_last: the mean of the last `statistic_window` values of each run's column
TEST_F(ReproduceTest, MeanLastAveragesTheLastValuesOfEachRun) {
  const fs::path dir = test::scratch_dir();
  std::string text =
      tiny_table("{value: 0, tolerance: 1, source: s}", "{value: 0, tolerance: 1, source: s}");
  const std::string metric = "    metric: episode_return\n";
  text.replace(text.find(metric), metric.size(),
               metric + "    statistic: mean_last\n    statistic_window: 3\n");
  ReproduceOptions options;
  options.runs_root = dir / "runs";
  options.seeds = 1;
  const ReproduceReport report = reproduce(load_reproduce_table(write_table(dir, text)), options);
  const test::Csv csv = test::read_csv(dir / "runs/tiny/random_pendulum/s0/metrics.csv");
  ASSERT_EQ(csv.rows.size(), 4u);
  double last3 = 0;
  for (size_t r = 1; r < 4; ++r) last3 += std::stod(csv.column(r, "episode_return")) / 3;
  EXPECT_NEAR(report.results[0].values.at(0), last3, 1e-4);
  EXPECT_NEAR(report.results[1].values.at(0), std::stod(csv.column(3, "episode_return")), 1e-4);

  std::string bad = text;
  bad.replace(bad.find("statistic_window: 3"), 19, "statistic_window: 0");
  EXPECT_THROW_WITH(load_reproduce_table(write_table(dir, bad)), ConfigError, "statistic_window");
}

// every run that would start is built first: an entry that cannot start (here an override of a
// key the config does not have) stops the table before any run, not after the entries before it
TEST_F(ReproduceTest, AnEntryThatCannotStartStopsTheTableBeforeAnyRun) {
  const fs::path dir = test::scratch_dir();
  std::string text =
      tiny_table("{value: 0, tolerance: 1, source: s}", "{value: 0, tolerance: 1, source: s}");
  const std::string overrides = "overrides: [env.max_episode_steps=10, threads=1]";
  text.replace(text.rfind(overrides), overrides.size(),
               "overrides: [env.max_episode_steps=10, threads=1, algorithm.colour=red]");
  ReproduceOptions options;
  options.runs_root = dir / "runs";
  options.seeds = 1;
  EXPECT_THROW_WITH(reproduce(load_reproduce_table(write_table(dir, text)), options), ConfigError,
                    "algorithm.colour");
  EXPECT_FALSE(fs::exists(dir / "runs/tiny/random_pendulum"));
}

TEST_F(ReproduceTest, ShippedTablesLoad) {
  for (const auto& entry : fs::directory_iterator(test::source_path("configs/reproduce"))) {
    SCOPED_TRACE(entry.path().string());
    const auto table = load_reproduce_table(entry.path());
    EXPECT_FALSE(table.entries.empty());
    for (const auto& e : table.entries) EXPECT_FALSE(e.source.empty()) << e.name;
  }
}

}  // namespace
}  // namespace mbrl

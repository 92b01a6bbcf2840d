// Tests for log/learning_curves.cc: reading run folders, averaging seeds, PNGs from gnuplot.
#include "mbrl/log/learning_curves.h"

#include <fstream>

#include <gtest/gtest.h>

#include "mbrl/core/error.h"
#include "tests/support/expect_throw.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

// a run folder as `mbrl train` writes it, with an eval.csv of (env_steps, eval_return) rows
fs::path fake_run(const fs::path& root, const std::string& leaf, uint64_t seed,
                  const std::vector<std::pair<int, double>>& rows,
                  const std::string& extra_config = "") {
  const fs::path dir = root / leaf;
  fs::create_directories(dir);
  std::ofstream(dir / "config.yaml")
      << "name: sac/pendulum\nseed: " << seed << "\nenv: {type: pendulum}\n"
      << extra_config;
  std::ofstream(dir / "metrics.csv") << "episode,env_steps,episode_return\n1,200,-1000\n";
  std::ofstream csv(dir / "eval.csv");
  csv << "env_steps,eval_return,eval_return_std,elapsed_s\n";
  for (const auto& [x, y] : rows) csv << x << "," << y << ",0,1.0\n";
  return dir;
}

// width and height from a PNG's IHDR chunk, or {0, 0} when the file is no PNG
std::pair<int, int> png_size(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char h[24] = {0};
  in.read(reinterpret_cast<char*>(h), 24);
  const unsigned char magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (in.gcount() < 24 || !std::equal(magic, magic + 8, h) || std::string(h + 12, h + 16) != "IHDR")
    return {0, 0};
  auto be32 = [&](int o) { return (h[o] << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]; };
  return {be32(16), be32(20)};
}

TEST(LearningCurvesTest, ReadsTheFirstCsvWithBothColumns) {
  const fs::path root = test::scratch_dir();
  const auto dir = fake_run(root, "a", 0, {{1000, -900}, {2000, -400}});
  RunCurve eval = read_run_curve(dir, "eval_return", "env_steps");
  EXPECT_EQ(eval.label, "sac/pendulum");
  EXPECT_EQ(eval.x, (std::vector<double>{1000, 2000}));
  EXPECT_EQ(eval.y, (std::vector<double>{-900, -400}));
  RunCurve episode = read_run_curve(dir, "episode_return", "env_steps");  // metrics.csv
  EXPECT_EQ(episode.y, (std::vector<double>{-1000}));
  EXPECT_THROW_WITH(read_run_curve(dir, "no_such_column", "env_steps"), DataError,
                    "no CSV with both columns");
  EXPECT_THROW_WITH(read_run_curve(root / "missing", "eval_return", "env_steps"), DataError,
                    "not a run folder");
}

// a run folder with one CSV of the given header
fs::path run_with(const fs::path& root, const std::string& leaf, const std::string& file,
                  const std::string& header) {
  const fs::path dir = root / leaf;
  fs::create_directories(dir);
  std::ofstream(dir / "config.yaml") << "seed: 0\n";
  std::ofstream(dir / file) << header << "\n";
  return dir;
}

TEST(LearningCurvesTest, DefaultCurveIsTheFirstCommonToEveryRunKind) {
  const fs::path root = test::scratch_dir();
  const auto sac = fake_run(root, "sac", 0, {{1000, -900}});  // eval.csv and metrics.csv
  const auto pets = run_with(root, "pets", "metrics.csv",
                             "trial,env_steps,episode_return,episode_length,elapsed_s");
  const auto fit = run_with(root, "fit", "metrics.csv",
                            "round,gradient_steps,env_steps,train_loss,open_loop_obs_mse");
  auto chosen = [](const std::vector<fs::path>& runs, const std::string& m = "",
                   const std::string& x = "") {
    const CurveColumns c = choose_curve_columns(runs, m, x);
    return c.metric + " vs " + c.x;
  };
  EXPECT_EQ(chosen({sac}), "eval_return vs env_steps");
  EXPECT_EQ(chosen({pets}), "episode_return vs env_steps");
  EXPECT_EQ(chosen({sac, pets}), "episode_return vs env_steps");  // the one both have
  EXPECT_EQ(chosen({fit}), "open_loop_obs_mse vs env_steps");
  EXPECT_EQ(chosen({fit}, "", "gradient_steps"), "open_loop_obs_mse vs gradient_steps");
  EXPECT_EQ(chosen({fit}, "train_loss"), "train_loss vs env_steps");
  // no common column: one line naming every run's CSV columns
  try {
    choose_curve_columns({pets, fit});
    ADD_FAILURE() << "expected a DataError";
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("no curve common to every run"), std::string::npos) << what;
    EXPECT_NE(what.find("metrics.csv [trial, env_steps, episode_return"), std::string::npos)
        << what;
    EXPECT_NE(what.find("open_loop_obs_mse]"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_THROW_WITH(choose_curve_columns({pets}, "no_such_column"), DataError,
                    "tried no_such_column against env_steps or gradient_steps");
  EXPECT_THROW_WITH(choose_curve_columns({root / "missing"}), DataError, "not a run folder");
}

TEST(LearningCurvesTest, SeedsOfOneConfigAreAveragedOnTheShortestGrid) {
  const fs::path root = test::scratch_dir();
  std::vector<RunCurve> curves = {
      read_run_curve(fake_run(root, "s0", 0, {{0, 0}, {10, 10}, {20, 20}}), "eval_return",
                     "env_steps"),
      read_run_curve(fake_run(root, "s1", 1, {{0, 2}, {5, 7}, {10, 12}}), "eval_return",
                     "env_steps"),
      read_run_curve(fake_run(root, "other", 0, {{0, 100}}, "threads: 1\n"), "eval_return",
                     "env_steps")};
  const auto bands = average_over_seeds(curves);
  ASSERT_EQ(bands.size(), 2u);  // the third run has another config
  EXPECT_EQ(bands[0].runs, 2);
  EXPECT_EQ(bands[0].x, (std::vector<double>{0, 5, 10}));
  // seed 0 interpolated at x = 5 is 5; mean of (0, 2), (5, 7), (10, 12)
  EXPECT_EQ(bands[0].mean, (std::vector<double>{1, 6, 11}));
  EXPECT_EQ(bands[0].std, (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(bands[1].runs, 1);
  EXPECT_EQ(bands[1].std, (std::vector<double>{0}));
}

TEST(LearningCurvesTest, ThreeSeedsGiveAPngOfTheRequestedSize) {
  if (!gnuplot_available()) GTEST_SKIP() << "no gnuplot on PATH";
  const fs::path root = test::scratch_dir();
  const std::string published =
      "published: {metric: eval_return, source: 'test', env_steps: [2000], values: [-150]}\n";
  std::vector<RunCurve> curves;
  for (uint64_t s = 0; s < 3; ++s) {
    curves.push_back(read_run_curve(
        fake_run(root, "s" + std::to_string(s), s,
                 {{1000, -900.0 + 10 * s}, {2000, -400.0 - 20 * s}, {3000, -200.0}}, published),
        "eval_return", "env_steps"));
  }
  ASSERT_TRUE(curves[0].published.has_value());
  const auto bands = average_over_seeds(curves);
  ASSERT_EQ(bands.size(), 1u);
  PlotOptions options;
  options.output = root / "curve.png";
  options.width = 640;
  options.height = 400;
  plot_curves(bands, options);
  EXPECT_EQ(png_size(options.output), std::make_pair(640, 400));
  // nothing but the PNG is left beside it
  int entries = 0;
  for (const auto& e : fs::directory_iterator(root)) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1);
}

TEST(LearningCurvesTest, NothingToPlotIsADataError) {
  if (!gnuplot_available()) GTEST_SKIP() << "no gnuplot on PATH";
  PlotOptions options;
  options.output = test::scratch_dir() / "empty.png";
  EXPECT_THROW_WITH(plot_curves({}, options), DataError, "nothing to plot");
}

}  // namespace
}  // namespace mbrl

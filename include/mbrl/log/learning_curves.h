// Learning curves of run folders: read a metric against a step column from a run's CSVs, average
// runs of one config over seeds, and draw them as a PNG with gnuplot.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mbrl {

/// Reference points of a published curve or table, drawn as markers (`published:` of a config).
struct PublishedPoints {
  std::string source;  // e.g. "Chua et al. 2018, Fig. 3"
  std::vector<double> x, y;
};

/// One run's curve: `metric` against `x` from the first CSV of the run folder that has both
/// columns (metrics.csv first, then the others by name); rows where either is empty are skipped.
struct RunCurve {
  std::filesystem::path run_dir;
  std::string label;       // the config's `name`
  std::string config_key;  // the resolved config without its seed: equal for seeds of one config
  std::vector<double> x, y;
  std::optional<PublishedPoints> published;  // the config's `published:` entry, if it has one
};

/// Reads the curve of `run_dir`; DataError naming the folder when no CSV has both columns, when
/// config.yaml is missing, or a cell is not a number.
RunCurve read_run_curve(const std::filesystem::path& run_dir, const std::string& metric,
                        const std::string& x);

/// The columns a curve draws: `metric` (y) against `x`.
struct CurveColumns {
  std::string metric, x;
};

/// The curve every run kind draws by default: the first metric of eval_return (SAC, MBPO),
/// episode_return (PETS, random and every episode loop), open_loop_obs_mse (fit_model) that
/// every run of `run_dirs` has, in one CSV, together with the first step column of env_steps,
/// gradient_steps. A non-empty `metric` or `x` fixes that part. Throws DataError naming the
/// first run folder that is not one, or, when no choice is common to all runs, every run's CSV
/// columns (one line).
CurveColumns choose_curve_columns(const std::vector<std::filesystem::path>& run_dirs,
                                  const std::string& metric = "", const std::string& x = "");

/// The runs of one config (same config_key) on a common grid: the x values of the run that ends
/// first, the other runs interpolated linearly there. mean and std are over runs (std 0 for one).
struct CurveBand {
  std::string label;
  int64_t runs = 0;
  std::vector<double> x, mean, std;
  bool points = false;  // plot_curves draws the means as markers without a line (a scatter)
  std::optional<PublishedPoints> published;
};

/// Groups `curves` by config (in order of first appearance) into bands.
std::vector<CurveBand> average_over_seeds(const std::vector<RunCurve>& curves);

struct PlotOptions {
  std::string metric = "eval_return";
  std::string x = "env_steps";
  std::filesystem::path output = "curves.png";
  int width = 800;  // pixels
  int height = 500;
  std::string title;  // empty: the metric
};

/// Whether `gnuplot` (with the pngcairo terminal) is on PATH.
bool gnuplot_available();

/// Draws each band as a line (the mean) with a shaded band (mean +- std, when it has several
/// runs) and its published points as markers, into options.output (written atomically) with
/// gnuplot's pngcairo terminal. IoError when gnuplot is missing or fails.
void plot_curves(const std::vector<CurveBand>& bands, const PlotOptions& options);

}  // namespace mbrl

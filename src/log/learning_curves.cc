// Learning curves: CSV columns of run folders, averaged over seeds, drawn by gnuplot.
#include "mbrl/log/learning_curves.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "mbrl/core/check.h"
#include "mbrl/core/error.h"

extern char** environ;

namespace fs = std::filesystem;

namespace mbrl {
namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream in(line);
  for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

// (x, y) pairs of a CSV with both columns, or nullopt when it lacks one
std::optional<std::pair<std::vector<double>, std::vector<double>>> read_columns(
    const fs::path& csv, const std::string& x_name, const std::string& y_name) {
  std::ifstream in(csv);
  std::string header;
  if (!in || !std::getline(in, header)) return std::nullopt;
  const auto names = split_csv_line(header);
  const auto xi = std::find(names.begin(), names.end(), x_name) - names.begin();
  const auto yi = std::find(names.begin(), names.end(), y_name) - names.begin();
  if (xi == static_cast<long>(names.size()) || yi == static_cast<long>(names.size()))
    return std::nullopt;
  std::vector<double> xs, ys;
  int64_t row = 1;
  for (std::string line; std::getline(in, line); ++row) {
    const auto cells = split_csv_line(line);
    const auto cell = [&](long i) { return i < static_cast<long>(cells.size()) ? cells[i] : ""; };
    const std::string xc = cell(xi), yc = cell(yi);
    if (xc.empty() || yc.empty()) continue;
    char* end_x = nullptr;
    char* end_y = nullptr;
    const double xv = std::strtod(xc.c_str(), &end_x);
    const double yv = std::strtod(yc.c_str(), &end_y);
    if (*end_x != '\0' || *end_y != '\0') {
      throw DataError(
          detail::str(csv.string(), ": row ", row, ": '", xc, "' or '", yc, "' is not a number"));
    }
    xs.push_back(xv);
    ys.push_back(yv);
  }
  return std::make_pair(std::move(xs), std::move(ys));
}

std::optional<PublishedPoints> published_of(const YAML::Node& config, const std::string& metric) {
  const YAML::Node p = config["published"];
  if (!p || !p.IsMap()) return std::nullopt;
  if (p["metric"] && p["metric"].as<std::string>() != metric) return std::nullopt;
  PublishedPoints out;
  if (p["source"]) out.source = p["source"].as<std::string>();
  if (p["env_steps"]) out.x = p["env_steps"].as<std::vector<double>>();
  if (p["values"]) out.y = p["values"].as<std::vector<double>>();
  if (out.x.size() != out.y.size() || out.x.empty()) return std::nullopt;
  return out;
}

// y of the piecewise-linear curve (xs ascending) at x, clamped to its ends
double interpolate(const std::vector<double>& xs, const std::vector<double>& ys, double x) {
  if (x <= xs.front()) return ys.front();
  if (x >= xs.back()) return ys.back();
  const auto hi = std::lower_bound(xs.begin(), xs.end(), x) - xs.begin();
  const auto lo = hi - 1;
  const double t = (x - xs[lo]) / (xs[hi] - xs[lo]);
  return ys[lo] + t * (ys[hi] - ys[lo]);
}

std::string gnuplot_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// runs `argv` and waits; the exit status, or -1 when it cannot be started
int run_process(const std::vector<std::string>& args, const fs::path& stderr_file) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};

}  // namespace

namespace {

// the CSVs of `run_dir`, metrics.csv first, then the others by name; DataError when it is no run
// folder
std::vector<fs::path> run_csvs(const fs::path& run_dir) {
  std::error_code ec;
  if (!fs::exists(run_dir / "config.yaml", ec))
    throw DataError(run_dir.string() + ": not a run folder (no config.yaml)");
  std::vector<fs::path> csvs;
  for (const auto& entry : fs::directory_iterator(run_dir, ec)) {
    if (entry.path().extension() == ".csv") csvs.push_back(entry.path());
  }
  std::sort(csvs.begin(), csvs.end(), [](const fs::path& a, const fs::path& b) {
    const bool am = a.filename() == "metrics.csv", bm = b.filename() == "metrics.csv";
    return am != bm ? am : a < b;
  });
  return csvs;
}

// the header of every CSV of `run_dir` by file name, in run_csvs' order
std::vector<std::pair<std::string, std::vector<std::string>>> csv_headers(const fs::path& run_dir) {
  const std::vector<fs::path> csvs = run_csvs(run_dir);
  std::vector<std::pair<std::string, std::vector<std::string>>> headers;
  for (const auto& csv : csvs) {
    std::ifstream in(csv);
    std::string header;
    if (in && std::getline(in, header))
      headers.emplace_back(csv.filename().string(), split_csv_line(header));
  }
  return headers;
}

}  // namespace

CurveColumns choose_curve_columns(const std::vector<fs::path>& run_dirs, const std::string& metric,
                                  const std::string& x) {
  const std::vector<std::string> metrics =
      metric.empty()
          ? std::vector<std::string>{"eval_return", "episode_return", "open_loop_obs_mse"}
          : std::vector<std::string>{metric};
  const std::vector<std::string> xs = x.empty()
                                          ? std::vector<std::string>{"env_steps", "gradient_steps"}
                                          : std::vector<std::string>{x};
  std::vector<std::vector<std::pair<std::string, std::vector<std::string>>>> runs;
  for (const auto& dir : run_dirs) runs.push_back(csv_headers(dir));
  const auto has = [](const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  for (const auto& m : metrics) {
    for (const auto& step : xs) {
      const bool everywhere = std::all_of(runs.begin(), runs.end(), [&](const auto& csvs) {
        return std::any_of(csvs.begin(), csvs.end(), [&](const auto& csv) {
          return has(csv.second, m) && has(csv.second, step);
        });
      });
      if (everywhere) return {m, step};
    }
  }
  std::string tried, columns;
  for (const auto& m : metrics) tried += (tried.empty() ? "" : ", ") + m;
  tried += " against ";
  for (size_t i = 0; i < xs.size(); ++i) tried += (i ? " or " : "") + xs[i];
  for (size_t r = 0; r < runs.size(); ++r) {
    columns += "; " + run_dirs[r].string() + ":";
    for (const auto& [file, names] : runs[r]) {
      columns += " " + file + " [";
      for (size_t i = 0; i < names.size(); ++i) columns += (i ? ", " : "") + names[i];
      columns += "]";
    }
  }
  throw DataError("no curve common to every run (tried " + tried + ")" + columns);
}

RunCurve read_run_curve(const fs::path& run_dir, const std::string& metric, const std::string& x) {
  const std::vector<fs::path> csvs = run_csvs(run_dir);  // checks that it is a run folder
  const fs::path config_path = run_dir / "config.yaml";
  YAML::Node config;
  try {
    config = YAML::LoadFile(config_path.string());
  } catch (const YAML::Exception& e) {
    throw DataError(config_path.string() + ": " + e.what());
  }
  RunCurve curve;
  curve.run_dir = run_dir;
  curve.label = config["name"] ? config["name"].as<std::string>() : run_dir.filename().string();
  YAML::Node without_seed = YAML::Clone(config);
  without_seed.remove("seed");
  YAML::Emitter emitter;
  emitter << without_seed;
  curve.config_key = emitter.c_str();
  curve.published = published_of(config, metric);

  for (const auto& csv : csvs) {
    if (auto cols = read_columns(csv, x, metric)) {
      curve.x = std::move(cols->first);
      curve.y = std::move(cols->second);
      return curve;
    }
  }
  throw DataError(run_dir.string() + ": no CSV with both columns '" + x + "' and '" + metric + "'");
}

std::vector<CurveBand> average_over_seeds(const std::vector<RunCurve>& curves) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const RunCurve*>> groups;
  for (const auto& c : curves) {
    if (!groups.count(c.config_key)) order.push_back(c.config_key);
    groups[c.config_key].push_back(&c);
  }
  std::vector<CurveBand> bands;
  for (const auto& key : order) {
    const auto& runs = groups[key];
    CurveBand band;
    band.label = runs.front()->label;
    band.runs = static_cast<int64_t>(runs.size());
    band.published = runs.front()->published;
    // the grid: x of the run that ends first
    const RunCurve* shortest = nullptr;
    for (const auto* r : runs) {
      if (r->x.empty()) continue;
      if (!shortest || r->x.back() < shortest->x.back()) shortest = r;
    }
    if (shortest) {
      band.x = shortest->x;
      for (double x : band.x) {
        double sum = 0, sum_sq = 0;
        int64_t n = 0;
        for (const auto* r : runs) {
          if (r->x.empty()) continue;
          const double y = interpolate(r->x, r->y, x);
          sum += y, sum_sq += y * y, ++n;
        }
        const double mean = sum / n;
        band.mean.push_back(mean);
        band.std.push_back(n > 1 ? std::sqrt(std::max(0.0, sum_sq / n - mean * mean)) : 0.0);
      }
    }
    bands.push_back(std::move(band));
  }
  return bands;
}

bool gnuplot_available() {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && ::access((fs::path(dir) / "gnuplot").c_str(), X_OK) == 0) return true;
  }
  return false;
}

void plot_curves(const std::vector<CurveBand>& bands, const PlotOptions& options) {
  const fs::path output = options.output;
  if (!gnuplot_available())
    throw IoError(output.string(), "cannot draw: gnuplot is not on PATH (Debian: gnuplot-nox)");
  MBRL_CHECK_ARG(options.width >= 64 && options.height >= 64, "size",
                 "expected at least 64x64 pixels, got ", options.width, "x", options.height);
  const fs::path parent = output.has_parent_path() ? output.parent_path() : fs::path(".");
  const fs::path work = parent / detail::str(".plot-", ::getpid(), "-", output.filename().string());
  fs::create_directories(work);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{work};

  std::ostringstream script;
  const fs::path tmp_png = work / "out.png";
  script << "set terminal pngcairo size " << options.width << "," << options.height
         << " enhanced font 'DejaVu Sans,10'\n"
         << "set output " << gnuplot_quote(tmp_png.string()) << "\n"
         << "set datafile separator ','\n"
         << "set title " << gnuplot_quote(options.title.empty() ? options.metric : options.title)
         << " noenhanced\n"
         << "set xlabel " << gnuplot_quote(options.x) << " noenhanced\n"
         << "set ylabel " << gnuplot_quote(options.metric) << " noenhanced\n"
         << "set grid\nset key below noenhanced\n";  // under the axes: it never hides a point
  std::vector<std::string> plots;
  for (size_t i = 0; i < bands.size(); ++i) {
    const auto& b = bands[i];
    const std::string color = kColors[i % (sizeof(kColors) / sizeof(kColors[0]))];
    if (!b.x.empty()) {
      const fs::path data = work / detail::str("band", i, ".csv");
      std::ofstream out(data);
      out.precision(10);
      for (size_t k = 0; k < b.x.size(); ++k) {
        out << b.x[k] << "," << b.mean[k] << "," << b.mean[k] - b.std[k] << ","
            << b.mean[k] + b.std[k] << "\n";
      }
      const std::string title =
          b.runs > 1 ? detail::str(b.label, " (mean +- std, ", b.runs, " seeds)") : b.label;
      if (b.runs > 1) {
        plots.push_back(gnuplot_quote(data.string()) +
                        " using 1:3:4 with filledcurves fs transparent solid 0.25 noborder lc "
                        "rgb '" +
                        color + "' notitle");
      }
      plots.push_back(gnuplot_quote(data.string()) + " using 1:2 with " +
                      (b.points ? "points pt 7 ps 1.2" : "lines lw 2") + " lc rgb '" + color +
                      "' title " + gnuplot_quote(title));
    }
    if (b.published) {
      const fs::path data = work / detail::str("published", i, ".csv");
      std::ofstream out(data);
      out.precision(10);
      for (size_t k = 0; k < b.published->x.size(); ++k)
        out << b.published->x[k] << "," << b.published->y[k] << "\n";
      const std::string title =
          "published" +
          (b.published->source.empty() ? std::string() : " (" + b.published->source + ")");
      plots.push_back(gnuplot_quote(data.string()) + " using 1:2 with points pt 7 ps 1.2 lc rgb '" +
                      color + "' title " + gnuplot_quote(title));
    }
  }
  if (plots.empty()) throw DataError(output.string() + ": nothing to plot (no points)");
  script << "plot ";
  for (size_t i = 0; i < plots.size(); ++i) script << (i ? ", \\\n     " : "") << plots[i];
  script << "\n";
  const fs::path script_path = work / "plot.gp";
  std::ofstream(script_path) << script.str();

  const fs::path err = work / "gnuplot.err";
  const int rc = run_process({"gnuplot", script_path.string()}, err);
  std::error_code ec;
  if (rc != 0 || !fs::exists(tmp_png, ec)) {
    std::ifstream in(err);
    std::string first;
    std::getline(in, first);
    throw IoError(output.string(), detail::str("gnuplot failed (exit ", rc, "): ", first));
  }
  fs::rename(tmp_png, output, ec);
  if (ec) throw IoError(output.string(), "cannot write: " + ec.message());
}

}  // namespace mbrl

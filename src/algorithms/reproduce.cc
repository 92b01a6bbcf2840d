// Reproduction tables: run what is missing, summarise beside the published numbers.
#include "mbrl/algorithms/reproduce.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "mbrl/algorithms/experiment.h"
#include "mbrl/config/loader.h"
#include "mbrl/core/check.h"
#include "mbrl/core/error.h"
#include "mbrl/io/atomic_file.h"
#include "mbrl/io/run_dir.h"
#include "mbrl/log/learning_curves.h"
#include "mbrl/log/log.h"

namespace fs = std::filesystem;

namespace mbrl {
namespace {

// 4 significant digits below 1000 (a normalised score keeps its decimal: 108.2), whole numbers
// from 1000 on (returns: 3250)
std::string format_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), std::fabs(v) >= 1000 ? "%.0f" : "%.4g", v);
  return buf;
}

ReproduceEntry read_entry(const ConfigNode& node, const std::string& name,
                          const fs::path& table_dir) {
  ReproduceEntry e;
  e.name = name;
  const auto config = node.get<std::string>("config");
  e.config = fs::path(config).is_absolute() ? fs::path(config) : table_dir / config;
  std::error_code ec;
  if (!fs::is_regular_file(e.config, ec))
    throw node.error("config", "no config file '" + e.config.string() + "'");
  const auto seeds = node.get<std::vector<int64_t>>("seeds");
  if (seeds.empty()) throw node.error("seeds", "expected at least one seed");
  for (int64_t s : seeds) {
    if (s < 0) throw node.error("seeds", "expected seeds >= 0, got " + std::to_string(s));
    e.seeds.push_back(static_cast<uint64_t>(s));
  }
  const ConfigNode budget = node.child("budget");
  e.budget_key = budget.get<std::string>("key");
  e.budget = budget.get<int64_t>("value");
  if (e.budget < 1) throw budget.error("value", "expected a positive integer");
  e.overrides = node.get_or("overrides", e.overrides);
  e.metric = node.get_or("metric", e.metric);
  e.x = node.get_or("x", e.x);
  e.statistic = node.get_or("statistic", e.statistic);
  if (e.statistic != "last" && e.statistic != "max" && e.statistic != "mean_last")
    throw node.error("statistic", "expected last, max or mean_last, got '" + e.statistic + "'");
  if (e.statistic == "mean_last") {
    e.statistic_window = node.get_or("statistic_window", e.statistic_window);
    if (e.statistic_window < 1) throw node.error("statistic_window", "expected an integer >= 1");
  }
  const ConfigNode published = node.child("published");
  e.published = published.get<double>("value");
  if (published.has("at")) e.published_at = published.get<double>("at");
  e.source = published.get<std::string>("source");
  e.tolerance = published.get<double>("tolerance");
  if (e.tolerance < 0) throw published.error("tolerance", "expected a number >= 0");
  e.comparison = published.get_or("comparison", e.comparison);
  if (e.comparison != "within" && e.comparison != "at_least")
    throw published.error("comparison", "expected within or at_least, got '" + e.comparison + "'");
  return e;
}

// the `--set` overrides of one seed of an entry at `budget`
std::vector<std::string> run_overrides(const ReproduceEntry& e, uint64_t seed, int64_t budget) {
  std::vector<std::string> sets = e.overrides;
  sets.push_back("seed=" + std::to_string(seed));
  sets.push_back(e.budget_key + "=" + std::to_string(budget));
  return sets;
}

// the run length of an entry under --budget
int64_t scaled_budget(const ReproduceEntry& e, const ReproduceOptions& options) {
  return std::max<int64_t>(1, std::llround(options.budget * static_cast<double>(e.budget)));
}

// the seeds of an entry that --seeds keeps
std::vector<uint64_t> seeds_to_run(const ReproduceEntry& e, const ReproduceOptions& options) {
  const size_t n =
      options.seeds > 0 ? std::min<size_t>(options.seeds, e.seeds.size()) : e.seeds.size();
  return {e.seeds.begin(), e.seeds.begin() + static_cast<std::ptrdiff_t>(n)};
}

// the run folder of one seed of an entry
fs::path run_folder(const fs::path& table_dir, const ReproduceEntry& e, uint64_t seed,
                    int64_t budget, bool full) {
  const std::string name = full ? "s" + std::to_string(seed)
                                : "s" + std::to_string(seed) + "-budget" + std::to_string(budget);
  return table_dir / e.name / name;
}

// Builds, without running, one run of every entry that has a run to start afresh, so that a bad
// override or a missing file (an offline entry's dataset) stops the table before its first run
// rather than after the hours of the entries before it. An entry's seeds differ only in `seed`,
// so one build per entry checks them all. Runs that are done or resume from a checkpoint are left
// to complete_run.
void check_new_runs_build(const ReproduceTable& table, const fs::path& table_dir,
                          const ReproduceOptions& options) {
  const bool full = options.budget == 1.0;
  for (const auto& e : table.entries) {
    const int64_t budget = scaled_budget(e, options);
    for (uint64_t seed : seeds_to_run(e, options)) {
      const fs::path dir = run_folder(table_dir, e, seed, budget, full);
      std::error_code ec;
      if (fs::exists(dir / "agent.pt", ec) || fs::exists(dir / "checkpoints" / "checkpoint.pt", ec))
        continue;
      try {
        Experiment(load_config(e.config.string(), run_overrides(e, seed, budget)), e.name);
      } catch (const Error&) {
        log::logger("run")->error("{} (seed {}) cannot start; no run was started", e.name, seed);
        throw;
      }
      break;  // the entry's first run to start was built
    }
  }
}

double statistic_of(const ReproduceEntry& e, const RunCurve& curve) {
  if (curve.y.empty())
    throw DataError(curve.run_dir.string() + ": no value of '" + e.metric + "' was logged");
  if (e.statistic == "max") return *std::max_element(curve.y.begin(), curve.y.end());
  if (e.statistic == "mean_last") {  // over fewer values when the run logged fewer
    const size_t n = std::min<size_t>(curve.y.size(), static_cast<size_t>(e.statistic_window));
    double sum = 0;
    for (size_t i = curve.y.size() - n; i < curve.y.size(); ++i) sum += curve.y[i];
    return sum / static_cast<double>(n);
  }
  return curve.y.back();
}

}  // namespace

ReproduceTable load_reproduce_table(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw ConfigError(path.string(), "", "no reproduction table file (configs/reproduce/*.yaml)");
  ConfigNode root = load_config(path.string());
  ReproduceTable table;
  table.name = path.stem().string();
  table.title = root.get_or("title", table.name);
  const ConfigNode entries = root.child("entries");
  for (const auto& name : entries.keys())
    table.entries.push_back(read_entry(entries.child(name), name, path.parent_path()));
  if (table.entries.empty()) throw entries.error("expected at least one entry");
  root.check_all_read();
  return table;
}

ReproduceReport reproduce(const ReproduceTable& table, const ReproduceOptions& options) {
  if (!(options.budget > 0 && options.budget <= 1)) {
    throw ConfigError("--budget", "",
                      "expected a fraction in (0, 1], got " + std::to_string(options.budget));
  }
  if (options.seeds < 0) throw ConfigError("--seeds", "", "expected an integer >= 0");
  const fs::path table_dir = options.runs_root / table.name;
  const bool full = options.budget == 1.0;
  check_new_runs_build(table, table_dir, options);
  ReproduceReport report;
  for (const auto& e : table.entries) {
    ReproduceResult r;
    r.entry = &e;
    r.budget = scaled_budget(e, options);
    std::vector<RunCurve> curves;
    for (uint64_t seed : seeds_to_run(e, options)) {
      const fs::path dir = run_folder(table_dir, e, seed, r.budget, full);
      complete_run(e.config, run_overrides(e, seed, r.budget), dir, e.name, options.before_run);
      r.run_dirs.push_back(dir);
      curves.push_back(read_run_curve(dir, e.metric, e.x));
      r.values.push_back(statistic_of(e, curves.back()));
    }
    double sum = 0, sum_sq = 0;
    for (double v : r.values) sum += v, sum_sq += v * v;
    r.mean = sum / static_cast<double>(r.values.size());
    r.std = r.values.size() > 1
                ? std::sqrt(std::max(
                      0.0, sum_sq / static_cast<double>(r.values.size()) - r.mean * r.mean))
                : 0.0;
    r.within = e.comparison == "at_least" ? r.mean >= e.published - e.tolerance
                                          : std::fabs(r.mean - e.published) <= e.tolerance;
    if (gnuplot_available()) {
      auto bands = average_over_seeds(curves);
      if (e.published_at) {
        bands.front().published = PublishedPoints{e.source, {*e.published_at}, {e.published}};
      }
      PlotOptions plot;
      plot.metric = e.metric;
      plot.x = e.x;
      plot.title = table.title + ": " + e.name;
      plot.output = table_dir / (e.name + ".png");
      plot_curves(bands, plot);
      report.plots.push_back(plot.output);
    }
    report.results.push_back(std::move(r));
  }

  std::ostringstream md;
  md << "# " << table.title << "\n\n";
  if (full) {
    md << "Every run at the published budget.\n\n";
  } else {
    md << "**Budget " << format_number(100.0 * options.budget)
       << "% of the published one: a quick look, not comparable with the published "
          "numbers.**\n\n";
  }
  md << "| entry | config | seeds | budget | ours (mean ± std) | published | tolerance | verdict "
        "| source |\n|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : report.results) {
    const auto& e = *r.entry;
    const std::string tolerance = e.comparison == "at_least"
                                      ? "at least " + format_number(e.published - e.tolerance)
                                      : "± " + format_number(e.tolerance);
    std::string verdict = r.within ? "within tolerance" : "**outside tolerance**";
    if (!full) verdict += " (at " + format_number(100.0 * options.budget) + "% budget)";
    md << "| " << e.name << " | " << e.config.filename().string() << " | " << r.values.size()
       << " | " << e.budget_key << "=" << r.budget << " | " << format_number(r.mean) << " ± "
       << format_number(r.std) << " | " << format_number(e.published) << " | " << tolerance << " | "
       << verdict << " | " << e.source << " |\n";
  }
  md << "\nOurs: each run's `statistic` (last, max, or mean of the last values) of the entry's "
        "metric column; mean and population std over seeds. Run folders: "
     << table_dir.string() << "/<entry>/s<seed>.\n";
  report.markdown = md.str();
  fs::create_directories(table_dir);
  report.markdown_path = table_dir / "results.md";
  write_file_atomic(report.markdown_path, report.markdown);
  return report;
}

}  // namespace mbrl

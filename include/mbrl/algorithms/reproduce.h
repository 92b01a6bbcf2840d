// Reproduction tables: shipped configs run over seeds at a published budget, summarised beside
// the published numbers (`mbrl reproduce TABLE`).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mbrl {

class RunDir;

/// One row of a table: a config, its seeds and budget, and the published number to compare with.
struct ReproduceEntry {
  std::string name;                    // the key under `entries:`
  std::filesystem::path config;        // relative paths are relative to the table file
  std::vector<uint64_t> seeds;         // >= 1 seed
  std::string budget_key;              // the `--set` key of the run length, e.g.
                                       // algorithm.num_steps
  int64_t budget = 0;                  // its published value, >= 1
  std::vector<std::string> overrides;  // further `--set key=value` for every run
  std::string metric = "eval_return";  // a metrics column
  std::string x = "env_steps";         // its step column (curves)
  std::string statistic = "last";      // last | max | mean_last: one number per run from the
                                       // column (mean_last: the mean of its last
                                       // `statistic_window` values)
  int64_t statistic_window = 10;       // >= 1; only mean_last reads it
  double published = 0;                // the published value of `statistic`
  std::optional<double> published_at;  // its x, for the marker on the curve
  std::string source;                  // where the published number comes from
  double tolerance = 0;                // >= 0
  std::string comparison = "within";   // within: |ours - published| <= tolerance;
                                       // at_least: ours >= published - tolerance
};

struct ReproduceTable {
  std::string name;  // the file's stem
  std::string title;
  std::vector<ReproduceEntry> entries;
};

/// Reads a table file (configs/reproduce/*.yaml); a missing file, a wrong type, an unknown key or
/// a bad value is a ConfigError naming file:line:col and the key.
ReproduceTable load_reproduce_table(const std::filesystem::path& path);

struct ReproduceOptions {
  int64_t seeds = 0;    // use the first N seeds of each entry; 0: all of them
  double budget = 1.0;  // fraction of each published budget, in (0, 1]
  std::filesystem::path runs_root = "runs/reproduce";
  /// Called with each run folder before its run starts or resumes (the CLI adds its log.txt).
  std::function<void(const RunDir&)> before_run;
};

struct ReproduceResult {
  const ReproduceEntry* entry = nullptr;
  int64_t budget = 0;                           // the budget the runs used
  std::vector<std::filesystem::path> run_dirs;  // one per seed
  std::vector<double> values;                   // the statistic of each run
  double mean = 0, std = 0;
  bool within = false;  // the comparison held
};

struct ReproduceReport {
  std::vector<ReproduceResult> results;
  std::string markdown;  // also written to <runs_root>/<table>/results.md
  std::filesystem::path markdown_path;
  std::vector<std::filesystem::path> plots;  // <runs_root>/<table>/<entry>.png (with gnuplot)
};

/// Runs what is missing of `table` (a finished run folder, one with agent.pt, is reused; an
/// interrupted one resumes from its checkpoint when the algorithm has them, else restarts),
/// then summarises every entry: mean +- std over seeds beside the published value, and whether
/// it is within tolerance. A budget below 1 is stated in the table.
ReproduceReport reproduce(const ReproduceTable& table, const ReproduceOptions& options);

}  // namespace mbrl

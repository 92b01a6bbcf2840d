// MetricsWriter: learning curves as CSV files with a fixed header, plus a console line per row.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mbrl {

/// How a metric column is printed.
enum class MetricFormat { kInt, kFloat, kSeconds };

struct MetricColumn {
  std::string name;
  MetricFormat format = MetricFormat::kFloat;
};

/// Writes named groups of metrics, each to its own CSV file with a header fixed at registration
/// (mbrl-lib's Logger). `log` sets values of the current row; `dump` appends the row (missing
/// values are empty cells) and prints one console line through the `mbrl.metrics` logger.
///
/// Each row is appended with a single write call and flushed, so a killed run leaves whole rows.
/// Not thread-safe.
class MetricsWriter {
 public:
  /// `dir` empty: console only, no files. `resume`: groups whose file already exists keep its
  /// rows (the header must match) instead of starting a new file.
  explicit MetricsWriter(std::filesystem::path dir = {}, bool resume = false);
  ~MetricsWriter();
  MetricsWriter(const MetricsWriter&) = delete;
  MetricsWriter& operator=(const MetricsWriter&) = delete;

  /// Declares `group` written to `<dir>/<file>` with `columns`; creates the file with its header.
  /// `print`: whether `dump` prints a console line for this group.
  void add_group(const std::string& group, const std::string& file,
                 std::vector<MetricColumn> columns, bool print = true);
  bool has_group(const std::string& group) const { return groups_.count(group) > 0; }

  /// Sets `key` of the current row of `group`; throws InternalError for an undeclared column.
  void log(const std::string& group, const std::string& key, double value);
  /// Appends the current row of `group` and clears it.
  void dump(const std::string& group);

  /// Rows dumped so far in `group` (values as written), oldest first.
  const std::vector<std::vector<std::string>>& rows(const std::string& group) const;
  /// Keeps the first `n` rows of `group` (in memory and on disk); used when resuming a run
  /// from a checkpoint taken after `n` rows.
  void truncate(const std::string& group, size_t n);
  /// Rows dumped so far in every group (what a checkpoint records).
  std::map<std::string, size_t> row_counts() const;
  /// For a resumed run: a group declared later keeps only its first `counts[group]` rows (rows
  /// written after the checkpoint are dropped); groups not in `counts` start empty.
  void keep_rows_on_resume(std::map<std::string, size_t> counts) {
    resume_rows_ = std::move(counts);
  }

 private:
  struct Group {
    std::filesystem::path file;
    std::vector<MetricColumn> columns;
    std::vector<std::optional<double>> current;
    std::vector<std::vector<std::string>> rows;
    bool print = true;
    int fd = -1;
  };
  Group& group(const std::string& name);
  const Group& group(const std::string& name) const;
  void open_for_append(Group& g);
  void load_existing(Group& g, const std::string& name);

  std::filesystem::path dir_;
  bool resume_ = false;
  std::optional<std::map<std::string, size_t>> resume_rows_;
  std::map<std::string, Group> groups_;
};

}  // namespace mbrl

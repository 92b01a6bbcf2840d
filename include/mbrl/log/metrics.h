// MetricsWriter: learning curves as CSV files with a fixed header, a TensorBoard event file, and
// a console line per row.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mbrl {

class EventFileWriter;

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
///
/// With a folder (and a build with event files, event_files_supported()), every row is also one
/// TensorBoard event of the run's event file: scalar `<group>/<column>` for each value, exactly
/// as written to the CSV, at step `env_steps` when the group has that column, else at the
/// row's index in the group. The event file mirrors the CSVs: a resumed writer replaces the
/// folder's event files with one holding the rows kept. Not thread-safe.
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

  /// Writes `text` under `tag` to the event file (TensorBoard's text tab), e.g. the resolved
  /// config; nothing without a folder or event-file support.
  void write_text(const std::string& tag, const std::string& text);
  /// The event file, or an empty path when none is written.
  std::filesystem::path event_file() const;

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
  void write_event(const std::string& name, const Group& g, size_t row);

  std::filesystem::path dir_;
  bool resume_ = false;
  std::optional<std::map<std::string, size_t>> resume_rows_;
  std::map<std::string, Group> groups_;
  std::unique_ptr<EventFileWriter> events_;
};

}  // namespace mbrl

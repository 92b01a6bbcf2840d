// Reading the metrics CSV files runs write, for tests that compare runs row by row.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mbrl::test {

/// A CSV file as its header and rows of cells (no quoting: metrics files have none).
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  /// The cell of `row` in column `name`; a test failure (and "") when there is no such column.
  std::string column(size_t row, const std::string& name) const;
};

/// The cells of one CSV line.
std::vector<std::string> split_csv_line(const std::string& line);
/// The file at `path`; a test failure (and an empty Csv) when it cannot be read.
Csv read_csv(const std::filesystem::path& path);
/// True for wall-time columns, whose header ends in `_s` or `_ms`.
bool is_time_column(const std::string& header);
/// Every line of the file (header first) without its wall-time columns, each kept cell followed
/// by a comma: the form scripts/record_regression_rows.sh stores.
std::vector<std::string> rows_without_times(const std::filesystem::path& path);

}  // namespace mbrl::test

// CSV helpers of the tests.
#include "tests/support/csv.h"

#include <fstream>

#include <gtest/gtest.h>

namespace mbrl::test {

std::string Csv::column(size_t row, const std::string& name) const {
  for (size_t c = 0; c < header.size(); ++c)
    if (header[c] == name) return rows.at(row).at(c);
  ADD_FAILURE() << "no column " << name;
  return "";
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out(1);
  for (char ch : line) {
    if (ch == ',')
      out.emplace_back();
    else
      out.back().push_back(ch);
  }
  return out;
}

Csv read_csv(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  Csv csv;
  std::string line;
  if (std::getline(in, line)) csv.header = split_csv_line(line);
  while (std::getline(in, line)) csv.rows.push_back(split_csv_line(line));
  return csv;
}

bool is_time_column(const std::string& h) {
  auto ends = [&](const std::string& s) {
    return h.size() > s.size() && h.compare(h.size() - s.size(), s.size(), s) == 0;
  };
  return ends("_s") || ends("_ms");
}

std::vector<std::string> rows_without_times(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::vector<std::string> out;
  std::vector<bool> keep;
  for (std::string line; std::getline(in, line);) {
    const auto cells = split_csv_line(line);
    if (keep.empty())
      for (const auto& h : cells) keep.push_back(!is_time_column(h));
    std::string row;
    for (size_t c = 0; c < cells.size() && c < keep.size(); ++c)
      if (keep[c]) row += cells[c] + ",";
    out.push_back(row);
  }
  return out;
}

}  // namespace mbrl::test

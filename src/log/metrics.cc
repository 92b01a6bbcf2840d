// MetricsWriter: fixed-header CSV groups and console summaries.
#include "mbrl/log/metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "mbrl/core/check.h"
#include "mbrl/io/atomic_file.h"
#include "mbrl/log/event_file.h"
#include "mbrl/log/log.h"

namespace mbrl {
namespace {

std::string format_cell(double v, MetricFormat f) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  char buf[64];
  if (f == MetricFormat::kInt) {
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(std::llround(v)));
  } else {
    std::snprintf(buf, sizeof(buf), "%.6g", v);
  }
  return buf;
}

std::string format_console(double v, MetricFormat f) {
  char buf[64];
  switch (f) {
    case MetricFormat::kInt:
      std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(std::llround(v)));
      break;
    case MetricFormat::kSeconds:
      std::snprintf(buf, sizeof(buf), "%.2fs", v);
      break;
    default:
      std::snprintf(buf, sizeof(buf), "%.4g", v);
  }
  return buf;
}

std::string join(const std::vector<std::string>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) line += (i ? "," : "") + cells[i];
  return line + "\n";
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.push_back("");
  return out;
}

}  // namespace

MetricsWriter::MetricsWriter(std::filesystem::path dir, bool resume)
    : dir_(std::move(dir)), resume_(resume) {
  if (dir_.empty() || !event_files_supported()) return;
  // a resumed run rewrites its events from the rows it keeps (add_group replays them)
  if (resume_) {
    for (const auto& old : event_files_in(dir_)) std::filesystem::remove(old);
  }
  events_ = std::make_unique<EventFileWriter>(dir_);
}

std::filesystem::path MetricsWriter::event_file() const {
  return events_ ? events_->path() : std::filesystem::path();
}

void MetricsWriter::write_text(const std::string& tag, const std::string& text) {
  if (events_) events_->write_text(0, tag, text);
}

void MetricsWriter::write_event(const std::string& name, const Group& g, size_t row) {
  if (!events_) return;
  const auto& cells = g.rows[row];
  int64_t step = static_cast<int64_t>(row);
  std::vector<std::pair<std::string, double>> scalars;
  for (size_t i = 0; i < g.columns.size() && i < cells.size(); ++i) {
    if (cells[i].empty()) continue;
    const double v = std::strtod(cells[i].c_str(), nullptr);
    if (g.columns[i].name == "env_steps") step = static_cast<int64_t>(std::llround(v));
    scalars.emplace_back(name + "/" + g.columns[i].name, v);
  }
  events_->write_scalars(step, scalars);
}

MetricsWriter::~MetricsWriter() {
  for (auto& [name, g] : groups_) {
    if (g.fd >= 0) ::close(g.fd);
  }
}

MetricsWriter::Group& MetricsWriter::group(const std::string& name) {
  auto it = groups_.find(name);
  MBRL_ASSERT(it != groups_.end(), "metrics group '", name, "' was not declared");
  return it->second;
}

const MetricsWriter::Group& MetricsWriter::group(const std::string& name) const {
  auto it = groups_.find(name);
  MBRL_ASSERT(it != groups_.end(), "metrics group '", name, "' was not declared");
  return it->second;
}

void MetricsWriter::open_for_append(Group& g) {
  if (dir_.empty()) return;
  if (g.fd >= 0) ::close(g.fd);
  g.fd = ::open(g.file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (g.fd < 0) throw IoError(g.file.string(), std::string("cannot open: ") + std::strerror(errno));
}

void MetricsWriter::add_group(const std::string& name, const std::string& file,
                              std::vector<MetricColumn> columns, bool print) {
  MBRL_ASSERT(!groups_.count(name), "metrics group '", name, "' declared twice");
  Group g;
  g.columns = std::move(columns);
  g.current.assign(g.columns.size(), std::nullopt);
  g.print = print;
  if (!dir_.empty()) {
    g.file = dir_ / file;
    if (resume_ && std::filesystem::exists(g.file)) {
      load_existing(g, name);
      if (resume_rows_) {
        auto it = resume_rows_->find(name);
        const size_t keep = it == resume_rows_->end() ? 0 : it->second;
        auto& kept = groups_.emplace(name, std::move(g)).first->second;
        truncate(name, keep);
        for (size_t r = 0; r < kept.rows.size(); ++r) write_event(name, kept, r);
        return;
      }
    } else {
      std::vector<std::string> header;
      for (const auto& c : g.columns) header.push_back(c.name);
      write_file_atomic(g.file, join(header));
    }
    open_for_append(g);
  }
  auto& added = groups_.emplace(name, std::move(g)).first->second;
  for (size_t r = 0; r < added.rows.size(); ++r) write_event(name, added, r);
}

void MetricsWriter::log(const std::string& name, const std::string& key, double value) {
  Group& g = group(name);
  for (size_t i = 0; i < g.columns.size(); ++i) {
    if (g.columns[i].name == key) {
      g.current[i] = value;
      return;
    }
  }
  MBRL_ASSERT(false, "metrics group '", name, "' has no column '", key, "'");
}

void MetricsWriter::dump(const std::string& name) {
  Group& g = group(name);
  std::vector<std::string> cells;
  std::string console;
  for (size_t i = 0; i < g.columns.size(); ++i) {
    const auto& v = g.current[i];
    cells.push_back(v ? format_cell(*v, g.columns[i].format) : "");
    if (v)
      console += detail::str(console.empty() ? "" : " | ", g.columns[i].name, " ",
                             format_console(*v, g.columns[i].format));
  }
  if (g.fd >= 0) {
    std::string line = join(cells);
    if (::write(g.fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      throw IoError(g.file.string(), std::string("cannot append a row: ") + std::strerror(errno));
    }
  }
  g.rows.push_back(std::move(cells));
  write_event(name, g, g.rows.size() - 1);
  g.current.assign(g.columns.size(), std::nullopt);
  if (g.print) log::logger("metrics")->info("[{}] {}", name, console);
}

const std::vector<std::vector<std::string>>& MetricsWriter::rows(const std::string& name) const {
  return group(name).rows;
}

std::map<std::string, size_t> MetricsWriter::row_counts() const {
  std::map<std::string, size_t> out;
  for (const auto& [name, g] : groups_) out[name] = g.rows.size();
  return out;
}

void MetricsWriter::truncate(const std::string& name, size_t n) {
  Group& g = group(name);
  if (g.rows.size() > n) g.rows.resize(n);
  if (dir_.empty()) return;
  std::vector<std::string> header;
  for (const auto& c : g.columns) header.push_back(c.name);
  std::string text = join(header);
  for (const auto& r : g.rows) text += join(r);
  write_file_atomic(g.file, text);
  open_for_append(g);
}

void MetricsWriter::load_existing(Group& g, const std::string& name) {
  std::stringstream in(read_file(g.file));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  for (const auto& c : g.columns) header.push_back(c.name);
  if (split_csv_line(line) != header) {
    throw DataError(detail::str(g.file.string(), ": header does not match the metrics group '",
                                name, "' of this run"));
  }
  g.rows.clear();
  while (std::getline(in, line)) {
    if (!line.empty()) g.rows.push_back(split_csv_line(line));
  }
}

}  // namespace mbrl

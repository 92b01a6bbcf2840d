// Progress: the live bar, its periodic-line fallback, and the sink that keeps log lines off it.
#include "mbrl/log/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include <spdlog/sinks/base_sink.h>

#include "mbrl/core/check.h"
#include "mbrl/log/log.h"

namespace mbrl {
namespace {

struct BarState {
  std::mutex mutex;
  Progress* active = nullptr;  // the phase whose bar is on the line
  std::string drawn;           // what is on the line now ("" when clear)
};

BarState& bar_state() {
  static BarState s;
  return s;
}

// clears the bar line; the caller holds the mutex
void clear_line_locked(BarState& s) {
  if (s.drawn.empty()) return;
  std::fputs("\r\x1b[K", stderr);
  std::fflush(stderr);
  s.drawn.clear();
}

void draw_line_locked(BarState& s, const std::string& text) {
  std::fputs("\r", stderr);
  std::fputs(text.c_str(), stderr);
  std::fputs("\x1b[K", stderr);
  std::fflush(stderr);
  s.drawn = text;
}

class ProgressAwareSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ProgressAwareSink(spdlog::sink_ptr inner) : inner_(std::move(inner)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    BarState& s = bar_state();
    std::lock_guard<std::mutex> lock(s.mutex);
    const std::string redraw = s.drawn;
    clear_line_locked(s);
    inner_->log(msg);
    inner_->flush();
    if (!redraw.empty()) draw_line_locked(s, redraw);
  }
  void flush_() override { inner_->flush(); }
  void set_pattern_(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> f) override {
    inner_->set_formatter(std::move(f));
  }

 private:
  spdlog::sink_ptr inner_;
};

}  // namespace

ProgressMode progress_mode() {
  static const ProgressMode mode = [] {
    const char* env = std::getenv("MBRL_PROGRESS");
    if (env && std::strcmp(env, "off") == 0) return ProgressMode::kOff;
    if (env && std::strcmp(env, "lines") == 0) return ProgressMode::kLines;
    if (env && std::strcmp(env, "bar") == 0) return ProgressMode::kBar;
    const char* ci = std::getenv("CI");
    if (::isatty(STDERR_FILENO) && !(ci && *ci)) return ProgressMode::kBar;
    return ProgressMode::kLines;
  }();
  return mode;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return buf;
}

Progress::Progress(std::string what, int64_t total, int64_t done, std::chrono::seconds interval)
    : what_(std::move(what)),
      total_(total),
      start_done_(done),
      done_(done),
      interval_(interval),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
  MBRL_ASSERT(total_ >= 1, "Progress '", what_, "' with total ", total_);
  if (progress_mode() != ProgressMode::kBar) return;
  BarState& s = bar_state();
  std::lock_guard<std::mutex> lock(s.mutex);
  outer_ = s.active;
  s.active = this;
}

Progress::~Progress() { finish(); }

std::string Progress::line() const {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_ - start_done_) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : NAN;
  const double fraction = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
  constexpr int kWidth = 24;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%s [%s] %lld/%lld %3.0f%%  %.3g/s  ETA %s", what_.c_str(),
                bar.c_str(), static_cast<long long>(done_), static_cast<long long>(total_),
                100.0 * fraction, rate, format_duration(eta).c_str());
  std::string out = buf;
  if (!status_.empty()) out += "  " + status_;
  return out;
}

void Progress::update(int64_t done, const std::string& status) {
  done_ = done;
  if (!status.empty()) status_ = status;
  draw(false);
}

void Progress::draw(bool force) {
  const ProgressMode mode = progress_mode();
  if (mode == ProgressMode::kOff) return;
  const auto now = std::chrono::steady_clock::now();
  if (mode == ProgressMode::kBar) {
    if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
    BarState& s = bar_state();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.active != this) return;
    last_draw_ = now;
    draw_line_locked(s, line());
    return;
  }
  if (!force && now - last_draw_ < interval_) return;
  last_draw_ = now;
  log::logger("progress")->info("{}", line());
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  const ProgressMode mode = progress_mode();
  if (mode == ProgressMode::kLines) {
    // a phase shorter than the interval prints nothing: its rows are in the metrics already
    if (std::chrono::steady_clock::now() - start_ >= interval_) draw(true);
    return;
  }
  if (mode != ProgressMode::kBar) return;
  BarState& s = bar_state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.active == this) {
    clear_line_locked(s);
    s.active = outer_;
    if (outer_) draw_line_locked(s, outer_->line());
  }
}

spdlog::sink_ptr progress_aware_sink(spdlog::sink_ptr console) {
  return std::make_shared<ProgressAwareSink>(std::move(console));
}

}  // namespace mbrl

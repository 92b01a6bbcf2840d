// Progress of a long phase (env steps, model epochs, gradient steps, dataset collection): a live
// bar on a terminal, plain periodic log lines elsewhere (CI, Slurm logs, files).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <spdlog/sinks/sink.h>

namespace mbrl {

/// How progress is shown, chosen once per process: kBar when stderr is a terminal and neither
/// CI nor MBRL_PROGRESS=lines is set; kLines otherwise; kOff with MBRL_PROGRESS=off.
enum class ProgressMode { kBar, kLines, kOff };
ProgressMode progress_mode();

/// The progress of one phase with a known total.
///
/// kBar: one line on stderr, redrawn at most 10 times a second with `\r`:
///   `env steps [########......]  4200/10000  42%  310/s  ETA 0:18  return -312.4`.
/// Console log lines printed through a sink made by progress_aware_sink() clear the bar first
/// and redraw it after. kLines: an info line on the `progress` logger every `interval` seconds
/// and at the end. Only one bar is live at a time: a nested phase (model epochs inside env
/// steps) replaces the outer bar until it finishes, then the outer one is redrawn.
/// Not thread-safe (one phase per thread of control).
class Progress {
 public:
  /// `what`: the phase's unit, e.g. "env steps"; total >= 1; `done` where a resumed run starts.
  Progress(std::string what, int64_t total, int64_t done = 0,
           std::chrono::seconds interval = std::chrono::seconds(30));
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Sets the count done and a short status shown after the ETA (e.g. "return -312.4").
  void update(int64_t done, const std::string& status = "");
  /// Draws the final state and releases the line (also done by the destructor).
  void finish();

  /// The text of the line as it would be drawn now (without colours or `\r`).
  std::string line() const;

 private:
  void draw(bool force);

  std::string what_;
  int64_t total_;
  int64_t start_done_;
  int64_t done_;
  std::string status_;
  std::chrono::seconds interval_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  Progress* outer_ = nullptr;  // the phase this one interrupted
  bool finished_ = false;
};

/// Wraps a console sink so that its lines do not run into a live progress bar on the same
/// terminal: the bar is cleared before each message and redrawn after.
spdlog::sink_ptr progress_aware_sink(spdlog::sink_ptr console);

/// "1:02:03" / "2:03" for a duration in seconds.
std::string format_duration(double seconds);

}  // namespace mbrl

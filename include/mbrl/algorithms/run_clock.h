// RunClock: the wall time of a run, continued across resumes.
#pragma once

#include <chrono>

namespace mbrl {

/// Seconds since the run started, including the time before a resume.
class RunClock {
 public:
  RunClock() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return offset_ +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  /// Continues from `seconds` already elapsed (the value a checkpoint recorded).
  void restart_from(double seconds) {
    offset_ = seconds;
    start_ = std::chrono::steady_clock::now();
  }

 private:
  double offset_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace mbrl

// Confining the test process to one CPU of its affinity mask, as `taskset -c N` would.
#pragma once

#include <sched.h>

#include <gtest/gtest.h>

namespace mbrl::test {

/// The lowest-numbered CPU this process may run on.
inline int first_allowed_cpu() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) != 0) return 0;
  int cpu = 0;
  while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &mask)) ++cpu;
  return cpu < CPU_SETSIZE ? cpu : 0;
}

/// While alive, the process runs on first_allowed_cpu() alone; the mask it had is restored at
/// the end of the scope.
class OnOneCpu {
 public:
  OnOneCpu() {
    EXPECT_EQ(sched_getaffinity(0, sizeof(all_), &all_), 0);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first_allowed_cpu(), &one);
    EXPECT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  }
  ~OnOneCpu() { sched_setaffinity(0, sizeof(all_), &all_); }
  OnOneCpu(const OnOneCpu&) = delete;
  OnOneCpu& operator=(const OnOneCpu&) = delete;

  /// The CPUs of the mask before.
  const cpu_set_t& all() const { return all_; }

 private:
  cpu_set_t all_;
};

}  // namespace mbrl::test

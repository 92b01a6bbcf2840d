// Tests for core/cpu_share.cc: the thread count for a load, the load meter against a busy child
// process, and share_cpus lowering the running threads but not the configured ones.
#include "mbrl/core/cpu_share.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include <ATen/Parallel.h>

#include "mbrl/core/device.h"
#include "tests/support/one_cpu.h"

namespace mbrl {
namespace {

TEST(CpuShareTest, ThreadsForLoadLeaveTheCpusOtherProcessesTake) {
  EXPECT_EQ(threads_for_load(2, 2, 0.0), 2);
  EXPECT_EQ(threads_for_load(2, 2, 0.25), 2);  // below 0.3 CPU: not counted
  EXPECT_EQ(threads_for_load(2, 2, 0.35), 1);
  EXPECT_EQ(threads_for_load(2, 2, 0.67), 1);  // one busy process beside two threads
  EXPECT_EQ(threads_for_load(2, 2, 2.5), 1);   // never below one
  EXPECT_EQ(threads_for_load(8, 8, 3.0), 5);
  EXPECT_EQ(threads_for_load(4, 8, 3.0), 4);  // never above the configured count
  EXPECT_EQ(threads_for_load(4, 2, 0.0), 2);  // nor above the usable CPUs
  EXPECT_EQ(threads_for_load(1, 2, 0.0), 1);
}

TEST(CpuShareTest, MeterSeesABusyChildProcess) {
  CpuLoadMeter meter;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // spins for 0.6 s on the parent's CPUs, then exits
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(600);
    volatile double x = 0;
    while (std::chrono::steady_clock::now() < end) x = x + 1;
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);  // the parent sleeps meanwhile
  const double load = meter.sample();
  // the child had a CPU for most of the time (a loaded machine gives it less)
  EXPECT_GE(load, 0.3);
  EXPECT_LE(load, 64.0);
}

TEST(CpuShareTest, SharingOneCpuRunsOneThreadAndKeepsTheConfiguredCount) {
  const int threads_before = configured_threads();
  {
    test::OnOneCpu one_cpu;
    configure_threads(2);
    share_cpus(0.0);  // the first call starts the meter
    EXPECT_EQ(share_cpus(0.0), 1);
    EXPECT_EQ(at::get_num_threads(), 1);
    EXPECT_EQ(configured_threads(), 2);
    configure_threads(1);
    EXPECT_EQ(share_cpus(0.0), 1);  // a single-thread run is left alone
  }
  configure_threads(threads_before);
}

}  // namespace
}  // namespace mbrl

// Tests for core/thread_pool.cc.
#include "mbrl/core/thread_pool.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <ATen/Parallel.h>

#include <atomic>
#include <vector>

#include "mbrl/core/device.h"
#include "mbrl/core/error.h"
#include "tests/support/expect_throw.h"
#include "tests/support/one_cpu.h"

namespace mbrl {
namespace {

// `threads: 0` uses the CPUs of the affinity mask (as under `taskset -c 0`), not the machine's.
TEST(UsableCpusTest, ThreadsZeroCountsTheAffinityMask) {
  const int threads_before = configured_threads();
  cpu_set_t all;
  {
    test::OnOneCpu one_cpu;
    all = one_cpu.all();
    EXPECT_EQ(usable_cpus(), 1);
    EXPECT_EQ(configure_threads(0), 1);
    EXPECT_EQ(at::get_num_threads(), 1);
    EXPECT_EQ(configure_threads(3), 3);  // an explicit count is kept
  }
  EXPECT_GE(usable_cpus(), 1);
  EXPECT_LE(usable_cpus(), CPU_COUNT(&all));
  configure_threads(threads_before);
}

TEST(ThreadPoolTest, CoversEveryIndexExactlyOnce) {
  ThreadPool pool(3);
  std::vector<int> hits(1000, 0);
  pool.parallel_for(1000, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) hits[i] += 1;
  });
  for (int h : hits) EXPECT_EQ(h, 1);
}

TEST(ThreadPoolTest, ChunksDependOnlyOnThreadIndex) {
  ThreadPool pool(2);
  std::vector<int> owner(10, -1);
  for (int rep = 0; rep < 20; ++rep) {
    pool.parallel_for(10, [&](int64_t begin, int64_t end, int thread) {
      for (int64_t i = begin; i < end; ++i) owner[i] = thread;
    });
    for (int i = 0; i < 10; ++i) EXPECT_EQ(owner[i], i < 5 ? 0 : 1);
  }
}

TEST(ThreadPoolTest, FewerItemsThanThreads) {
  ThreadPool pool(4);
  std::atomic<int> count{0};
  pool.parallel_for(2, [&](int64_t begin, int64_t end, int) { count += end - begin; });
  EXPECT_EQ(count.load(), 2);
}

TEST(ThreadPoolTest, RethrowsTheBodysException) {
  ThreadPool pool(2);
  EXPECT_THROW_WITH(pool.parallel_for(10,
                                      [&](int64_t begin, int64_t, int) {
                                        if (begin > 0) throw std::runtime_error("boom in chunk");
                                      }),
                    std::runtime_error, "boom in chunk");
  // the pool stays usable
  std::atomic<int> count{0};
  pool.parallel_for(10, [&](int64_t b, int64_t e, int) { count += e - b; });
  EXPECT_EQ(count.load(), 10);
}

TEST(ThreadPoolTest, RejectsZeroThreads) {
  EXPECT_THROW_WITH(ThreadPool pool(0), InvalidArgument, "threads");
}

}  // namespace
}  // namespace mbrl

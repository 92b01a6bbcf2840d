// A fixed pool of worker threads for coarse-grained parallel loops (env stepping, rollouts).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mbrl {

/// Runs `parallel_for` loops on `num_threads` threads (the calling thread is one of them).
///
/// Work is split into contiguous chunks, one per thread, so a chunk's results do not depend on
/// thread timing. Threading contract: `parallel_for` may be called from one thread at a time;
/// the body must not call `parallel_for` on the same pool. Tensor math inside the body should
/// run single-threaded (at::set_num_threads is per process, so bodies use plain loops or small
/// tensors).
class ThreadPool {
 public:
  /// num_threads >= 1; 1 runs everything on the calling thread.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  /// Calls body(begin, end, thread_index) over a partition of [0, n) into num_threads() chunks
  /// and blocks until all are done. The first exception thrown by a body is rethrown here.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& body);

 private:
  void worker_loop(int index);
  void run_chunk(int index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  const std::function<void(int64_t, int64_t, int)>* body_ = nullptr;
  int64_t n_ = 0;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

/// The CPUs this process may run on, at least 1: the CPUs of its affinity mask (taskset, a
/// cpuset, a Slurm allocation), lowered to a cgroup CPU quota rounded up (cgroup v2 cpu.max or
/// v1 cpu.cfs_quota_us / cpu.cfs_period_us of the process's cgroup and its parents; containers).
/// Not std::thread::hardware_concurrency(), which counts the machine's CPUs: more threads than
/// usable CPUs wait for each other at every parallel region.
int usable_cpus();

}  // namespace mbrl

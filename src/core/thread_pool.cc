// ThreadPool: persistent workers woken per parallel_for, chunked by thread index.
#include "mbrl/core/thread_pool.h"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "mbrl/core/check.h"

namespace mbrl {

namespace {

// ceil(quota / period) of a cgroup folder, or 0 when it sets no quota (or cannot be read)
int cgroup_quota_cpus(const std::filesystem::path& dir) {
  std::ifstream v2(dir / "cpu.max");  // "max 100000" or "<quota> <period>"
  std::string quota;
  double period = 0;
  if (v2 >> quota >> period) {
    if (quota == "max" || period <= 0) return 0;
    return static_cast<int>(std::ceil(std::stod(quota) / period));
  }
  std::ifstream q(dir / "cpu.cfs_quota_us"), p(dir / "cpu.cfs_period_us");
  double quota_us = -1;
  if ((q >> quota_us) && (p >> period) && quota_us > 0 && period > 0) {
    return static_cast<int>(std::ceil(quota_us / period));
  }
  return 0;
}

// the smallest quota along the process's cgroup paths (v2 "0::/path", v1 "n:cpu,...:/path")
int cgroup_cpu_limit() {
  std::ifstream cgroups("/proc/self/cgroup");
  int limit = 0;
  for (std::string line; std::getline(cgroups, line);) {
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    std::filesystem::path root;
    if (controllers.empty()) {
      root = "/sys/fs/cgroup";
    } else if (("," + controllers + ",").find(",cpu,") != std::string::npos) {
      root = std::filesystem::exists("/sys/fs/cgroup/cpu") ? "/sys/fs/cgroup/cpu"
                                                           : "/sys/fs/cgroup/cpu,cpuacct";
    } else {
      continue;
    }
    for (std::filesystem::path dir = root / line.substr(second + 2);; dir = dir.parent_path()) {
      const int cpus = cgroup_quota_cpus(dir);
      if (cpus > 0) limit = limit == 0 ? cpus : std::min(limit, cpus);
      if (dir == root || dir.string().size() <= root.string().size()) break;
    }
  }
  return limit;
}

}  // namespace

int usable_cpus() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  int cpus = sched_getaffinity(0, sizeof(mask), &mask) == 0
                 ? CPU_COUNT(&mask)
                 : static_cast<int>(std::thread::hardware_concurrency());
  const int quota = cgroup_cpu_limit();
  if (quota > 0) cpus = std::min(cpus, quota);
  return std::max(cpus, 1);
}

ThreadPool::ThreadPool(int num_threads) {
  MBRL_CHECK_ARG(num_threads >= 1, "threads", "expected at least 1 thread, got ", num_threads);
  for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::run_chunk(int index) {
  const int64_t threads = num_threads();
  const int64_t begin = n_ * index / threads;
  const int64_t end = n_ * (index + 1) / threads;
  if (begin >= end) return;
  try {
    (*body_)(begin, end, index);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = std::current_exception();
  }
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    run_chunk(index);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& body) {
  if (n <= 0) return;
  if (workers_.empty()) {
    body(0, n, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    n_ = n;
    error_ = nullptr;
    pending_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  start_cv_.notify_all();
  run_chunk(0);
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [&] { return pending_ == 0; });
    error = error_;
    body_ = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace mbrl

// CpuLoadMeter, threads_for_load and share_cpus: the intra-op threads that other processes'
// load leaves room for.
#include "mbrl/core/cpu_share.h"

#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

#include <ATen/Parallel.h>

#include "mbrl/core/device.h"
#include "mbrl/core/thread_pool.h"

namespace mbrl {

namespace {

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double own_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// busy seconds of the CPUs in the affinity mask since boot, from /proc/stat's "cpuN" lines
// (user nice system idle iowait irq softirq steal ...); -1 when unreadable
double busy_cpu_seconds() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  const bool masked = sched_getaffinity(0, sizeof(mask), &mask) == 0;
  std::ifstream stat("/proc/stat");
  if (!stat) return -1;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  double busy_ticks = 0;
  bool any = false;
  for (std::string line; std::getline(stat, line);) {
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] < '0' || line[3] > '9') continue;
    std::istringstream fields(line.substr(3));
    int cpu = -1;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    fields >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    if (!fields && !fields.eof()) continue;
    if (masked && (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &mask))) continue;
    busy_ticks += user + nice + system + irq + softirq + steal;
    any = true;
  }
  return any && tick > 0 ? busy_ticks / tick : -1;
}

}  // namespace

CpuLoadMeter::CpuLoadMeter()
    : busy_s_(busy_cpu_seconds()), own_s_(own_cpu_seconds()), wall_s_(wall_seconds()) {}

double CpuLoadMeter::sample() {
  const double busy = busy_cpu_seconds(), own = own_cpu_seconds(), wall = wall_seconds();
  const double elapsed = wall - wall_s_;
  double load = 0;
  if (busy >= 0 && busy_s_ >= 0 && elapsed > 0)
    load = std::max(0.0, ((busy - busy_s_) - (own - own_s_)) / elapsed);
  busy_s_ = busy;
  own_s_ = own;
  wall_s_ = wall;
  return load;
}

int threads_for_load(int configured, int usable, double other_load) {
  const int taken = static_cast<int>(std::floor(std::max(0.0, other_load) + 0.7));
  return std::max(1, std::min(configured, usable - taken));
}

int share_cpus(double interval_s) {
  static std::mutex mutex;
  static CpuLoadMeter* meter = nullptr;
  static double next_check_s = 0;
  const int configured = configured_threads();
  if (configured <= 1) return 1;
  std::unique_lock<std::mutex> lock(mutex, std::try_to_lock);
  if (!lock.owns_lock()) return at::get_num_threads();
  const double now = wall_seconds();
  if (meter == nullptr) {
    meter = new CpuLoadMeter();  // lives as long as the process
    next_check_s = now + interval_s;
    return at::get_num_threads();
  }
  if (now < next_check_s) return at::get_num_threads();
  next_check_s = now + interval_s;
  const int threads = threads_for_load(configured, usable_cpus(), meter->sample());
  if (threads != at::get_num_threads()) at::set_num_threads(threads);
  return threads;
}

}  // namespace mbrl

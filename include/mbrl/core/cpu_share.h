// Sharing the CPUs with other processes: the intra-op threads give way while other processes
// keep this process's cores busy, so that no parallel region waits for a descheduled thread.
#pragma once

#include <cstdint>

namespace mbrl {

/// The load that other processes put on this process's CPUs, measured between two calls of
/// `sample`: the busy time of the CPUs in the affinity mask (/proc/stat: user, nice, system,
/// irq, softirq and steal time) minus this process's own CPU time, over the wall time between
/// the calls, in CPUs (0: the CPUs are ours alone).
class CpuLoadMeter {
 public:
  /// Starts the first interval.
  CpuLoadMeter();
  /// The other processes' load since the previous call (or construction), >= 0; 0 when
  /// /proc/stat cannot be read or no time has passed.
  double sample();

 private:
  double busy_s_ = 0, own_s_ = 0, wall_s_ = 0;
};

/// The intra-op threads to run with: `configured` (the run's `threads`), lowered to the CPUs
/// left free when other processes load `other_load` of the `usable` CPUs (a load of 0.3 CPU or
/// more counts as one CPU taken: a thread that shares a core waits for it at every parallel
/// region); at least 1.
int threads_for_load(int configured, int usable, double other_load);

/// Adapts LibTorch's intra-op threads to the CPUs other processes leave free (threads_for_load
/// of configured_threads(), usable_cpus() and a CpuLoadMeter), at most every `interval_s`
/// seconds (a clock read when called sooner); a no-op while configured_threads() is 1. The SAC
/// loop calls it at each env step, and MBPO and PETS too when their model's learner
/// shares_cpus() (the ensemble's fused trainer). Returns the threads now in use.
///
/// What those loops compute does not depend on it: the parallel computations whose result
/// depends on how the work is split (EnsembleBackprop's per-part gradients) split it into
/// configured_threads() parts, however many threads run them. Others do not call it: LibTorch
/// splits a full reduction (a loss over a large tensor, a gradient norm) by the running threads.
int share_cpus(double interval_s = 0.25);

}  // namespace mbrl

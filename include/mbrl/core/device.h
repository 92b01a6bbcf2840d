// Choosing the compute device and thread count of a run.
#pragma once

#include <string>

#include <c10/core/Device.h>

namespace mbrl {

/// Maps "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N" to a device.
/// Throws InvalidArgument("device", ...) for other names or for CUDA on a machine without it.
c10::Device parse_device(const std::string& name);

/// Sets LibTorch's intra-op thread count; 0 means every CPU this process may use (usable_cpus():
/// its affinity mask and cgroup quota, not the machine's count). Returns the count used.
int configure_threads(int requested);

/// The thread count of the last configure_threads (without one, at::get_num_threads() when first
/// asked, kept from then on): the run's
/// `threads`, fixed for the run. Computations that split their work into one part per thread
/// use it as their part count, so that their results do not change when share_cpus() lowers
/// the threads actually running.
int configured_threads();

}  // namespace mbrl

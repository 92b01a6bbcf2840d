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

}  // namespace mbrl

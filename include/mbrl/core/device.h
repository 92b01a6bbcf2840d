// Choosing the compute device and thread count of a run.
#pragma once

#include <string>

#include <c10/core/Device.h>

namespace mbrl {

/// Maps "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N" to a device.
/// Throws InvalidArgument("device", ...) for other names or for CUDA on a machine without it.
c10::Device parse_device(const std::string& name);

/// Sets LibTorch's intra-op thread count; 0 means every hardware thread. Returns the count used.
int configure_threads(int requested);

}  // namespace mbrl

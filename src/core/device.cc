// Device selection and LibTorch thread configuration.
#include "mbrl/core/device.h"

#include <atomic>

#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include "mbrl/core/check.h"
#include "mbrl/core/thread_pool.h"

namespace mbrl {

c10::Device parse_device(const std::string& name) {
  if (name == "auto") return torch::cuda::is_available() ? c10::Device("cuda") : c10::Device("cpu");
  if (name == "cpu") return c10::Device("cpu");
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    MBRL_CHECK_ARG(
        torch::cuda::is_available(), "device",
        "expected a CUDA device, but this LibTorch build or machine has none (use cpu or auto)");
    try {
      return c10::Device(name);
    } catch (const c10::Error&) {
      MBRL_CHECK_ARG(false, "device", "expected cuda or cuda:<index>, got '", name, "'");
    }
  }
  MBRL_CHECK_ARG(false, "device", "expected one of auto, cpu, cuda, got '", name, "'");
  return c10::Device("cpu");
}

namespace {
std::atomic<int> configured{0};  // 0: never configured
}  // namespace

int configure_threads(int requested) {
  MBRL_CHECK_ARG(requested >= 0, "threads", "expected 0 (all cores) or a positive count, got ",
                 requested);
  int n = requested == 0 ? usable_cpus() : requested;
  at::set_num_threads(n);
  configured = n;
  return n;
}

int configured_threads() {
  // never configured: LibTorch's count when first asked, kept from then on
  int expected = 0;
  configured.compare_exchange_strong(expected, at::get_num_threads());
  return configured;
}

}  // namespace mbrl

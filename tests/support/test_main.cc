// GoogleTest main for every mbrl test binary: runs OpenBLAS on the kernels the CLI uses, registers
// the built-in components and seeds torch.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <spdlog/sinks/stdout_color_sinks.h>

#include "mbrl/core/blas_kernels.h"
#include "mbrl/core/freed_memory.h"
#include "mbrl/log/log.h"
#include "mbrl/register_builtins.h"

int main(int argc, char** argv) {
  mbrl::restart_with_fitting_blas_kernels(argv);  // the kernels, and so the rounding, of mbrl
  mbrl::keep_freed_memory();                      // as the CLI
  ::testing::InitGoogleTest(&argc, argv);
  mbrl::register_builtins();
  mbrl::log::configure("warn", {std::make_shared<spdlog::sinks::stderr_color_sink_mt>()});
  torch::manual_seed(0);
  return RUN_ALL_TESTS();
}

// Google Benchmark main for mbrl_benchmarks: OpenBLAS runs on the kernels the CLI uses
// (mbrl/core/blas_kernels.h), so the figures are the ones a user's run sees.
#include <benchmark/benchmark.h>

#include "mbrl/core/blas_kernels.h"
#include "mbrl/core/freed_memory.h"

int main(int argc, char** argv) {
  mbrl::restart_with_fitting_blas_kernels(argv);
  mbrl::keep_freed_memory();  // as the CLI
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("blas", mbrl::describe(mbrl::blas_kernels()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

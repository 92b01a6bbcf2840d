// Which matrix kernels OpenBLAS runs on this CPU, and the restart that gives it the right ones.
//
// OpenBLAS chooses its kernel set once, when the library is loaded, from the CPU model. Debian 12's
// OpenBLAS 0.3.21 does not know recent Intel Xeons (lscpu family 6 model 207) and falls back to
// its SSE3 "Prescott" kernels: measured on such a Xeon with AVX-512, one SAC update takes 19.7 ms
// instead of 7.5 ms and the ensemble forward reaches 26 instead of 51 GFLOP/s. Other kernels
// also round differently, so the same run gives other numbers than on a CPU OpenBLAS knows (an
// AMD EPYC with AVX-512 gets SkylakeX kernels; with them this Xeon reproduces its runs exactly).
// The only switch is the environment variable OPENBLAS_CORETYPE, read at load time, hence the
// restart.
#pragma once

#include <string>

namespace mbrl {

struct BlasKernels {
  std::string chosen;     // OpenBLAS's kernel set ("Prescott", "SkylakeX"); empty: not OpenBLAS
  std::string fitting;    // the widest set this CPU runs: "SkylakeX" (AVX-512), "Haswell" (AVX2)
                          // or empty (older CPU)
  bool user_set = false;  // OPENBLAS_CORETYPE was given: the choice is the user's
  std::string replaced;   // after restart_with_fitting_blas_kernels: OpenBLAS's own choice

  /// True when OpenBLAS fell back to kernels without AVX2 on a CPU that has it (and the user
  /// did not choose them).
  bool fell_back() const;
};

/// What OpenBLAS chose in this process and what this CPU supports.
BlasKernels blas_kernels();

/// One line for a run's log: "OpenBLAS SkylakeX kernels", with why when they were replaced, and
/// what to do when they fell back; empty when LibTorch does not run on OpenBLAS.
std::string describe(const BlasKernels& kernels);

/// When blas_kernels().fell_back(), sets OPENBLAS_CORETYPE to the fitting kernel set and
/// restarts this program (execv of /proc/self/exe with the same argv), noting OpenBLAS's own
/// choice in MBRL_OPENBLAS_REPLACED (BlasKernels::replaced); the restarted process does nothing
/// here. Call first thing in main(), before argv is parsed. Returns when there is
/// nothing to do or the restart failed.
void restart_with_fitting_blas_kernels(char** argv);

}  // namespace mbrl

// OpenBLAS's kernel choice, read through its own C API, and the restart with OPENBLAS_CORETYPE.
#include "mbrl/core/blas_kernels.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

namespace mbrl {
namespace {

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// OpenBLAS's name of its kernel set, found at run time: LibTorch may be linked to another BLAS
std::string openblas_core_name() {
  using CoreName = char* (*)();
  auto fn = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (fn == nullptr) return "";
  const char* name = fn();
  return name == nullptr ? "" : name;
}

std::string fitting_core_name() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512cd")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return "";
}

}  // namespace

bool BlasKernels::fell_back() const {
  if (chosen.empty() || fitting.empty() || user_set) return false;
  // OpenBLAS's kernel sets that use AVX2 and FMA (or wider)
  static const std::array<const char*, 5> kWide{"haswell", "zen", "skylakex", "cooperlake",
                                                "sapphirerapids"};
  const std::string c = lowercase(chosen);
  return std::find(kWide.begin(), kWide.end(), c) == kWide.end();
}

BlasKernels blas_kernels() {
  BlasKernels k;
  k.chosen = openblas_core_name();
  k.fitting = fitting_core_name();
  k.user_set = std::getenv("OPENBLAS_CORETYPE") != nullptr;
  if (const char* replaced = std::getenv("MBRL_OPENBLAS_REPLACED")) k.replaced = replaced;
  return k;
}

std::string describe(const BlasKernels& kernels) {
  if (kernels.chosen.empty()) return "";
  std::string line = "OpenBLAS " + kernels.chosen + " kernels";
  if (!kernels.replaced.empty()) {
    line += " (OPENBLAS_CORETYPE set by mbrl: OpenBLAS had chosen " + kernels.replaced +
            ", without AVX2, for this CPU)";
  } else if (kernels.user_set) {
    line += " (OPENBLAS_CORETYPE)";
  } else if (kernels.fell_back()) {
    line += ", below this CPU's " + kernels.fitting + ": matrix work runs 2-3x slower; set " +
            "OPENBLAS_CORETYPE=" + kernels.fitting +
            " or call mbrl::restart_with_fitting_blas_kernels(argv) first in main()";
  }
  return line;
}

void restart_with_fitting_blas_kernels(char** argv) {
  const BlasKernels k = blas_kernels();
  if (!k.fell_back()) return;
  if (setenv("OPENBLAS_CORETYPE", k.fitting.c_str(), 1) != 0) return;
  setenv("MBRL_OPENBLAS_REPLACED", k.chosen.c_str(), 1);
  execv("/proc/self/exe", argv);
  // exec failed (no /proc): go on with the kernels OpenBLAS chose
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv("MBRL_OPENBLAS_REPLACED");
}

}  // namespace mbrl

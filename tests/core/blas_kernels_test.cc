// OpenBLAS's kernel choice: when it counts as a fall-back, what the run log says, and that the
// test processes (restarted by test_main, as the CLI is) run on the kernels this CPU fits.
#include "mbrl/core/blas_kernels.h"

#include <gtest/gtest.h>

namespace mbrl {
namespace {

BlasKernels kernels(const std::string& chosen, const std::string& fitting) {
  BlasKernels k;
  k.chosen = chosen;
  k.fitting = fitting;
  return k;
}

TEST(BlasKernelsTest, SseKernelsOnAnAvxCpuAreAFallBack) {
  EXPECT_TRUE(kernels("Prescott", "SkylakeX").fell_back());
  EXPECT_TRUE(kernels("Nehalem", "Haswell").fell_back());
  EXPECT_TRUE(kernels("Sandybridge", "Haswell").fell_back());  // AVX without AVX2 and FMA
}

TEST(BlasKernelsTest, WideKernelsOtherBlasOrTheUsersChoiceAreNot) {
  for (const char* wide : {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"}) {
    EXPECT_FALSE(kernels(wide, "SkylakeX").fell_back()) << wide;
  }
  EXPECT_FALSE(kernels("", "SkylakeX").fell_back());  // LibTorch on another BLAS
  EXPECT_FALSE(kernels("Prescott", "").fell_back());  // a CPU without AVX2
  BlasKernels chosen_by_user = kernels("Prescott", "SkylakeX");
  chosen_by_user.user_set = true;
  EXPECT_FALSE(chosen_by_user.fell_back());
}

TEST(BlasKernelsTest, DescribeSaysWhatRunsAndWhy) {
  EXPECT_EQ(describe(kernels("", "SkylakeX")), "");
  EXPECT_EQ(describe(kernels("SkylakeX", "SkylakeX")), "OpenBLAS SkylakeX kernels");
  const std::string fallen = describe(kernels("Prescott", "SkylakeX"));
  EXPECT_NE(fallen.find("OpenBLAS Prescott kernels"), std::string::npos) << fallen;
  EXPECT_NE(fallen.find("OPENBLAS_CORETYPE=SkylakeX"), std::string::npos) << fallen;
  BlasKernels replaced = kernels("SkylakeX", "SkylakeX");
  replaced.user_set = true;
  replaced.replaced = "Prescott";
  EXPECT_NE(describe(replaced).find("set by mbrl: OpenBLAS had chosen Prescott"), std::string::npos)
      << describe(replaced);
}

// test_main restarts every test binary as the CLI restarts itself: this process never runs on
// fallen-back kernels, so the tests see the numbers a user's run gives
TEST(BlasKernelsTest, ThisProcessRunsOnFittingKernels) {
  const BlasKernels k = blas_kernels();
  EXPECT_FALSE(k.fell_back()) << describe(k);
  if (!k.replaced.empty()) {
    EXPECT_EQ(k.chosen, k.fitting) << describe(k);
  }
}

}  // namespace
}  // namespace mbrl

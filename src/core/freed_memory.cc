// keep_freed_memory: glibc's mallopt.
#include "mbrl/core/freed_memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace mbrl {

bool keep_freed_memory() {
#if defined(__GLIBC__)
  constexpr int kTrimThreshold = 1 << 30;   // 1 GiB
  constexpr int kMmapThreshold = 32 << 20;  // 32 MiB: glibc's largest on 64-bit
  const bool trim = mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
  const bool mmap = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1;
  return trim && mmap;
#else
  return false;
#endif
}

}  // namespace mbrl

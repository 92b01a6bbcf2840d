// Tests for core/freed_memory.cc: after keep_freed_memory, glibc serves an 8 MiB block from the
// heap (not a fresh mapping) and keeps it in the process after it is freed.
#include "mbrl/core/freed_memory.h"

#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace mbrl {
namespace {

#if defined(__GLIBC__)
TEST(FreedMemoryTest, BlocksBelow32MiBComeFromTheHeapAndStayAfterFree) {
  ASSERT_TRUE(keep_freed_memory());
  constexpr size_t kBlock = 8u << 20;
  const size_t mapped_before = mallinfo2().hblkhd;
  char* block = static_cast<char*>(std::malloc(kBlock));
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, kBlock);
  asm volatile("" : : "r"(block) : "memory");  // the block escapes: no allocation elided
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before) << "the block was mapped, not taken from the heap";
  std::free(block);
  // kept as free heap (glibc's defaults map such a block and unmap it on free)
  EXPECT_GE(mallinfo2().fordblks, kBlock);
}
#endif

}  // namespace
}  // namespace mbrl

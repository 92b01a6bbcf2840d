// Keeping freed memory in the process between training steps.
//
// glibc's malloc gives freed heap memory back to the kernel once 128 KiB lie free at the top of
// the heap, and serves large blocks from fresh mappings that it unmaps on free (its threshold
// adapts but starts at 128 KiB). A training step allocates and frees the same tensors every
// iteration, so each iteration pays page faults and the kernel's zeroing of the pages again:
// measured on one core (Intel Xeon model 207, docs/benchmarks.md), a SAC update took 7.4-7.8 ms
// instead of 6.0-6.3, Dreamer's world-model and imagination updates 4-11 % longer.
#pragma once

namespace mbrl {

/// Makes malloc keep freed memory for reuse: trim threshold 1 GiB (freed memory stays in the
/// process until that much lies free at the top of the heap) and mmap threshold 32 MiB (glibc's
/// maximum: smaller blocks come from the heap and are reused). The process's resident memory
/// stays at its peak instead of shrinking after it. Call once in main(); the CLI, the tests and
/// the benchmarks do. Returns false when the C library is not glibc or refused a setting.
bool keep_freed_memory();

}  // namespace mbrl

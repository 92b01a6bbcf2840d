// A data-parallel process group inside one test process: one thread per rank, joined through a
// loopback TCPStore, so tests can compare what the ranks compute with one process's result.
#pragma once

#include <functional>

#include "mbrl/core/data_parallel.h"

namespace mbrl::test {

/// Runs `body(group)` on `world` ranks, one thread each; a test failure names each rank that
/// threw.
void on_ranks(int world, const std::function<void(DataParallel&)>& body);

}  // namespace mbrl::test

// D4RL-layout datasets for tests: random rollouts of an env, written as `mbrl collect` writes them.
#pragma once

#include <cstdint>
#include <filesystem>

#include "mbrl/envs/env.h"

namespace mbrl::test {

/// `rows` transitions of uniform random actions in `env` (whole episodes, cut to `rows`), from a
/// RandomAgent seeded with `seed`, written to `file` in D4RL's layout.
void write_random_d4rl(Env& env, const std::filesystem::path& file, int64_t rows,
                       uint64_t seed = 1);

}  // namespace mbrl::test

// Random D4RL datasets for tests.
#include "tests/support/d4rl_fixtures.h"

#include "mbrl/agents/random_agent.h"
#include "mbrl/algorithms/d4rl_collect.h"
#include "mbrl/core/rng.h"
#include "mbrl/io/d4rl_dataset.h"

namespace mbrl::test {

void write_random_d4rl(Env& env, const std::filesystem::path& file, int64_t rows, uint64_t seed) {
  RandomAgent agent(env.spec().action_space, make_generator(seed, c10::Device(c10::kCPU)));
  D4rlCollectOptions options;
  options.transitions = rows;
  write_d4rl(file, collect_d4rl(env, agent, options));
}

}  // namespace mbrl::test

// Making D4RL datasets here, as D4RL's generation scripts made theirs (scripts/generation/mujoco:
// collect_data.py, convert_buffer.py, stitch_dataset.py; next-features-facts section 2): the
// D4RL files themselves cannot be downloaded on these machines.
#pragma once

#include <cstdint>
#include <filesystem>

#include "mbrl/agents/agent.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/envs/env.h"
#include "mbrl/io/d4rl_dataset.h"

namespace mbrl {

struct D4rlCollectOptions {
  /// Rows of the dataset (D4RL's num_data: 1,000,000 for its gym-mujoco files), >= 1.
  int64_t transitions = 1000000;
  /// kExplore samples actions from a stochastic policy, as D4RL did; kEval takes its mean.
  ActMode mode = ActMode::kExplore;
  /// Episode i starts from env.reset(derive_seed(seed, "d4rl_collect") + i).
  uint64_t seed = 0;
};

/// Rolls `agent` out in `env` as collect_data.py did: whole episodes until at least
/// `transitions` rows, then the rows cut to exactly `transitions` (so the last episode may end
/// without a terminal or timeout). Row i holds the state before step i and, for a MuJoCo env
/// (also inside wrappers), its `infos/qpos` and `infos/qvel` before the step;
/// next_observations holds the state after it. timeouts = the step was cut by the time limit;
/// terminals = a true termination that was not also a timeout (D4RL: done and not timeout).
/// Metadata is left to the caller.
D4rlDataset collect_d4rl(Env& env, Agent& agent, const D4rlCollectOptions& options);

/// The stored transitions of `replay`, oldest first, as a dataset: D4RL's medium-replay
/// (convert_buffer.py writes a whole replay buffer). No infos/qpos or qvel: a replay buffer keeps
/// observations only.
D4rlDataset d4rl_from_replay(const ReplayBuffer& replay);

/// The replay buffer in the last checkpoint of a training run (SAC, MBPO: the checkpoint entry
/// `replay`), as a dataset. Throws DataError naming the checkpoint when the run has none or its
/// checkpoint holds no replay buffer.
D4rlDataset d4rl_from_run_replay(const std::filesystem::path& run_dir);

/// D4RL's medium-expert recipe (stitch_dataset.py): `first` cut after its last complete episode
/// (its last row with a terminal or timeout), then all of `second`, the whole capped at
/// `max_rows` rows (D4RL: 2,000,000). Optional keys are kept when both datasets have them.
/// Throws DataError when the dimensions differ or `first` has no complete episode.
D4rlDataset stitch_d4rl(const D4rlDataset& first, const D4rlDataset& second, int64_t max_rows);

}  // namespace mbrl

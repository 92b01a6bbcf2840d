// D4RL datasets: offline RL data in the HDF5 layout of the D4RL gym-mujoco v2 files, read and
// written natively through libhdf5 (no Python at run time).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "mbrl/core/types.h"

namespace mbrl {

/// One dataset in D4RL's layout: whole trajectories concatenated, one row per transition, as in
/// the gym-mujoco v2 files (e.g. `halfcheetah_medium_replay-v2.hdf5`; specs section 12). All
/// tensors are CPU; N is the number of rows.
struct D4rlDataset {
  at::Tensor observations;       // [N, obs_dim] float32: the state before the step
  at::Tensor actions;            // [N, act_dim] float32
  at::Tensor rewards;            // [N] float32 (a file may store [N, 1])
  at::Tensor terminals;          // [N] bool: the episode ended in a true termination (a fall)
  at::Tensor timeouts;           // [N] bool: the episode was cut by its time limit
  at::Tensor next_observations;  // [N, obs_dim] float32, or undefined when the file has none
  at::Tensor qpos;               // [N, nq] float32 `infos/qpos` before the step, or undefined
  at::Tensor qvel;               // [N, nv] float32 `infos/qvel` before the step, or undefined
  /// Scalar entries of the `metadata` group (strings, numbers as text), e.g. "algorithm".
  std::map<std::string, std::string> metadata;

  int64_t size() const { return observations.defined() ? observations.size(0) : 0; }
  int64_t obs_dim() const { return observations.size(1); }
  int64_t act_dim() const { return actions.size(1); }

  /// Throws DataError naming `source`, the key and the first bad row unless every present key
  /// has the documented dtype and shape with one common N >= 1 and all values are finite.
  void check(const std::string& source) const;
  /// Throws DataError naming `source` unless observations and actions are `obs` and `act`
  /// columns wide, the dims of `env` (its name, for the message).
  void check_dims(const std::string& source, int64_t obs, int64_t act,
                  const std::string& env) const;
};

/// Reads a D4RL-layout HDF5 file. Required keys: observations, actions, rewards, terminals,
/// timeouts; read when present: next_observations, infos/qpos, infos/qvel and the scalar
/// entries of metadata/ (other keys, such as infos/action_log_probs or metadata/policy/*, are
/// ignored). Floats of any precision are read as float32; terminals and timeouts may be bool
/// (h5py's int8 enum), integer or float, with values 0 or 1.
/// Throws IoError when the file does not exist, DataError naming the file, key and row when it
/// is not HDF5, truncated, or a key is missing, of the wrong type, shape or length, or non-finite.
D4rlDataset read_d4rl(const std::filesystem::path& path);

/// Writes `data` (checked first) as a D4RL-layout HDF5 file, the way D4RL's generation scripts
/// wrote theirs through h5py: every array gzip-compressed in chunks, float32 floats, bools as
/// h5py's enum {FALSE = 0, TRUE = 1} over int8, metadata as fixed-length strings. Atomic: on any
/// error nothing is left at `path`. Throws DataError on bad data, IoError when it cannot write.
void write_d4rl(const std::filesystem::path& path, const D4rlDataset& data);

/// The dataset as transitions, as D4RL's `qlearning_dataset` makes them (with OfflineRL-Kit's
/// use of next_observations): rows i = 0 .. N-2; a row with timeouts[i] set is skipped (its
/// episode was cut, so it has no terminal to learn); next_obs = next_observations[i] when the
/// file has them, else observations[i + 1] (then a terminal row's next state is the next
/// episode's first: harmless for Q-learning, wrong for model learning, which the v2 files avoid).
/// Returns [M] rows (M < N): obs, act, next_obs, reward, terminated = terminals, truncated false.
TransitionBatch d4rl_transitions(const D4rlDataset& data);

/// The dataset as episodes of consecutive transitions, in file order (for what needs the steps
/// of an episode in sequence: k-step model errors, sequence models). An episode ends at a row
/// with a terminal or timeout; rows after the last such row form a final, unfinished episode.
/// next_obs = next_observations[i] when the file has them, else observations[i + 1] of the same
/// episode (an episode's last row then has no next state and is left out, and the row before it
/// becomes the episode's truncated end); terminated = terminals, truncated = timeouts (and the
/// last row of the unfinished episode). Episodes left with no row are skipped. Loaded in order
/// into a ReplayBuffer (add_batch), they keep their bounds for sample_sequences.
std::vector<TransitionBatch> d4rl_episodes(const D4rlDataset& data);

/// Undiscounted returns of the complete episodes of `data` (each ends at a row with a terminal
/// or timeout), in order; rows after the last complete episode are left out.
std::vector<double> d4rl_episode_returns(const D4rlDataset& data);

}  // namespace mbrl

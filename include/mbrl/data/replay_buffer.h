// ReplayBuffer: ring storage of transitions with uniform sampling and episode boundaries.
#pragma once

#include <cstdint>
#include <filesystem>
#include <utility>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "mbrl/core/types.h"
#include "mbrl/data/rollout_start.h"
#include "mbrl/data/sequence_batch.h"
#include "mbrl/io/archive_fwd.h"

namespace mbrl {

/// A fixed-capacity ring of transitions (mbrl-lib's ReplayBuffer), stored as preallocated CPU
/// tensors: obs/next_obs [capacity, obs_dim] float32, act [capacity, act_dim] float32,
/// reward [capacity] float32, terminated/truncated [capacity] bool, plus the step index of each
/// transition within its episode (for episode boundaries). When full, the oldest is overwritten.
///
/// Positions used by `at` and `episodes` count from the oldest stored transition (0) to the
/// newest (size() - 1). Threading: not thread-safe.
class ReplayBuffer {
 public:
  ReplayBuffer(int64_t capacity, int64_t obs_dim, int64_t act_dim);

  int64_t capacity() const { return capacity_; }
  int64_t size() const { return size_; }
  int64_t obs_dim() const { return obs_dim_; }
  int64_t act_dim() const { return act_dim_; }
  /// Transitions ever added (including overwritten ones).
  int64_t num_added() const { return num_added_; }

  /// Adds one transition. obs, next_obs: [obs_dim]; act: [act_dim]. The next transition starts a
  /// new episode when `terminated || truncated`.
  void add(const at::Tensor& obs, const at::Tensor& act, const at::Tensor& next_obs, double reward,
           bool terminated, bool truncated);
  /// Adds a batch [B, ...] in order, as B calls of `add`.
  void add_batch(const TransitionBatch& batch);

  /// `batch_size` transitions drawn uniformly with replacement using `gen` (a CPU generator).
  TransitionBatch sample(int64_t batch_size, at::Generator& gen) const;
  /// `batch_size` sequences of `length` consecutive stored transitions, their first positions
  /// drawn uniformly from 0 .. size() - length with replacement using `gen` (a CPU generator).
  /// A sequence may run past an episode's end into the next episode; is_first marks each
  /// episode's first step. Throws InvalidArgument unless 1 <= length <= size().
  SequenceBatch sample_sequences(int64_t batch_size, int64_t length, at::Generator& gen) const;
  /// The first positions ([batch_size] int64) that `sample_sequences` draws with the same
  /// generator state: sample_sequences(B, T, gen) equals sequences_at(sample_sequence_starts(B, T,
  /// gen), T).
  at::Tensor sample_sequence_starts(int64_t batch_size, int64_t length, at::Generator& gen) const;
  /// The sequences of `length` transitions that start at positions `first` ([B] int64, oldest =
  /// 0; each first + length <= size()), time-major, with is_first marking episode starts.
  SequenceBatch sequences_at(const at::Tensor& first, int64_t length) const;
  /// Rollout starts at `positions` ([N] int64, oldest = 0): the observations there, and the
  /// `history` >= 0 transitions before each (positions p - history .. p - 1) for models with
  /// memory. A history that would reach before the oldest stored transition is padded with
  /// copies of it, marked is_first (a model resets its memory at each, so the padding leaves
  /// nothing behind), and the oldest transition itself is marked is_first as well. The start's
  /// is_first is true where the position starts an episode or is the oldest stored transition.
  RolloutStart rollout_starts(const at::Tensor& positions, int64_t history) const;
  /// rollout_starts at `batch_size` positions drawn as `sample` draws them (the same positions
  /// for the same generator state, so the start observations equal sample(...).obs).
  RolloutStart sample_rollout_starts(int64_t batch_size, int64_t history, at::Generator& gen) const;
  /// The transitions at `positions` ([...] int64, oldest = 0) numbered by when they were added
  /// (0 = the first ever added): a number that stays with a transition as the ring turns and
  /// across save/load. Same shape as `positions`.
  at::Tensor transition_ids(const at::Tensor& positions) const;
  /// The episodes of the transitions at `positions` ([...] int64, oldest = 0), each numbered by
  /// the transition_id of its first step (which may be overwritten already). Same shape.
  at::Tensor episode_ids(const at::Tensor& positions) const;
  /// Every stored transition, oldest first (a copy).
  TransitionBatch all() const;
  /// Transitions at `positions` ([N] int64, oldest = 0).
  TransitionBatch at(const at::Tensor& positions) const;

  /// Complete stored episodes as [begin, end) position ranges, oldest first: an episode whose
  /// first step was overwritten, or that has not ended yet, is left out.
  std::vector<std::pair<int64_t, int64_t>> episodes() const;

  /// Writes the stored transitions (atomically) to `path`; throws IoError on failure.
  void save(const std::filesystem::path& path) const;
  /// Reads a file written by `save`; throws DataError naming the path (and the bad entry) when it
  /// is missing, corrupt or of other dimensions than this buffer. Capacity may differ: the newest
  /// transitions that fit are kept.
  void load(const std::filesystem::path& path);
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive, const std::string& source);

 private:
  // storage slot of position p (oldest = 0)
  at::Tensor slots(const at::Tensor& positions) const;
  // [N] bool: the transitions at `positions` are their episodes' first steps
  at::Tensor starts_episode(const at::Tensor& positions) const;
  // rows of `steps` and is_first, [length * batch] time-major, viewed as [length, batch, ...]
  static SequenceBatch time_major(const TransitionBatch& steps, const at::Tensor& is_first,
                                  int64_t length, int64_t batch);

  int64_t capacity_, obs_dim_, act_dim_;
  int64_t size_ = 0;
  int64_t next_ = 0;  // slot written next
  int64_t num_added_ = 0;
  int64_t episode_step_ = 0;  // step index the next transition gets
  at::Tensor obs_, act_, next_obs_, reward_, terminated_, truncated_, step_in_episode_;
};

}  // namespace mbrl

// StepReplay: the record a world model with memory trains on, one entry per observation, as
// DreamerV3's replay keeps it (an episode of n env steps is n + 1 entries: its first observation,
// then each observation with the action and reward that led to it).
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "mbrl/core/types.h"

namespace torch::serialize {
class InputArchive;
class OutputArchive;
}  // namespace torch::serialize

namespace mbrl {

/// B chunks of T consecutive steps, time-major: obs [T, B, obs_dim]; prev_act [T, B, act_dim],
/// the action that led to obs (zeros at an episode's first step); reward [T, B] float32, the
/// reward received on arriving at obs (0 at a first step); is_first [T, B] bool, obs starts an
/// episode (a sequence model resets its memory there); is_terminal [T, B] bool, obs ends its
/// episode by termination (the continue target is 0 there; a time limit is not a termination).
/// A chunk may run from one episode into the next.
struct StepBatch {
  at::Tensor obs;
  at::Tensor prev_act;
  at::Tensor reward;
  at::Tensor is_first;
  at::Tensor is_terminal;

  int64_t length() const { return obs.defined() ? obs.size(0) : 0; }
  int64_t batch() const { return obs.defined() ? obs.size(1) : 0; }
  /// The same steps on `device` (no copy where they already are).
  StepBatch to(c10::Device device) const;
};

/// The steps of one recorded episode as a StepReplay keeps them, as one chunk of T = N + 1 steps
/// of batch 1: the first observation (is_first, zero action and reward), then each transition's
/// next observation with the action that led to it, its reward and its termination.
/// episode: N >= 1 consecutive transitions of one episode, oldest first (TransitionBatch
/// fields obs [N, obs_dim], next_obs [N, obs_dim], reward [N], terminated [N]); act [N, act_dim]:
/// its actions in the units the replay stores (e.g. DreamerAgent::normalize of the env's).
/// Returns obs [T, 1, obs_dim], prev_act [T, 1, act_dim], reward [T, 1], is_first and
/// is_terminal [T, 1] bool, on the episode's device.
StepBatch episode_steps(const TransitionBatch& episode, const at::Tensor& act);

/// A ring of the last `capacity` steps, on the CPU, float32. Filled by an online loop with
/// `add_first` at every reset and `add` after every env step; the oldest steps are overwritten.
///
/// Threading contract: one thread at a time.
class StepReplay {
 public:
  /// capacity >= 1, obs_dim >= 1, act_dim >= 1.
  StepReplay(int64_t capacity, int64_t obs_dim, int64_t act_dim);

  /// An episode's first observation: obs [obs_dim].
  void add_first(const at::Tensor& obs);
  /// The observation after an env step, with the action taken and the reward received:
  /// obs [obs_dim], act [act_dim]; terminated: the episode ended by termination. Throws
  /// std::logic_error before the first add_first.
  void add(const at::Tensor& obs, const at::Tensor& act, double reward, bool terminated);

  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }

  /// `batch` chunks of `length` consecutive steps (oldest to newest order), starts uniform over
  /// the size - length + 1 possible ones. Needs size() >= length >= 1.
  StepBatch sample(int64_t batch, int64_t length, at::Generator& gen) const;
  /// The chunks starting at the given positions, 0 = the oldest step kept: starts [B] int64 in
  /// [0, size - length].
  StepBatch chunks_at(const at::Tensor& starts, int64_t length) const;

  /// Checkpoint entries (every step kept, oldest first, and the episode state), for exact resume.
  void save(torch::serialize::OutputArchive& archive) const;
  /// Throws DataError naming `source` and the entry when it is missing or has the wrong shape.
  void load(torch::serialize::InputArchive& archive, const std::string& source);

 private:
  void push(const at::Tensor& obs, const at::Tensor& act, double reward, bool first, bool terminal);

  int64_t capacity_, obs_dim_, act_dim_;
  int64_t size_ = 0, next_ = 0;  // steps kept; slot of the next step
  bool in_episode_ = false;
  at::Tensor obs_, prev_act_, reward_, is_first_, is_terminal_;  // [capacity, ...]
};

}  // namespace mbrl

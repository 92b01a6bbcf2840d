// RolloutStart: where N model rollouts start, with the real history a model with memory reads
// first.
#pragma once

#include <ATen/core/Tensor.h>

#include "mbrl/data/sequence_batch.h"

namespace mbrl {

/// The start of N model rollouts (Dyna's branched rollouts from real states):
///   obs:      [N, obs_dim] the start observations;
///   history:  [L, N] the L real transitions before each start, time-major (L = 0: no history,
///             every field undefined); history.is_first resets the memory where an episode
///             starts inside it;
///   is_first: [N] bool (or undefined: all false): the start itself is an episode's first step,
///             so its memory is fresh whatever the history holds.
/// A model without memory reads only `obs` (DynamicsModel::initial_state_after).
struct RolloutStart {
  at::Tensor obs;
  SequenceBatch history;
  at::Tensor is_first;

  int64_t rows() const { return obs.defined() ? obs.size(0) : 0; }
};

}  // namespace mbrl

// SequenceScorer: the one way a planner sees the world, as the expected return of candidate
// action sequences. Learned models, batched true dynamics and the MuJoCo simulator all implement
// it, so the same CEM plans on each.
#pragma once

#include <ATen/core/Tensor.h>

namespace mbrl {

/// Scores candidate action sequences from start observations.
///
/// Threading contract: called from the planning thread only; implementations may parallelize
/// internally.
class SequenceScorer {
 public:
  virtual ~SequenceScorer() = default;

  /// obs: [S, obs_dim] start observations; actions: [S, P, H, act_dim] candidate sequences in the
  /// env's action space -> [S, P] float32 on the device of `actions`: the (expected) sum of
  /// rewards over the H steps. A sequence whose episode terminates stops accumulating reward.
  /// Non-finite returns are replaced by a large negative value, so they are never chosen.
  virtual at::Tensor score(const at::Tensor& obs, const at::Tensor& actions) = 0;

  /// The real episode so far, for scorers whose model remembers (a sequence model): an agent
  /// calls `begin_episode` at every episode start and `observe` after every real step (obs,
  /// act: [obs_dim], [act_dim]; next_obs [obs_dim]); `score` from the last next_obs alone
  /// (S = 1) then continues the memory of that history. Scorers without memory ignore both.
  virtual void begin_episode() {}
  virtual void observe(const at::Tensor& obs, const at::Tensor& act, const at::Tensor& next_obs) {}
};

}  // namespace mbrl

// TrueDynamicsScorer: scores action sequences on a task's true batched dynamics (the "oracle").
#pragma once

#include <memory>

#include <ATen/core/Tensor.h>

#include "mbrl/envs/env.h"
#include "mbrl/envs/sequence_scorer.h"
#include "mbrl/envs/task_functions.h"

namespace mbrl {

/// Rolls every candidate sequence forward with the task's TrueDynamics and sums the rewards of
/// its TaskFunctions, so a planner can run on the real dynamics with the same code it runs on a
/// learned model: a failure can then be pinned on the model or on the planner.
///
/// All S * P sequences advance together, one batched dynamics call per step. A sequence stops
/// accumulating reward after the step on which it terminates; a non-finite return becomes
/// kNonFiniteScore. Threading contract: planning thread only; the task functions are const.
class TrueDynamicsScorer : public SequenceScorer {
 public:
  /// Score given to a sequence whose return is NaN or infinite.
  static constexpr float kNonFiniteScore = -1e10f;

  /// task, dynamics: non-null; usually one object (the classic-control tasks implement both).
  TrueDynamicsScorer(std::shared_ptr<const TaskFunctions> task,
                     std::shared_ptr<const TrueDynamics> dynamics);

  /// obs: [S, obs_dim] start observations; actions: [S, P, H, act_dim] in the env's action
  /// space -> [S, P] float32 on the device of `actions`: the sum of the H rewards. Runs under
  /// torch::NoGradGuard.
  at::Tensor score(const at::Tensor& obs, const at::Tensor& actions) override;

 private:
  std::shared_ptr<const TaskFunctions> task_;
  std::shared_ptr<const TrueDynamics> dynamics_;
};

/// The oracle scorer of `env`, or nullptr when its task functions have no true dynamics.
std::shared_ptr<TrueDynamicsScorer> make_true_dynamics_scorer(const Env& env);

}  // namespace mbrl

// ActionOptimizer: maximizes an objective over batches of action sequences (CEM, iCEM, MPPI,
// random shooting). It knows nothing of models or environments.
#pragma once

#include <cstdint>
#include <functional>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "mbrl/core/types.h"

namespace mbrl {

/// The objective an ActionOptimizer maximizes: candidate sequences [S, P, H, A] -> scores [S, P]
/// (higher is better), float32 on the optimizer's device. The S problems are independent: row s
/// of the scores may depend only on row s of the sequences. P may differ between calls (iCEM
/// shrinks its population). NaN scores are treated as the worst possible.
using SequenceObjective = std::function<at::Tensor(const at::Tensor&)>;

/// Maximizes a SequenceObjective over action sequences whose every action lies in a Box.
///
/// Batched natively over S independent problems: `optimize` solves them in one call, and the S
/// problems share the same standard-normal draws (common random numbers). Each call draws from
/// its own stream of the generator (see restart_stream), so problem s gets the same answer
/// whether it is solved alone or with others, given the same seed and number of earlier calls.
///
/// Lifecycle (after MuJoCo MPC's planners): the constructor checks the options; population
/// buffers are sized on the first `optimize` for a given S and H and reused afterwards; `reset`
/// forgets what is carried between calls. Every candidate passed to the objective and every
/// solution returned lies inside the bounds. Random numbers come only from the generator given
/// at construction.
///
/// Threading contract: one planning thread at a time per instance.
class ActionOptimizer {
 public:
  virtual ~ActionOptimizer() = default;

  /// Runs the optimizer under torch::NoGradGuard.
  /// objective: see SequenceObjective; initial: [S, H, A] on device(), inside the bounds (the
  /// mean of the first sampling distribution, usually the warm start) -> [S, H, A] on device():
  /// the solution of each problem. Throws ShapeError on a wrongly shaped initial or objective
  /// output.
  virtual at::Tensor optimize(const SequenceObjective& objective, const at::Tensor& initial) = 0;

  /// Forgets state carried from one call to the next (iCEM's kept elites, MPPI's last action);
  /// called at the start of an episode.
  virtual void reset() {}

  /// Tells the optimizer that the first `steps` actions of its last solution were executed, so
  /// state carried to the next call is shifted in time the same way the warm start is.
  virtual void shift(int64_t steps) {}

  /// The bounds of one action: [A] float32 on the CPU.
  virtual const Box& action_space() const = 0;
  /// Where the optimizer's tensors live.
  virtual c10::Device device() const = 0;
};

}  // namespace mbrl

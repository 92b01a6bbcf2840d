// PopulationOptimizer: what CEM, iCEM, MPPI and random shooting share (bounds on the device, one
// generator stream per call, the population's scoring).
#pragma once

#include <cstdint>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "mbrl/planners/action_optimizer.h"
#include "mbrl/planners/sampling.h"

namespace mbrl {

/// The base of the optimizers that sample a population of action sequences and score it.
///
/// It holds the action bounds (on the CPU and as device tensors) and the generator, and gives
/// every `optimize` call its own stream of that generator (restart_stream, from the generator's
/// seed at construction and the number of calls before), so a call's draws depend only on the
/// seed and on how many calls came before it.
class PopulationOptimizer : public ActionOptimizer {
 public:
  const Box& action_space() const override { return action_space_; }
  c10::Device device() const override { return device_; }

 protected:
  /// action_space: finite bounds of one action; gen: a generator on `device`, owned from now on.
  PopulationOptimizer(Box action_space, c10::Device device, at::Generator gen);

  /// The start of every `optimize`: throws ShapeError unless initial is [S, H, act_dim] with
  /// S, H >= 1, then moves the generator to this call's stream.
  void begin_call(const at::Tensor& initial);

  /// population: [S, P, H, A] -> objective(population) as [S, P] float32 with NaN replaced by the
  /// lowest float (never chosen); throws ShapeError when the objective returns another shape.
  static at::Tensor score(const SequenceObjective& objective, const at::Tensor& population);

  const Box action_space_;
  const c10::Device device_;
  const DeviceBounds bounds_;
  at::Generator gen_;

 private:
  uint64_t base_seed_ = 0;  // the generator's seed at construction
  int64_t calls_ = 0;       // optimize calls so far: each draws from its own stream
};

}  // namespace mbrl

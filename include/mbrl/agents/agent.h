// Agent: maps observations to actions; the interface every policy and planner-based agent meets.
#pragma once

#include <ATen/core/Tensor.h>

#include "mbrl/io/archive_fwd.h"

namespace mbrl {

/// Whether an action is for data collection (explore: sample, add noise) or for evaluation
/// (eval: deterministic where the agent has a notion of it).
enum class ActMode { kExplore, kEval };

/// An acting policy. Learning is not part of this interface: training loops own the schedule and
/// call the agent's own update methods.
///
/// Threading contract: one thread at a time per instance.
class Agent {
 public:
  virtual ~Agent() = default;

  /// Called at the start of every episode: clears warm starts and recurrent state.
  virtual void reset() {}

  /// obs: [obs_dim] float32 -> action [act_dim] float32 on the CPU, inside the env's action
  /// space (the one in BuildContext::env()).
  virtual at::Tensor act(const at::Tensor& obs, ActMode mode = ActMode::kExplore) = 0;

  /// Writes what the agent has learned (networks, models, normalizers), for `mbrl eval` and
  /// checkpoints. Stateless agents write nothing.
  virtual void save(torch::serialize::OutputArchive& archive) const {}
  /// Reads what `save` wrote; throws DataError when it does not match this agent.
  virtual void load(torch::serialize::InputArchive& archive) {}
};

}  // namespace mbrl

// Learner and PolicyLearner: the interfaces the training loops drive. A learner updates from
// batches of transitions and names the metrics of each update; a policy learner also acts, one
// state at a time (Agent) and on batches of states (model rollouts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "mbrl/agents/agent.h"
#include "mbrl/core/types.h"

namespace mbrl {

/// The values of one update, one per name of the learner's metric_names(), in that order.
using UpdateMetrics = std::vector<double>;

/// Something that learns from batches of transitions (SAC today; RAVL's critic ensemble, MOPO's
/// penalised SAC and COPlanner's policy build on it). Loops log the per-episode mean of each
/// metric under the declared names, so a new learner needs no change in any loop.
class Learner {
 public:
  virtual ~Learner() = default;
  /// The metric columns of `update`, e.g. {critic_loss, actor_loss, alpha, entropy, q_mean}.
  virtual const std::vector<std::string>& metric_names() const = 0;
  /// One update on `batch` (any size and device; batch.act in the env's action space) ->
  /// metric_names().size() values.
  virtual UpdateMetrics update(const TransitionBatch& batch) = 0;
  /// The transitions per update the learner is configured for (SAC: its batch_size).
  virtual int64_t batch_size() const = 0;
};

/// An agent that learns from transition batches: what the model-free and Dyna-style loops
/// (`sac`, `mbpo`) run.
class PolicyLearner : public Agent, public Learner {
 public:
  /// obs: [B, obs_dim] on any device -> actions [B, act_dim] within the env's bounds, on obs's
  /// device, without gradients; sampled from the policy unless `deterministic`.
  virtual at::Tensor act_batch(const at::Tensor& obs, bool deterministic) = 0;
};

}  // namespace mbrl

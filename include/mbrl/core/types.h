// Core value types shared by every layer: Box spaces, EnvSpec and TransitionBatch.
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace mbrl {

/// A box-shaped space: every element i lies in [low[i], high[i]].
/// low, high: [dim] float32 on the CPU.
struct Box {
  at::Tensor low;
  at::Tensor high;

  Box() = default;
  Box(at::Tensor low, at::Tensor high);
  /// A box with the same bounds in every dimension.
  static Box uniform(int64_t dim, double low, double high);

  int64_t dim() const { return low.defined() ? low.size(0) : 0; }
  /// True when every element of x ([..., dim]) lies inside the bounds.
  bool contains(const at::Tensor& x) const;
  /// x: [..., dim] -> clipped to the bounds, same shape and device as x.
  at::Tensor clip(const at::Tensor& x) const;
  /// Bounds moved to `device` (cached by the caller; this allocates).
  Box to(const c10::Device& device) const;
};

/// What an environment looks like to the components built for it: dimensions, bounds, limits.
/// Derived quantities like these are never config options; they reach components through
/// BuildContext.
struct EnvSpec {
  std::string name;               // the registry type, e.g. "cartpole_swingup"
  Box observation_space;          // [obs_dim]
  Box action_space;               // [act_dim]
  int64_t max_episode_steps = 0;  // 0: no time limit
  /// Discrete actions: the action is one of act_dim choices, given as a vector in the box
  /// [0, 1]^act_dim (one-hot from an agent; the env takes the first largest entry).
  bool discrete_actions = false;

  int64_t obs_dim() const { return observation_space.dim(); }
  int64_t act_dim() const { return action_space.dim(); }
};

/// A batch of transitions, the record every buffer, model and learner exchanges.
/// obs, next_obs: [B, obs_dim]; act: [B, act_dim]; reward: [B] float32;
/// terminated, truncated: [B] bool (terminated: a true end of the MDP, no bootstrapping;
/// truncated: cut by a time limit).
struct TransitionBatch {
  at::Tensor obs;
  at::Tensor act;
  at::Tensor next_obs;
  at::Tensor reward;
  at::Tensor terminated;
  at::Tensor truncated;

  int64_t size() const { return obs.defined() ? obs.size(0) : 0; }
  /// Rows `index` ([N] int64) of every field.
  TransitionBatch index(const at::Tensor& index) const;
  /// Rows [begin, end) of every field (a view, no copy).
  TransitionBatch slice(int64_t begin, int64_t end) const;
  TransitionBatch to(const c10::Device& device) const;
  /// Throws ShapeError unless every field has the documented shape and a common B.
  void check(int64_t obs_dim, int64_t act_dim) const;
  /// Concatenation along B.
  static TransitionBatch cat(const std::vector<TransitionBatch>& parts);
};

}  // namespace mbrl

// SequenceBatch: B sequences of T consecutive transitions, the record sequence models train on.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace mbrl {

/// B sequences of T consecutive transitions, time-major as sequence models read them:
/// obs, next_obs: [T, B, obs_dim]; act: [T, B, act_dim]; reward: [T, B] float32;
/// terminated, truncated, is_first: [T, B] bool. is_first[t, b] marks the first step of an
/// episode: a sequence that runs past an episode's end continues with the next episode's first
/// step, marked, so that a sequence model resets its memory there.
struct SequenceBatch {
  at::Tensor obs;
  at::Tensor act;
  at::Tensor next_obs;
  at::Tensor reward;
  at::Tensor terminated;
  at::Tensor truncated;
  at::Tensor is_first;

  int64_t length() const { return obs.defined() ? obs.size(0) : 0; }
  int64_t batch() const { return obs.defined() ? obs.size(1) : 0; }
  /// Sequences [begin, begin + count) of the batch (every field narrowed along dim 1).
  SequenceBatch columns(int64_t begin, int64_t count) const {
    auto part = [&](const at::Tensor& t) { return t.defined() ? t.narrow(1, begin, count) : t; };
    return {part(obs),        part(act),       part(next_obs), part(reward),
            part(terminated), part(truncated), part(is_first)};
  }
  SequenceBatch to(const c10::Device& device) const {
    return {obs.to(device),        act.to(device),       next_obs.to(device), reward.to(device),
            terminated.to(device), truncated.to(device), is_first.to(device)};
  }
};

}  // namespace mbrl

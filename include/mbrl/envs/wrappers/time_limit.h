// TimeLimit: truncates episodes after a fixed number of steps.
#pragma once

#include "mbrl/envs/wrappers/env_wrapper.h"

namespace mbrl {

/// Sets `truncated` on step `max_episode_steps` of an episode (Gymnasium's TimeLimit).
/// A step that terminates keeps `terminated`; both flags may be set on the same step.
/// Raw envs report their conventional limit in `spec().max_episode_steps` but do not enforce
/// it; this wrapper does, and reports the limit it enforces.
class TimeLimit : public EnvWrapper {
 public:
  /// max_episode_steps >= 0; 0 means no limit.
  TimeLimit(std::shared_ptr<Env> inner, int64_t max_episode_steps);

  const EnvSpec& spec() const override { return spec_; }
  at::Tensor reset(std::optional<uint64_t> seed = std::nullopt) override;
  StepResult step(const at::Tensor& act) override;

  int64_t elapsed_steps() const { return elapsed_; }

 private:
  EnvSpec spec_;
  int64_t elapsed_ = 0;
};

}  // namespace mbrl

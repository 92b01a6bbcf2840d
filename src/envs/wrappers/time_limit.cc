// TimeLimit wrapper.
#include "mbrl/envs/wrappers/time_limit.h"

#include "mbrl/core/check.h"

namespace mbrl {

TimeLimit::TimeLimit(std::shared_ptr<Env> inner, int64_t max_episode_steps)
    : EnvWrapper(std::move(inner)), spec_(inner_->spec()) {
  MBRL_CHECK_ARG(max_episode_steps >= 0, "max_episode_steps",
                 "expected a non-negative integer (0: no limit), got ", max_episode_steps);
  spec_.max_episode_steps = max_episode_steps;
}

at::Tensor TimeLimit::reset(std::optional<uint64_t> seed) {
  elapsed_ = 0;
  return inner_->reset(seed);
}

StepResult TimeLimit::step(const at::Tensor& act) {
  StepResult r = inner_->step(act);
  ++elapsed_;
  if (spec_.max_episode_steps > 0 && elapsed_ >= spec_.max_episode_steps) r.truncated = true;
  return r;
}

}  // namespace mbrl

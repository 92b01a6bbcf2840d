// RolloutSchedule: truncated linear interpolation of the rollout length.
#include "mbrl/algorithms/rollout_schedule.h"

#include <algorithm>

#include "mbrl/core/check.h"

namespace mbrl {

int64_t RolloutSchedule::length(int64_t epoch) const {
  if (epoch <= min_epoch || max_length == min_length) return min_length;
  const double dx = std::min(
      1.0, static_cast<double>(epoch - min_epoch) / static_cast<double>(max_epoch - min_epoch));
  // int() of the interpolated value, as both references do
  return static_cast<int64_t>(dx * static_cast<double>(max_length - min_length) +
                              static_cast<double>(min_length));
}

std::vector<int64_t> RolloutSchedule::to_vector() const {
  return {min_epoch, max_epoch, min_length, max_length};
}

RolloutSchedule RolloutSchedule::from_vector(const std::vector<int64_t>& v) {
  MBRL_CHECK_ARG(v.size() == 4, "rollout_schedule",
                 "expected [min_epoch, max_epoch, min_length, max_length], got ",
                 detail::list_text(v));
  RolloutSchedule s{v[0], v[1], v[2], v[3]};
  MBRL_CHECK_ARG(s.min_epoch >= 0 && s.min_length >= 1 && s.max_length >= 1, "rollout_schedule",
                 "expected min_epoch >= 0 and lengths >= 1, got ", detail::list_text(v));
  MBRL_CHECK_ARG(s.min_epoch < s.max_epoch || s.min_length == s.max_length, "rollout_schedule",
                 "expected min_epoch < max_epoch, got ", detail::list_text(v));
  return s;
}

}  // namespace mbrl

// RolloutSchedule: MBPO's rollout length k as a truncated linear function of the epoch.
#pragma once

#include <cstdint>
#include <vector>

namespace mbrl {

/// The model-rollout length schedule `[min_epoch, max_epoch, min_length, max_length]` of MBPO
/// (Janner et al. 2019, appendix C; jannerm/mbpo `_set_rollout_length`, mbrl-lib's
/// `truncated_linear`): k = min_length up to min_epoch, then linear in the epoch up to
/// max_length at max_epoch, constant afterwards, truncated to an integer.
struct RolloutSchedule {
  int64_t min_epoch = 20;
  int64_t max_epoch = 100;
  int64_t min_length = 1;
  int64_t max_length = 1;

  /// The rollout length k >= 1 in (1-based) epoch `epoch`.
  int64_t length(int64_t epoch) const;
  /// The YAML list form.
  std::vector<int64_t> to_vector() const;
  /// From the YAML list [min_epoch, max_epoch, min_length, max_length]; throws
  /// InvalidArgument("rollout_schedule", ...) unless it has 4 entries with min_epoch < max_epoch
  /// (or equal lengths), 0 <= min_epoch and lengths >= 1.
  static RolloutSchedule from_vector(const std::vector<int64_t>& values);
};

}  // namespace mbrl

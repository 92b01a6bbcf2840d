// D4RL's normalised score: a return placed between a task's random and expert returns.
#pragma once

#include <optional>
#include <string>

namespace mbrl {

/// The two returns a normalised score is measured between, and where they come from.
struct ReferenceReturns {
  double random = 0;  // 0 on the normalised scale
  double expert = 0;  // 100 on the normalised scale
  std::string source;
};

/// The reference returns of an env type of the registry: D4RL's REF_MIN_SCORE / REF_MAX_SCORE
/// (d4rl/infos.py, the same for every dataset flavour) for half_cheetah, hopper, walker2d and ant,
/// and this library's measured ones for the tasks D4RL does not have (pendulum,
/// inverted_pendulum; docs/offline_datasets.md). nullopt for other env types.
std::optional<ReferenceReturns> reference_returns(const std::string& env_type);

/// 100 * (episode_return - random) / (expert - random), as the D4RL papers report it
/// (d4rl's get_normalized_score returns the fraction).
double normalized_score(double episode_return, const ReferenceReturns& reference);

}  // namespace mbrl

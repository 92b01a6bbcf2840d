// Reference returns for D4RL's normalised score.
#include "mbrl/algorithms/normalized_score.h"

#include <map>

#include "mbrl/core/check.h"

namespace mbrl {

std::optional<ReferenceReturns> reference_returns(const std::string& env_type) {
  static const std::map<std::string, ReferenceReturns> table = {
      // d4rl/infos.py REF_MIN_SCORE / REF_MAX_SCORE (specs section 12), for every flavour
      {"half_cheetah", {-280.178953, 12135.0, "D4RL infos.py (halfcheetah)"}},
      {"hopper", {-20.272305, 3234.3, "D4RL infos.py (hopper)"}},
      {"walker2d", {1.629008, 4592.3, "D4RL infos.py (walker2d)"}},
      {"ant", {-325.6, 3879.7, "D4RL infos.py (ant)"}},
      // measured here (docs/offline_datasets.md): the random dataset's mean return (pendulum:
      // 500 episodes; inverted_pendulum: 16,579), and the expert SAC policy's deterministic
      // return over 100 episodes (inverted_pendulum: 1000, the most an episode can earn)
      {"pendulum",
       {-1232.70, -159.29, "mbrl: configs/random/pendulum.yaml, configs/sac/pendulum.yaml"}},
      {"inverted_pendulum",
       {6.03, 1000.0,
        "mbrl: configs/random/inverted_pendulum.yaml, configs/sac/inverted_pendulum.yaml"}},
  };
  const auto it = table.find(env_type);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

double normalized_score(double episode_return, const ReferenceReturns& reference) {
  MBRL_CHECK(reference.expert != reference.random,
             "normalized_score: the random and expert reference returns are equal (",
             reference.random, ")");
  return 100.0 * (episode_return - reference.random) / (reference.expert - reference.random);
}

}  // namespace mbrl

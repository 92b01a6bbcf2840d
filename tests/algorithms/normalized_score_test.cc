// Tests for algorithms/normalized_score.cc: D4RL's normalised score.
#include <gtest/gtest.h>

#include "mbrl/algorithms/normalized_score.h"

namespace mbrl {
namespace {

TEST(NormalizedScoreTest, PlacesAReturnBetweenRandomAndExpert) {
  const ReferenceReturns cheetah = reference_returns("half_cheetah").value();
  EXPECT_DOUBLE_EQ(normalized_score(-280.178953, cheetah), 0.0);
  EXPECT_DOUBLE_EQ(normalized_score(12135.0, cheetah), 100.0);
  // d4rl: get_normalized_score(4000) = (4000 + 280.178953) / (12135 + 280.178953)
  EXPECT_NEAR(normalized_score(4000.0, cheetah), 100 * 4280.178953 / 12415.178953, 1e-9);
  EXPECT_NEAR(normalized_score(1000.0, reference_returns("hopper").value()),
              100 * 1020.272305 / 3254.572305, 1e-9);
  EXPECT_NEAR(normalized_score(1000.0, reference_returns("walker2d").value()),
              100 * 998.370992 / 4590.670992, 1e-9);
  EXPECT_NEAR(normalized_score(1000.0, reference_returns("ant").value()), 100 * 1325.6 / 4205.3,
              1e-9);
  const ReferenceReturns pendulum = reference_returns("pendulum").value();
  EXPECT_LT(pendulum.random, pendulum.expert);
  const ReferenceReturns inverted = reference_returns("inverted_pendulum").value();
  EXPECT_DOUBLE_EQ(normalized_score(1000.0, inverted), 100.0);
  EXPECT_DOUBLE_EQ(normalized_score(6.03, inverted), 0.0);
  EXPECT_FALSE(reference_returns("cartpole_swingup").has_value());
}

}  // namespace
}  // namespace mbrl

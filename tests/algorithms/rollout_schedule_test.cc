// Tests for algorithms/rollout_schedule.cc: MBPO's truncated linear rollout length.
#include <gtest/gtest.h>

#include "mbrl/algorithms/rollout_schedule.h"
#include "mbrl/core/error.h"
#include "tests/support/expect_throw.h"

namespace mbrl {
namespace {

TEST(RolloutScheduleTest, HopperScheduleKnownLengths) {
  // [20, 100, 1, 15]: k = 1 up to epoch 20, then 1 + 14 (e - 20) / 80 truncated, 15 from 100 on
  RolloutSchedule s = RolloutSchedule::from_vector({20, 100, 1, 15});
  EXPECT_EQ(s.length(1), 1);
  EXPECT_EQ(s.length(20), 1);
  EXPECT_EQ(s.length(21), 1);   // 1 + 14 / 80 = 1.175
  EXPECT_EQ(s.length(26), 2);   // 1 + 14 * 6 / 80 = 2.05
  EXPECT_EQ(s.length(60), 8);   // 1 + 14 * 40 / 80 = 8
  EXPECT_EQ(s.length(99), 14);  // 1 + 14 * 79 / 80 = 14.825, truncated
  EXPECT_EQ(s.length(100), 15);
  EXPECT_EQ(s.length(200), 15);
}

TEST(RolloutScheduleTest, ConstantAndInvertedPendulumSchedules) {
  RolloutSchedule cheetah = RolloutSchedule::from_vector({20, 150, 1, 1});
  for (int64_t e : {1, 20, 100, 150, 400}) EXPECT_EQ(cheetah.length(e), 1) << e;
  RolloutSchedule ant = RolloutSchedule::from_vector({20, 100, 1, 25});
  EXPECT_EQ(ant.length(60), 13);  // 1 + 24 * 0.5
  EXPECT_EQ(ant.length(101), 25);
  // a decreasing schedule interpolates downwards
  RolloutSchedule down = RolloutSchedule::from_vector({0, 10, 5, 1});
  EXPECT_EQ(down.length(0), 5);
  EXPECT_EQ(down.length(5), 3);
  EXPECT_EQ(down.length(10), 1);
}

TEST(RolloutScheduleTest, RoundTripsThroughTheListForm) {
  RolloutSchedule s = RolloutSchedule::from_vector({1, 15, 2, 7});
  EXPECT_EQ(s.to_vector(), (std::vector<int64_t>{1, 15, 2, 7}));
}

TEST(RolloutScheduleTest, BadListsNameTheKey) {
  EXPECT_THROW_WITH(RolloutSchedule::from_vector({20, 100, 1}), InvalidArgument,
                    "rollout_schedule");
  EXPECT_THROW_WITH(RolloutSchedule::from_vector({20, 100, 1, 1, 1}), InvalidArgument,
                    "[20, 100, 1, 1, 1]");
  EXPECT_THROW_WITH(RolloutSchedule::from_vector({20, 100, 0, 5}), InvalidArgument, "lengths >= 1");
  EXPECT_THROW_WITH(RolloutSchedule::from_vector({-1, 100, 1, 5}), InvalidArgument,
                    "min_epoch >= 0");
  EXPECT_THROW_WITH(RolloutSchedule::from_vector({100, 20, 1, 15}), InvalidArgument,
                    "min_epoch < max_epoch");
  // equal epochs are fine when the length does not change (no division)
  EXPECT_EQ(RolloutSchedule::from_vector({5, 5, 3, 3}).length(9), 3);
}

}  // namespace
}  // namespace mbrl

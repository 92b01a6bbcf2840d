// Tests for algorithms/run_schedule.cc: evaluation and checkpoint events by step count, exact
// resumption of the cadence from the step count alone.
#include "mbrl/algorithms/run_schedule.h"

#include <vector>

#include <gtest/gtest.h>

namespace mbrl {
namespace {

// the steps at which events were due over a run, checkpoints taken as soon as they are due
struct Trace {
  std::vector<int64_t> evaluations, checkpoints;
};

Trace trace(RunSchedule::Options o, int64_t from, const std::vector<bool>& boundary) {
  RunSchedule s(o, from);
  Trace t;
  for (int64_t step = from + 1; step <= o.num_steps; ++step) {
    const RunEvents e = s.after_step(step, boundary.at(static_cast<size_t>(step - 1)));
    if (e.evaluate) t.evaluations.push_back(step);
    if (e.checkpoint) {
      t.checkpoints.push_back(step);
      s.checkpoint_taken(step);
    }
  }
  if (s.final_checkpoint_due(o.num_steps)) t.checkpoints.push_back(o.num_steps);
  return t;
}

TEST(RunScheduleTest, EvaluatesEveryEvalEveryAndAfterTheLastStep) {
  Trace t = trace({10, 4, 0}, 0, std::vector<bool>(10, true));
  EXPECT_EQ(t.evaluations, (std::vector<int64_t>{4, 8, 10}));
  EXPECT_EQ(t.checkpoints, (std::vector<int64_t>{10}));  // checkpoint_every 0: only the end
}

TEST(RunScheduleTest, CheckpointsWaitForABoundary) {
  // boundaries (episode ends) at steps 3, 7, 9, 12
  std::vector<bool> b(12, false);
  for (int s : {3, 7, 9, 12}) b[s - 1] = true;
  Trace t = trace({12, 100, 4}, 0, b);
  // due from 4 (taken at 7), then from 8 (taken at 9), then from 12 (taken at 12, not again)
  EXPECT_EQ(t.checkpoints, (std::vector<int64_t>{7, 9, 12}));
}

TEST(RunScheduleTest, ResumingFromTheStepCountContinuesTheCadence) {
  std::vector<bool> b(20, true);
  Trace whole = trace({20, 5, 6}, 0, b);
  Trace resumed = trace({20, 5, 6}, 12, b);  // resumed after the checkpoint at 12
  EXPECT_EQ(whole.checkpoints, (std::vector<int64_t>{6, 12, 18, 20}));
  EXPECT_EQ(resumed.checkpoints, (std::vector<int64_t>{18, 20}));
  EXPECT_EQ(resumed.evaluations, (std::vector<int64_t>{15, 20}));
}

}  // namespace
}  // namespace mbrl

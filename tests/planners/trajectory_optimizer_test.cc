// Tests for planners/trajectory_optimizer.cc: warm starts, shifting, resets.
#include "mbrl/planners/trajectory_optimizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "mbrl/core/error.h"
#include "mbrl/planners/cem.h"
#include "tests/planners/test_problems.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

using test::quadratic;

// Records the initial solution it is given and returns a known sequence: step h of start s is
// 0.1 * (h + 1) + s in every action dimension.
class RecordingOptimizer : public ActionOptimizer {
 public:
  explicit RecordingOptimizer(Box box) : box_(std::move(box)) {}

  at::Tensor optimize(const SequenceObjective&, const at::Tensor& initial) override {
    initials.push_back(initial.clone());
    const int64_t S = initial.size(0), H = initial.size(1), A = initial.size(2);
    auto steps = torch::arange(1, H + 1, torch::kFloat32).mul(0.1).view({1, H, 1});
    auto starts = torch::arange(S, torch::kFloat32).view({S, 1, 1});
    return (steps + starts).expand({S, H, A}).contiguous();
  }
  void reset() override { ++resets; }
  void shift(int64_t steps) override { shifts.push_back(steps); }
  const Box& action_space() const override { return box_; }
  c10::Device device() const override { return c10::Device(c10::kCPU); }

  std::vector<at::Tensor> initials;
  std::vector<int64_t> shifts;
  int resets = 0;

 private:
  Box box_;
};

// bounds [0, 4] and [2, 6]: their middle is (2, 4)
Box test_box() { return Box(torch::tensor({0.0, 2.0}), torch::tensor({4.0, 6.0})); }

SequenceObjective unused() {
  return [](const at::Tensor& x) { return torch::zeros({x.size(0), x.size(1)}); };
}

TEST(TrajectoryOptimizerTest, FirstCallStartsFromTheMiddleOfTheBounds) {
  auto rec = std::make_shared<RecordingOptimizer>(test_box());
  TrajectoryOptimizer traj(TrajectoryOptimizerOptions().planning_horizon(4), rec);
  auto out = traj.optimize(unused(), 2);
  EXPECT_SHAPE(out, {2, 4, 2});
  auto middle = torch::tensor({2.0, 4.0}).expand({2, 4, 2});
  EXPECT_TENSOR_CLOSE(rec->initials.at(0), middle);
  EXPECT_TENSOR_CLOSE(traj.initial_solution(), middle[0]);
}

TEST(TrajectoryOptimizerTest, WarmStartIsTheLastSolutionShiftedByOneStep) {
  auto rec = std::make_shared<RecordingOptimizer>(test_box());
  TrajectoryOptimizer traj(TrajectoryOptimizerOptions().planning_horizon(4), rec);
  auto first = traj.optimize(unused(), 2);
  traj.optimize(unused(), 2);

  auto warm = rec->initials.at(1);
  EXPECT_TENSOR_CLOSE(warm.narrow(1, 0, 3), first.narrow(1, 1, 3));
  EXPECT_TENSOR_CLOSE(warm.select(1, 3), torch::tensor({2.0, 4.0}).expand({2, 2}));
  EXPECT_EQ(rec->shifts, (std::vector<int64_t>{1, 1}));
}

TEST(TrajectoryOptimizerTest, ShiftsByTheReplanFrequency) {
  auto rec = std::make_shared<RecordingOptimizer>(test_box());
  TrajectoryOptimizer traj(TrajectoryOptimizerOptions().planning_horizon(5).replan_freq(3), rec);
  auto first = traj.optimize(unused(), 1);
  traj.optimize(unused(), 1);
  auto warm = rec->initials.at(1);
  EXPECT_TENSOR_CLOSE(warm.narrow(1, 0, 2), first.narrow(1, 3, 2));
  EXPECT_TENSOR_CLOSE(warm.narrow(1, 2, 3), torch::tensor({2.0, 4.0}).expand({1, 3, 2}));
  EXPECT_EQ(rec->shifts, (std::vector<int64_t>{3, 3}));
}

TEST(TrajectoryOptimizerTest, ColdStartsWithoutKeepLastSolutionAfterResetOrNewStartCount) {
  auto middle = [](int64_t S) { return torch::tensor({2.0, 4.0}).expand({S, 3, 2}); };

  auto rec = std::make_shared<RecordingOptimizer>(test_box());
  TrajectoryOptimizer cold(
      TrajectoryOptimizerOptions().planning_horizon(3).keep_last_solution(false), rec);
  cold.optimize(unused(), 1);
  cold.optimize(unused(), 1);
  EXPECT_TENSOR_CLOSE(rec->initials.at(1), middle(1));
  EXPECT_TRUE(rec->shifts.empty());

  auto rec2 = std::make_shared<RecordingOptimizer>(test_box());
  TrajectoryOptimizer warm(TrajectoryOptimizerOptions().planning_horizon(3), rec2);
  warm.optimize(unused(), 2);
  warm.reset();
  EXPECT_FALSE(warm.warm_start().defined());
  warm.optimize(unused(), 2);
  EXPECT_TENSOR_CLOSE(rec2->initials.at(1), middle(2));
  EXPECT_EQ(rec2->resets, 1);

  // another number of starts: the old warm starts do not apply
  warm.optimize(unused(), 3);
  EXPECT_TENSOR_CLOSE(rec2->initials.at(2), middle(3));
}

TEST(TrajectoryOptimizerTest, WarmStartedCemTracksAMovingTarget) {
  // the optimum moves one step per call, as it does for MPC: the warm start stays close to it
  const Box box = Box::uniform(1, -1.0, 1.0);
  auto cem = std::make_shared<CemOptimizer>(CemOptions().population_size(150).num_iterations(6),
                                            box, c10::Device(c10::kCPU), test::test_generator(1));
  TrajectoryOptimizer traj(TrajectoryOptimizerOptions().planning_horizon(6), cem);
  auto path = torch::sin(torch::arange(20, torch::kFloat32) * 0.3) * 0.8;
  at::Tensor solution;
  for (int64_t t = 0; t < 10; ++t) {
    auto target = path.narrow(0, t, 6).view({1, 6, 1});
    solution = traj.optimize(quadratic(target), 1);
  }
  EXPECT_LT((solution - path.narrow(0, 9, 6).view({1, 6, 1})).abs().max().item<double>(), 0.05);
}

TEST(TrajectoryOptimizerTest, RejectsBadOptionsNamingThem) {
  auto rec = std::make_shared<RecordingOptimizer>(test_box());
  EXPECT_THROW_WITH(TrajectoryOptimizer(TrajectoryOptimizerOptions().planning_horizon(0), rec),
                    InvalidArgument, "planning_horizon");
  EXPECT_THROW_WITH(
      TrajectoryOptimizer(TrajectoryOptimizerOptions().planning_horizon(4).replan_freq(5), rec),
      InvalidArgument, "replan_freq: expected an integer in [1, planning_horizon = 4], got 5");
}

}  // namespace
}  // namespace mbrl

// Tests for models/sample_weighting.cc: the trajectory-distance kernel and the best episodes.
#include "mbrl/models/sample_weighting.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "mbrl/config/loader.h"
#include "mbrl/core/error.h"
#include "mbrl/data/replay_buffer.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

TEST(SampleWeightingTest, KernelFallsWithTheStandardizedDistanceToTheNearestReferenceRow) {
  // 1-D points 0, 1, 2, 3, 4: mean 2, std sqrt(2); the reference is the point 0
  const at::Tensor points = torch::arange(5, torch::kFloat32).unsqueeze(1);
  const at::Tensor w = trajectory_distance_weights(points, points.narrow(0, 0, 1), 0.5, 0.2);
  const double s = std::sqrt(2.0);
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(w[i].item<double>(), 0.2 + 0.8 * std::exp(-(i / s) / 0.5), 1e-6) << i;
  }
  EXPECT_EQ(w[0].item<float>(), 1.0f);
  // the nearest of several reference rows counts, and far rows tend to min_weight
  const at::Tensor two = torch::tensor({{0.0f}, {4.0f}});
  const at::Tensor w2 = trajectory_distance_weights(points, two, 0.5, 0.2);
  EXPECT_FLOAT_EQ(w2[4].item<float>(), 1.0f);
  EXPECT_NEAR(w2[3].item<double>(), w[1].item<double>(), 1e-6);
  const at::Tensor far = trajectory_distance_weights(torch::tensor({{0.0f}, {1e4f}}),
                                                     torch::tensor({{0.0f}}), 0.1, 0.3);
  EXPECT_NEAR(far[1].item<double>(), 0.3, 1e-6);
}

void add_episode(ReplayBuffer& replay, float x, float reward, int64_t steps) {
  for (int64_t t = 0; t < steps; ++t) {
    replay.add(torch::full({1}, x), torch::zeros({1}), torch::full({1}, x), reward,
               /*terminated=*/false, /*truncated=*/t + 1 == steps);
  }
}

TEST(SampleWeightingTest, ReferenceIsTheBestCompleteEpisodes) {
  ReplayBuffer replay(100, 1, 1);
  SampleWeightingOptions o;
  o.type(SampleWeighting::kTrajectoryDistance).length_scale(0.1).min_weight(0.0);
  add_episode(replay, 0.0f, 1.0f, 3);  // return 3
  add_episode(replay, 5.0f, 2.0f, 3);  // return 6: the best
  // an unfinished episode with the highest reward so far is not a reference
  replay.add(torch::full({1}, 9.0f), torch::zeros({1}), torch::full({1}, 9.0f), 9.0, false, false);
  at::Tensor w = replay_sample_weights(replay, o);
  ASSERT_EQ(w.size(0), replay.size());
  EXPECT_TRUE(w.narrow(0, 3, 3).eq(1.0f).all().item<bool>());  // the best episode
  EXPECT_LT(w.narrow(0, 0, 3).max().item<float>(), 1e-3f);
  // two reference episodes: both weigh 1
  w = replay_sample_weights(replay, o.best_episodes(2));
  EXPECT_TRUE(w.narrow(0, 0, 6).eq(1.0f).all().item<bool>());
  EXPECT_FALSE(replay_sample_weights(replay, SampleWeightingOptions()).defined());
  ReplayBuffer running(10, 1, 1);
  running.add(torch::zeros({1}), torch::zeros({1}), torch::zeros({1}), 0.0, false, false);
  EXPECT_TRUE(replay_sample_weights(running, o).equal(torch::ones({1})));
}

TEST(SampleWeightingTest, BadOptionsNameTheKey) {
  auto read = [](const std::string& yaml) {
    return sample_weighting_options_from_config(load_config_string(yaml, "w.yaml"));
  };
  EXPECT_EQ(read("type: trajectory_distance\nbest_episodes: 3\n").best_episodes(), 3);
  EXPECT_THROW_WITH(read("type: expert\n"), ConfigError,
                    "w.yaml:1:7: type: expected one of none, trajectory_distance, got 'expert'");
  EXPECT_THROW_WITH(check_sample_weighting_options(SampleWeightingOptions().min_weight(1.5)),
                    InvalidArgument, "sample_weighting.min_weight");
  EXPECT_THROW_WITH(check_sample_weighting_options(SampleWeightingOptions().length_scale(0)),
                    InvalidArgument, "sample_weighting.length_scale");
  EXPECT_THROW_WITH(check_sample_weighting_options(SampleWeightingOptions().best_episodes(0)),
                    InvalidArgument, "sample_weighting.best_episodes");
}

}  // namespace
}  // namespace mbrl

// Tests for models/value_gradients.cc: VaGraM's clipping and weights.
#include "mbrl/models/value_gradients.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

// G = 2 value functions, 20 rows each: row r of function i is (r + 1) * scale_i * (0.6, 0.8, 0)
at::Tensor graded_rows() {
  const at::Tensor direction = torch::tensor({0.6f, 0.8f, 0.0f});
  const at::Tensor norms = torch::arange(1, 21, torch::kFloat32);
  return torch::stack({norms.unsqueeze(1) * direction, 10.0 * norms.unsqueeze(1) * direction});
}

TEST(ValueGradientsTest, ClippingRescalesExactlyTheVectorsAboveTheQuantile) {
  const at::Tensor g = graded_rows();
  const at::Tensor clipped = clip_value_gradients(g, 0.95);
  // the 95 % quantile of 1..20 (linear interpolation) is 19.05, per function
  for (int64_t i = 0; i < 2; ++i) {
    const double scale = i == 0 ? 1.0 : 10.0;
    EXPECT_TRUE(clipped[i].narrow(0, 0, 19).equal(g[i].narrow(0, 0, 19))) << i;
    EXPECT_NEAR(clipped[i][19].norm().item<double>(), 19.05 * scale, 1e-4 * scale) << i;
    EXPECT_TENSOR_CLOSE(clipped[i][19] / clipped[i][19].norm(), torch::tensor({0.6f, 0.8f, 0.0f}));
  }
  // rows may carry any leading shape ([G, E, B, o]); the quantile is over all of them
  EXPECT_TRUE(clip_value_gradients(g.view({2, 4, 5, 3}), 0.95).equal(clipped.view({2, 4, 5, 3})));
  EXPECT_TRUE(clip_value_gradients(g, 1.0).equal(g));
  EXPECT_THROW_WITH(clip_value_gradients(g, 0.0), InvalidArgument, "vagram_clip_quantile");
  EXPECT_THROW_WITH(clip_value_gradients(g, 1.5), InvalidArgument, "vagram_clip_quantile");
}

TEST(ValueGradientsTest, WeightsTurnTheMeanSquaredErrorIntoTheReferenceLoss) {
  const int64_t obs_dim = 3, rows = 6;
  const at::Tensor g = torch::randn({4, rows, obs_dim});
  const at::Tensor err = torch::randn({rows, obs_dim + 1});
  // pairlab/vagram vaml_mlp.py: per row, mean over state dims of sum_i (g_i err)^2, plus the
  // reward's squared error
  const at::Tensor state_err = err.narrow(1, 0, obs_dim);
  const at::Tensor reference =
      (g * state_err).square().sum(0).mean(1) + err.select(1, obs_dim).square();
  const at::Tensor w = vagram_target_weights(g, obs_dim + 1);
  ASSERT_EQ(w.sizes(), (std::vector<int64_t>{rows, obs_dim + 1}));
  EXPECT_TENSOR_CLOSE((w * err.square()).mean(1), reference, 1e-5, 1e-6);
  // without a learned reward the weights are sum_i g_i^2, and unit gradients give the MSE
  EXPECT_TENSOR_CLOSE(vagram_target_weights(g, obs_dim), g.square().sum(0));
  EXPECT_TRUE(vagram_target_weights(torch::ones({1, rows, obs_dim}), obs_dim)
                  .equal(torch::ones({rows, obs_dim})));
}

}  // namespace
}  // namespace mbrl

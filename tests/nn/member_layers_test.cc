// Tests for nn/member_layers.h: one member is torch::nn::Linear and at::layer_norm exactly;
// several members map their own slices by their own parameters.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "mbrl/nn/member_layers.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

TEST(MemberLinearTest, OneMemberIsTorchLinearDrawForDraw) {
  torch::manual_seed(4);
  torch::nn::Linear linear(5, 3);
  torch::manual_seed(4);
  MemberLinear one(1, 5, 3);
  EXPECT_TRUE(one->weight.equal(linear->weight));
  EXPECT_TRUE(one->bias.equal(linear->bias));
  const at::Tensor x = torch::randn({2, 7, 5});
  EXPECT_TRUE(one->forward(x).equal(linear->forward(x)));
  // the same parameter names, so archives written with Linear load
  EXPECT_EQ(one->named_parameters().keys(), linear->named_parameters().keys());
}

TEST(MemberLinearTest, EachMemberMapsItsOwnSlice) {
  torch::manual_seed(0);
  for (bool bias : {true, false}) {
    MemberLinear three(3, 4, 2, bias);
    const at::Tensor x = torch::randn({5, 6, 3 * 4});
    const at::Tensor y = three->forward(x);
    ASSERT_EQ(y.sizes(), (std::vector<int64_t>{5, 6, 3 * 2}));
    for (int64_t m = 0; m < 3; ++m) {
      auto [w, b] = three->member(m);
      EXPECT_EQ(b.defined(), bias);
      EXPECT_TENSOR_CLOSE(y.narrow(-1, 2 * m, 2), at::linear(x.narrow(-1, 4 * m, 4), w, b), 1e-6,
                          1e-6)
          << "member " << m;
    }
    // every member drawn as Linear draws: |w| <= 1 / sqrt(in), and the members differ
    EXPECT_LE(three->weight.abs().max().item<double>(), 0.5);
    EXPECT_FALSE(three->weight[0].equal(three->weight[1]));
  }
  EXPECT_THROW_WITH(MemberLinear(0, 4, 2), InvalidArgument, "members");
  EXPECT_THROW_WITH(MemberLinear(2, 4, 2)->member(2), InvalidArgument, "members");
}

TEST(MemberLayerNormTest, NormalisesEachMembersSliceByItsOwnScaleAndShift) {
  torch::manual_seed(1);
  const at::Tensor h = torch::randn({4, 3 * 5});
  const at::Tensor w = torch::randn({3 * 5}), b = torch::randn({3 * 5});
  const at::Tensor y = member_layer_norm(h, 3, w, b);
  for (int64_t m = 0; m < 3; ++m) {
    const auto own = [m](const at::Tensor& t) { return t.narrow(-1, 5 * m, 5); };
    EXPECT_TENSOR_CLOSE(own(y), at::layer_norm(own(h), {5}, own(w), own(b)), 1e-5, 1e-5) << m;
  }
  EXPECT_TRUE(member_layer_norm(h, 1, w, b).equal(at::layer_norm(h, {15}, w, b)));
}

}  // namespace
}  // namespace mbrl

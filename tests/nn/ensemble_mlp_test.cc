// Tests for nn/ensemble_mlp.cc.
#include "mbrl/nn/ensemble_mlp.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

// member e of a two-hidden-layer tanh MLP, computed from its own weights one layer at a time
at::Tensor member_forward(EnsembleMlp& mlp, int64_t e, const at::Tensor& x) {
  at::Tensor h = x;
  const auto params = mlp->named_parameters();
  for (int64_t l = 0; l < 3; ++l) {
    const std::string name = "linear" + std::to_string(l);
    h = torch::addmm(params[name + ".bias"][e], h, params[name + ".weight"][e]);
    if (l < 2) h = torch::tanh(h);
  }
  return h;
}

TEST(EnsembleMlpTest, EachMemberIsItsOwnMlp) {
  EnsembleMlp mlp(
      EnsembleMlpOptions(3, 4, 2).hidden_size(5).num_layers(2).activation(Activation::kTanh));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : mlp->parameters()) p.normal_();  // biases too, so a member mix-up shows
  }
  const at::Tensor x = torch::randn({3, 6, 4});
  const at::Tensor y = mlp->forward(x);
  EXPECT_SHAPE(y, {3, 6, 2});
  for (int64_t e = 0; e < 3; ++e)
    EXPECT_TENSOR_CLOSE(y[e], member_forward(mlp, e, x[e]), 1e-5, 1e-5) << "member " << e;

  // shared rows of any leading shape: every member reads all of them
  const at::Tensor rows = torch::randn({2, 5, 4});
  const at::Tensor shared = mlp->forward_shared(rows);
  EXPECT_SHAPE(shared, {3, 2, 5, 2});
  for (int64_t e = 0; e < 3; ++e)
    EXPECT_TENSOR_CLOSE(shared[e], member_forward(mlp, e, rows.reshape({10, 4})).view({2, 5, 2}),
                        1e-5, 1e-5);
  EXPECT_EQ(mlp->parameters().size(), 6u);
}

TEST(EnsembleMlpTest, BadSizesNameTheOption) {
  EXPECT_THROW_WITH(EnsembleMlp(EnsembleMlpOptions(0, 4, 2)), InvalidArgument, "ensemble_size");
  EXPECT_THROW_WITH(EnsembleMlp(EnsembleMlpOptions(2, 4, 2).num_layers(-1)), InvalidArgument,
                    "num_layers");
  EnsembleMlp mlp(EnsembleMlpOptions(2, 4, 2));
  EXPECT_THROW_WITH(mlp->forward(torch::zeros({3, 1, 4})), ShapeError, "x");
}

}  // namespace
}  // namespace mbrl

// Tests for models/ensemble_inference.cc: the tiled CPU forward equals the batched one.
#include "mbrl/models/ensemble_inference.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/Parallel.h>

#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "tests/support/fixture.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

std::shared_ptr<GaussianMlpEnsemble> model() {
  return std::make_shared<GaussianMlpEnsemble>(GaussianMlpEnsembleOptions(3, 2)
                                                   .ensemble_size(5)
                                                   .num_layers(3)
                                                   .hidden_size(32)
                                                   .learn_termination(true));
}

// raw outputs of every member on every row by the autograd module
at::Tensor reference(GaussianMlpEnsemble& m, const at::Tensor& x) {
  torch::NoGradGuard no_grad;
  at::Tensor h = x.unsqueeze(0).expand({m.ensemble_size(), x.size(0), x.size(1)}).contiguous();
  for (size_t l = 0; l < m.layers().size(); ++l) {
    h = at::baddbmm(m.layers()[l]->bias, h, m.layers()[l]->weight);
    if (l + 1 < m.layers().size()) h = apply_activation(m.options().activation(), h);
  }
  return h;
}

TEST(EnsembleInferenceTest, ForwardAllMatchesTheModule) {
  auto m = model();
  EnsembleInference inference(*m);
  // more rows than a tile, so several tiles per member
  auto x = torch::randn({EnsembleInference::kTileRows * 2 + 37, m->input_dim()});
  auto ref = reference(*m, x);
  const int saved_threads = at::get_num_threads();
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    auto out = inference.forward_all(x, {4, 1});
    EXPECT_SHAPE(out, {2, x.size(0), m->output_columns()});
    EXPECT_TENSOR_CLOSE(out[0], ref[4], 1e-5, 1e-5);
    EXPECT_TENSOR_CLOSE(out[1], ref[1], 1e-5, 1e-5);
  }
  at::set_num_threads(saved_threads);
}

TEST(EnsembleInferenceTest, ForwardGroupedRunsEachRowThroughItsMember) {
  auto m = model();
  EnsembleInference inference(*m);
  auto x = torch::randn({700, m->input_dim()});
  auto ref = reference(*m, x);
  const std::vector<int64_t> members{2, 0, 3};
  const std::vector<int64_t> offsets{0, 300, 300, 700};  // an empty group in the middle
  auto out = inference.forward_grouped(x, members, offsets);
  EXPECT_SHAPE(out, {700, m->output_columns()});
  EXPECT_TENSOR_CLOSE(out.narrow(0, 0, 300), ref[2].narrow(0, 0, 300), 1e-5, 1e-5);
  EXPECT_TENSOR_CLOSE(out.narrow(0, 300, 400), ref[3].narrow(0, 300, 400), 1e-5, 1e-5);
}

TEST(EnsembleInferenceTest, ReadsTheCurrentWeights) {
  auto m = model();
  EnsembleInference inference(*m);
  auto x = torch::randn({10, m->input_dim()});
  auto before = inference.forward_all(x, {0}).clone();
  {
    torch::NoGradGuard no_grad;
    m->layers().back()->bias.add_(1.0);
  }
  EXPECT_TENSOR_CLOSE(inference.forward_all(x, {0}), before + 1.0, 1e-5, 1e-5);
}

TEST(EnsembleInferenceTest, BatchedPathOnCuda_CUDA) {
  MBRL_SKIP_WITHOUT_CUDA();
  auto m = model();
  auto x = torch::randn({300, m->input_dim()});
  auto ref = reference(*m, x);
  m->to(torch::kCUDA);
  EnsembleInference inference(*m);
  auto all = inference.forward_all(x.cuda(), {3, 0}).cpu();
  EXPECT_TENSOR_CLOSE(all[0], ref[3], 1e-4, 1e-4);
  auto grouped = inference.forward_grouped(x.cuda(), {1, 2}, {0, 100, 300}).cpu();
  EXPECT_TENSOR_CLOSE(grouped.narrow(0, 100, 200), ref[2].narrow(0, 100, 200), 1e-4, 1e-4);
}

}  // namespace
}  // namespace mbrl

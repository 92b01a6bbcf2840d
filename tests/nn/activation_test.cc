// Tests for models/activation.cc and the vectorized SiLU it uses on the CPU.
#include "mbrl/nn/activation.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

const Activation kAll[] = {Activation::kSilu, Activation::kRelu, Activation::kLeakyRelu,
                           Activation::kTanh, Activation::kElu};

TEST(ActivationTest, NamesRoundTrip) {
  for (Activation a : kAll) EXPECT_EQ(parse_activation(activation_name(a)), a);
  EXPECT_THROW_WITH(parse_activation("swish"), InvalidArgument,
                    "expected one of elu, leaky_relu, relu, silu, tanh, got 'swish'");
}

TEST(ActivationTest, InPlaceMatchesOutOfPlace) {
  // 1001 values: not a multiple of any vector width, with large magnitudes at both ends
  auto z = torch::cat(
      {torch::linspace(-8, 8, 995), torch::tensor({-200.f, -90.f, -0.f, 1e-30f, 90.f, 200.f})});
  for (Activation a : kAll) {
    SCOPED_TRACE(activation_name(a));
    at::Tensor x = z.clone();
    apply_activation_(a, x);
    EXPECT_TENSOR_CLOSE(x, apply_activation(a, z), 2e-6, 1e-7);
  }
}

TEST(ActivationTest, SiluWithSigmoidKeepsTheSigmoid) {
  auto z = torch::randn({37, 19}) * 4;
  at::Tensor x = z.clone(), s = torch::empty_like(z);
  apply_activation_(Activation::kSilu, x, &s);
  EXPECT_TENSOR_CLOSE(s, torch::sigmoid(z), 2e-6, 1e-7);
  EXPECT_TENSOR_CLOSE(x, torch::silu(z), 2e-6, 1e-7);
}

TEST(ActivationTest, SiluKeepsNaN) {
  at::Tensor x = torch::tensor({1.0f, std::nanf(""), -1.0f});
  apply_activation_(Activation::kSilu, x);
  EXPECT_TRUE(std::isnan(x[1].item<float>()));
  EXPECT_FALSE(std::isnan(x[0].item<float>()));
}

TEST(ActivationTest, BackwardMatchesAutograd) {
  auto z = (torch::randn({300}) * 3).requires_grad_(true);
  auto g = torch::randn({300});
  for (Activation a : kAll) {
    SCOPED_TRACE(activation_name(a));
    z.mutable_grad() = at::Tensor();
    apply_activation(a, z).backward(g);
    at::Tensor h = z.detach().clone(), s = torch::empty_like(h);
    apply_activation_(a, h, a == Activation::kSilu ? &s : nullptr);
    at::Tensor grad = g.clone();
    activation_backward_inplace(a, grad.data_ptr<float>(), h.data_ptr<float>(),
                                a == Activation::kSilu ? s.data_ptr<float>() : nullptr, 300);
    EXPECT_TENSOR_CLOSE(grad, z.grad(), 1e-5, 1e-6);
  }
}

}  // namespace
}  // namespace mbrl

// Tensor comparisons for tests: shape first, then values with allclose, with a readable diff.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

namespace mbrl::test {

/// Success when `actual` has the shape of `expected` and allclose(actual, expected, rtol, atol).
inline ::testing::AssertionResult tensors_close(const torch::Tensor& actual,
                                                const torch::Tensor& expected, double rtol = 1e-5,
                                                double atol = 1e-6) {
  if (actual.sizes() != expected.sizes()) {
    return ::testing::AssertionFailure()
           << "shape " << actual.sizes() << " != expected " << expected.sizes();
  }
  auto a = actual.detach().cpu().to(torch::kFloat64);
  auto e = expected.detach().cpu().to(torch::kFloat64);
  if (torch::allclose(a, e, rtol, atol)) return ::testing::AssertionSuccess();
  auto diff = (a - e).abs();
  auto idx = diff.flatten().argmax().item<int64_t>();
  std::ostringstream out;
  out << "max |difference| " << diff.max().item<double>() << " at flat index " << idx << ": actual "
      << a.flatten()[idx].item<double>() << ", expected " << e.flatten()[idx].item<double>()
      << " (rtol " << rtol << ", atol " << atol << ")";
  return ::testing::AssertionFailure() << out.str();
}

}  // namespace mbrl::test

#define EXPECT_TENSOR_CLOSE(actual, expected, ...) \
  EXPECT_TRUE(::mbrl::test::tensors_close(actual, expected, ##__VA_ARGS__))
#define EXPECT_SHAPE(t, ...) EXPECT_EQ((t).sizes().vec(), (std::vector<int64_t>(__VA_ARGS__)))

// Poisson(1) bootstrap counts from a counter-based hash of (seed, predictor, id).
#include "mbrl/models/bootstrap_counts.h"

#include <torch/torch.h>

#include <array>
#include <cmath>
#include <vector>

#include "mbrl/core/check.h"

namespace mbrl {

namespace {

// SplitMix64's output function (Steele, Lea, Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): a bijection of 64-bit words whose outputs pass BigCrush.
uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

constexpr int kMaxCount = 20;

// P(K <= k) for K ~ Poisson(1), k = 0 .. kMaxCount - 1
std::array<double, kMaxCount> poisson1_cdf() {
  std::array<double, kMaxCount> cdf{};
  double pmf = std::exp(-1.0), sum = 0.0;
  for (int k = 0; k < kMaxCount; ++k) {
    sum += pmf;
    cdf[k] = sum;
    pmf /= static_cast<double>(k + 1);
  }
  return cdf;
}

}  // namespace

at::Tensor poisson_bootstrap_counts(const at::Tensor& ids_in, int64_t predictors, uint64_t seed) {
  MBRL_CHECK_ARG(predictors >= 1, "predictors", "expected an integer >= 1, got ", predictors);
  MBRL_CHECK(ids_in.scalar_type() == torch::kInt64,
             "poisson_bootstrap_counts: expected int64 ids, got ", ids_in.scalar_type());
  static const std::array<double, kMaxCount> cdf = poisson1_cdf();
  const at::Tensor ids = ids_in.to(torch::kCPU).contiguous();
  const int64_t n = ids.numel();
  std::vector<int64_t> shape{predictors};
  shape.insert(shape.end(), ids.sizes().begin(), ids.sizes().end());
  at::Tensor counts = torch::empty(shape, torch::kFloat32);
  const int64_t* id = ids.data_ptr<int64_t>();
  float* out = counts.data_ptr<float>();
  for (int64_t p = 0; p < predictors; ++p) {
    const uint64_t stream = splitmix64(seed ^ splitmix64(static_cast<uint64_t>(p)));
    for (int64_t i = 0; i < n; ++i) {
      // the top 53 bits as a uniform draw in [0, 1)
      const double u =
          static_cast<double>(splitmix64(stream ^ static_cast<uint64_t>(id[i])) >> 11) * 0x1p-53;
      int k = 0;
      while (k < kMaxCount && u >= cdf[k]) ++k;
      out[p * n + i] = static_cast<float>(k);
    }
  }
  return counts;
}

}  // namespace mbrl

// Weight initialisers.
#include "mbrl/nn/init.h"

#include <cmath>

#include <torch/torch.h>

namespace mbrl {

at::Tensor truncated_normal(at::IntArrayRef sizes, double std, std::optional<at::Generator> gen) {
  torch::NoGradGuard no_grad;
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  const c10::optional<at::Generator> g = gen ? c10::optional<at::Generator>(*gen) : c10::nullopt;
  at::Tensor out = at::normal(0.0, std, sizes, g, opts);

  // redraw the entries outside two standard deviations; each round keeps ~95% of them
  for (int round = 0; round < 100; ++round) {
    at::Tensor outside = out.abs() > 2.0 * std;
    if (!outside.any().item<bool>()) break;
    out = at::where(outside, at::normal(0.0, std, sizes, g, opts), out);
  }
  return out.clamp_(-2.0 * std, 2.0 * std);
}

void xavier_uniform_(at::Tensor& weight, int64_t fan_in, int64_t fan_out,
                     const std::optional<at::Generator>& gen) {
  torch::NoGradGuard no_grad;
  const double a = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  const c10::optional<at::Generator> g = gen ? c10::optional<at::Generator>(*gen) : c10::nullopt;
  weight.uniform_(-a, a, g);
}

}  // namespace mbrl

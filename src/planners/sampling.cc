// Bounds, truncated normal and coloured noise for the population-based optimizers.
#include "mbrl/planners/sampling.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/core/rng.h"

namespace mbrl {
namespace {

// standard normal CDF at -2: the mass below the lower truncation point
constexpr double kPhiMinus2 = 0.022750131948179195;
constexpr double kSqrt2 = 1.4142135623730951;

// Giles' single-precision erfinv polynomial in w = -log(1 - x^2) - 2.5, highest power first
constexpr std::array<double, 9> kErfinvCoefficients{2.81022636e-08,  3.43273939e-07, -3.5233877e-06,
                                                    -4.39150654e-06, 0.00021858087,  -0.00125372503,
                                                    -0.00417768164,  0.246640727,    1.50140941};

}  // namespace

DeviceBounds::DeviceBounds(const Box& box, c10::Device device) {
  MBRL_CHECK_ARG(box.dim() > 0, "action_space", "expected at least one action dimension, got 0");
  MBRL_CHECK_ARG(
      torch::isfinite(box.low).all().item<bool>() && torch::isfinite(box.high).all().item<bool>(),
      "action_space", "expected finite action bounds, got low ", box.low, " high ", box.high);
  low = box.low.to(device, torch::kFloat32);
  high = box.high.to(device, torch::kFloat32);
}

void DeviceBounds::clamp_(at::Tensor& x) const { x.clamp_(low, high); }

at::Tensor DeviceBounds::constrained_variance(const at::Tensor& mean, const at::Tensor& var) const {
  auto to_low = (mean - low).square_().div_(4.0);
  auto to_high = (high - mean).square_().div_(4.0);
  return torch::min(torch::min(to_low, to_high), var);
}

at::Tensor DeviceBounds::middle() const { return (low + high) / 2.0; }

at::Tensor DeviceBounds::initial_variance() const { return (high - low).square() / 16.0; }

void restart_stream(at::Generator& gen, uint64_t base_seed, int64_t call) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_current_seed(derive_seed(base_seed, "call " + std::to_string(call)));
}

void TruncatedNormalSampler::sample_(at::Tensor& x, at::Generator& gen) {
  // u ~ U(2 Phi(-2) - 1, 2 Phi(2) - 1); sqrt(2) erfinv(u) is then N(0, 1) restricted to [-2, 2]
  const double edge = 1.0 - 2.0 * kPhiMinus2;
  x.uniform_(-edge, edge, gen);

  // erfinv(u) = u p(w) with w = -log(1 - u^2) - 2.5 (w < 5 holds for |u| <= 0.9545, so Giles'
  // central branch is the only one needed); p's coefficients carry the sqrt(2) factor
  if (!w_.defined() || !w_.sizes().equals(x.sizes()) || w_.device() != x.device()) {
    w_ = torch::empty_like(x);
    p_ = torch::empty_like(x);
  }
  at::mul_out(w_, x, x).neg_().log1p_().neg_().sub_(2.5);
  p_.fill_(kErfinvCoefficients[0] * kSqrt2);
  for (size_t i = 1; i < kErfinvCoefficients.size(); ++i) {
    p_.mul_(w_).add_(kErfinvCoefficients[i] * kSqrt2);
  }
  x.mul_(p_).clamp_(-2.0, 2.0);
}

void truncated_normal_(at::Tensor& x, at::Generator& gen) {
  TruncatedNormalSampler sampler;
  sampler.sample_(x, gen);
}

at::Tensor colored_noise(double exponent, at::IntArrayRef leading, int64_t length,
                         at::Generator& gen, const at::TensorOptions& options) {
  MBRL_CHECK_ARG(length >= 1, "planning_horizon", "expected a positive length, got ", length);
  const int64_t bins = length / 2 + 1;
  const bool has_nyquist = length % 2 == 0 && length > 1;

  // amplitude per frequency bin, computed on the host: f^(-exponent / 2) with f clipped below at
  // 1 / length; the real DC (and Nyquist) bins get sqrt(2) so each bin carries the variance of a
  // conjugate pair. The divisor is colorednoise's "theoretical output standard deviation"
  // (powerlaw_psd_gaussian, version 2): 2 sqrt(sum over bins k >= 1 of w_k^2) / T, w_k = s_k
  // but the Nyquist bin's w halved. It leaves the DC bin out and counts the Nyquist bin at a
  // quarter of its weight, so samples have a variance above 1 (std 1.15 at exponent 2 and
  // T = 16). For T = 1 (no bin k >= 1, where colorednoise fails) the divisor is the true
  // standard deviation: unit variance.
  std::vector<float> amplitude(bins);
  double true_variance = 0.0, colorednoise_variance = 0.0;
  for (int64_t k = 0; k < bins; ++k) {
    const double f = std::max(static_cast<double>(k), 1.0) / static_cast<double>(length);
    const double s = std::pow(f, -exponent / 2.0);
    const bool real_bin = k == 0 || (has_nyquist && k == bins - 1);
    amplitude[k] = static_cast<float>(real_bin ? s * std::sqrt(2.0) : s);
    true_variance += (real_bin ? 2.0 : 4.0) * s * s;
    const double w = k == bins - 1 ? s * static_cast<double>(1 + length % 2) / 2.0 : s;
    if (k >= 1) colorednoise_variance += 4.0 * w * w;
  }
  const double variance = length == 1 ? true_variance : colorednoise_variance;
  const double scale = std::sqrt(variance) / static_cast<double>(length);
  auto amp =
      torch::tensor(amplitude, torch::kFloat32).to(options.device()) / static_cast<float>(scale);

  // complex white noise shaped by the amplitudes; the real bins have no imaginary part
  std::vector<int64_t> shape(leading.begin(), leading.end());
  shape.push_back(bins);
  auto real = torch::empty(shape, options.dtype(torch::kFloat32));
  auto imag = torch::empty(shape, options.dtype(torch::kFloat32));
  real.normal_(0.0, 1.0, gen).mul_(amp);
  imag.normal_(0.0, 1.0, gen).mul_(amp);
  imag.select(-1, 0).zero_();
  if (has_nyquist) imag.select(-1, bins - 1).zero_();
  return torch::fft::irfft(torch::complex(real, imag), length, -1);
}

}  // namespace mbrl

// Sampling helpers shared by the population-based action optimizers: action bounds on a device,
// truncated normal noise and coloured (power-law) noise.
#pragma once

#include <cstdint>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "mbrl/core/types.h"

namespace mbrl {

/// The bounds of one action on the optimizer's device, broadcastable against [..., A].
struct DeviceBounds {
  /// box: finite bounds (InvalidArgument "action_space" otherwise); copied to `device`.
  DeviceBounds(const Box& box, c10::Device device);

  at::Tensor low;   // [A] float32
  at::Tensor high;  // [A] float32

  /// x: [..., A] -> clipped into the bounds in place.
  void clamp_(at::Tensor& x) const;
  /// mean: [..., A] inside the bounds, var: broadcastable to mean -> [..., A]: the largest
  /// variance not above `var` whose +-2 std interval around `mean` stays inside the bounds,
  /// min((mean - low)^2 / 4, (high - mean)^2 / 4, var) (PETS's CEM).
  at::Tensor constrained_variance(const at::Tensor& mean, const at::Tensor& var) const;
  /// [A]: the middle of the bounds.
  at::Tensor middle() const;
  /// [A]: (high - low)^2 / 16, the initial CEM variance of PETS.
  at::Tensor initial_variance() const;
};

/// Restarts `gen` on the stream of call number `call` of an optimizer whose generator was
/// seeded with `base_seed`. Each optimize call then draws from its own stream, so the numbers a
/// call uses never depend on how many an earlier call drew (after an early stop, or when solving
/// fewer problems at once): solving a problem alone or among others gives the same answer.
void restart_stream(at::Generator& gen, uint64_t base_seed, int64_t call);

/// Draws standard normals truncated to [-2, 2] (as the CEM of PETS samples) by inverting the
/// normal CDF of uniform draws: no rejection loop, no device sync. The inverse error function is
/// Giles' single-precision polynomial ("Approximating the erfinv function", GPU Computing Gems,
/// 2011; absolute error below 3e-7 on the range used), several times faster than at::erfinv on
/// the CPU. Keeps its two work buffers between calls.
class TruncatedNormalSampler {
 public:
  /// Fills `x` (float32, any shape, on any device) in place.
  void sample_(at::Tensor& x, at::Generator& gen);

 private:
  at::Tensor w_;  // -log(1 - u^2) - 2.5
  at::Tensor p_;  // the polynomial in w_
};

/// The same, with fresh work buffers: for one-off use and tests.
void truncated_normal_(at::Tensor& x, at::Generator& gen);

/// Gaussian noise with power spectral density proportional to 1 / f^exponent along the last
/// axis (Timmer & Koenig 1995), scaled as the colorednoise package that iCEM's authors use
/// (powerlaw_psd_gaussian, version 2; Pinneri et al. 2020): its normaliser leaves the DC bin
/// out, so the variance per element is a little above 1 (std 1.08 / 1.10 / 1.15 for exponent
/// 0 / 1 / 2 at length 16; 1 at length 1). exponent 0 is white noise; 2 is "red" noise whose
/// samples drift smoothly in time. Frequencies below 1 / length get the scale of 1 / length.
/// leading: the leading dimensions; length: T >= 1 -> [leading..., T] float32 with `options`.
at::Tensor colored_noise(double exponent, at::IntArrayRef leading, int64_t length,
                         at::Generator& gen, const at::TensorOptions& options);

}  // namespace mbrl

// Bootstrap counts tied to the data: each predictor of an ensemble weighs each transition (or
// episode) by a Poisson(1) count drawn once for it, so repeated draws of the same data keep
// the predictors' resamples apart.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace mbrl {

/// The count with which predictor p of `predictors` sees the datum `id`, for every id:
/// ids: [...] int64 (any shape, CPU) -> [predictors, ...] float32 counts in {0, 1, 2, ...}.
///
/// Each count is Poisson(1), a pure function of (seed, p, id): a counter-based draw (SplitMix64
/// of the three, inverted through the Poisson(1) CDF), so the same datum gets the same count in
/// every batch it is drawn into, across calls and after a resume, with nothing stored per datum.
/// Poisson(1) is the limit of a bootstrap resample's Multinomial(N, 1/N) count of one datum as N
/// grows, the count online bagging draws (Oza & Russell, "Online Bagging and Boosting", 2001);
/// drawn once per datum and kept, as Bootstrapped DQN keeps the mask it draws when a transition
/// enters the buffer (Osband et al., NeurIPS 2016, sec. 3). Counts above 20 are cut to 20
/// (probability < 1e-19).
at::Tensor poisson_bootstrap_counts(const at::Tensor& ids, int64_t predictors, uint64_t seed);

}  // namespace mbrl

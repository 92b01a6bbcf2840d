// Epistemic and aleatoric uncertainty measures of an ensemble prediction.
#include "mbrl/models/uncertainty.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

Uncertainty ensemble_uncertainty(const at::Tensor& mean, const at::Tensor& std,
                                 const at::Tensor& samples) {
  MBRL_CHECK_SHAPE(mean, {-1, -1, -1}, "mean");
  const int64_t e = mean.size(0), n = mean.size(1), d = mean.size(2);
  if (std.defined()) MBRL_CHECK_SHAPE(std, {e, n, d}, "std");
  if (samples.defined()) MBRL_CHECK_SHAPE(samples, {e, n, d}, "samples");

  Uncertainty u;
  u.epistemic_std = mean.var(0, /*unbiased=*/false).mean(-1).sqrt();
  u.epistemic_max_deviation = (mean - mean.mean(0, true)).norm(2, -1).amax(0);

  // pairwise distances per row: [N, E, E]
  at::Tensor per_row = mean.transpose(0, 1);
  u.epistemic_max_pairwise = at::cdist(per_row, per_row).flatten(1).amax(1);

  u.aleatoric_max_norm =
      std.defined() ? std.norm(2, -1).amax(0) : torch::zeros({n}, mean.options());
  if (samples.defined()) u.sample_std = samples.std(0, /*unbiased=*/false).mean(-1);
  return u;
}

at::Tensor log_likelihood_variance(const at::Tensor& mean, const at::Tensor& std,
                                   const at::Tensor& target) {
  MBRL_CHECK_SHAPE(mean, {-1, -1, -1}, "mean");
  MBRL_CHECK_SHAPE(std, {mean.size(0), mean.size(1), mean.size(2)}, "std");
  MBRL_CHECK_SHAPE(target, {mean.size(1), mean.size(2)}, "target");
  const at::Tensor z = (target.unsqueeze(0) - mean) / std;
  // the constant -d/2 log(2 pi) does not change the variance
  const at::Tensor log_likelihood = (-0.5 * z.square() - std.log()).sum(-1);  // [E, N]
  return log_likelihood.var(0, /*unbiased=*/false);
}

}  // namespace mbrl

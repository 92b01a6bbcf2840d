// BoundedNormal.
#include "mbrl/agents/dreamer/bounded_normal.h"

#include <cmath>

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

BoundedNormal::BoundedNormal(const at::Tensor& mean_raw, const at::Tensor& std_raw, double min_std,
                             double max_std) {
  MBRL_CHECK_ARG(0 < min_std && min_std < max_std, "min_std",
                 "expected 0 < min_std < max_std, got ", min_std, " and ", max_std);
  MBRL_CHECK(mean_raw.sizes() == std_raw.sizes(), "BoundedNormal: mean ", mean_raw.sizes(),
             " and std ", std_raw.sizes(), " differ");
  mean_ = torch::tanh(mean_raw);
  std_ = (max_std - min_std) * torch::sigmoid(std_raw + 2.0) + min_std;
}

at::Tensor BoundedNormal::rsample(at::Generator& gen) const {
  at::Tensor eps = at::normal(0.0, 1.0, mean_.sizes(), gen, mean_.options());
  return mean_ + std_ * eps;
}

at::Tensor BoundedNormal::log_prob(const at::Tensor& action) const {
  const double half_log_two_pi = 0.5 * std::log(2.0 * M_PI);
  at::Tensor z = (action - mean_) / std_;
  return (-0.5 * z.square() - std_.log() - half_log_two_pi).sum(-1);
}

at::Tensor BoundedNormal::entropy() const {
  const double half_log_two_pi_e = 0.5 * std::log(2.0 * M_PI * M_E);
  return (std_.log() + half_log_two_pi_e).sum(-1);
}

}  // namespace mbrl

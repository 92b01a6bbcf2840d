// SquashedGaussianPolicy.
#include "mbrl/agents/squashed_gaussian_policy.h"

#include <cmath>

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

SquashedGaussianPolicyImpl::SquashedGaussianPolicyImpl(SquashedGaussianPolicyOptions options_)
    : options(options_) {
  MBRL_CHECK_ARG(options.obs_dim() >= 1, "obs_dim", "expected a positive integer, got ",
                 options.obs_dim());
  MBRL_CHECK_ARG(options.act_dim() >= 1, "act_dim", "expected a positive integer, got ",
                 options.act_dim());
  MBRL_CHECK_ARG(options.num_layers() >= 1, "num_layers", "expected a positive integer, got ",
                 options.num_layers());
  MBRL_CHECK_ARG(options.log_std_min() < options.log_std_max(), "log_std_min",
                 "expected log_std_min < log_std_max, got ", options.log_std_min(), " and ",
                 options.log_std_max());
  reset();
}

void SquashedGaussianPolicyImpl::reset() {
  // one linear output head yields mean and log std side by side
  trunk_ = register_module("trunk", Mlp(MlpOptions(options.obs_dim(), 2 * options.act_dim())
                                            .hidden_size(options.hidden_size())
                                            .num_layers(options.num_layers())));
}

void SquashedGaussianPolicyImpl::reset_parameters(std::optional<at::Generator> gen) {
  trunk_->reset_parameters(std::move(gen));
}

std::pair<at::Tensor, at::Tensor> SquashedGaussianPolicyImpl::forward(const at::Tensor& obs) {
  auto out = trunk_->forward(obs);
  auto mean = out.narrow(-1, 0, options.act_dim());
  auto log_std = out.narrow(-1, options.act_dim(), options.act_dim())
                     .clamp(options.log_std_min(), options.log_std_max());
  return {mean, log_std};
}

at::Tensor SquashedGaussianPolicyImpl::squashed_log_prob(const at::Tensor& pre_tanh,
                                                         const at::Tensor& mean,
                                                         const at::Tensor& log_std) {
  static const double kHalfLog2Pi = 0.5 * std::log(2.0 * M_PI);
  static const double kLog2 = std::log(2.0);
  auto z = (pre_tanh - mean) * torch::exp(-log_std);
  auto gaussian = -0.5 * z.pow(2) - log_std - kHalfLog2Pi;

  // log |d tanh(u)/du| = log(1 - tanh(u)^2), without cancellation for large |u|
  auto log_det = 2.0 * (kLog2 - pre_tanh - torch::softplus(-2.0 * pre_tanh));
  return (gaussian - log_det).sum(-1);
}

PolicySample SquashedGaussianPolicyImpl::sample(const at::Tensor& obs, at::Generator& gen) {
  auto [mean, log_std] = forward(obs);
  auto noise = torch::randn(mean.sizes(), gen, mean.options());
  auto pre_tanh = mean + noise * log_std.exp();
  PolicySample s;
  s.action = torch::tanh(pre_tanh);
  s.log_prob = squashed_log_prob(pre_tanh, mean, log_std);
  s.mean_action = torch::tanh(mean);
  return s;
}

at::Tensor SquashedGaussianPolicyImpl::mean_action(const at::Tensor& obs) {
  return torch::tanh(forward(obs).first);
}

void SquashedGaussianPolicyImpl::pretty_print(std::ostream& stream) const {
  stream << "mbrl::SquashedGaussianPolicy(obs_dim=" << options.obs_dim()
         << ", act_dim=" << options.act_dim() << ", hidden_size=" << options.hidden_size()
         << ", num_layers=" << options.num_layers() << ")";
}

}  // namespace mbrl

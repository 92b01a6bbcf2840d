// QEnsemble.
#include "mbrl/agents/q_ensemble.h"

#include <cmath>
#include <string>

#include <torch/torch.h>

#include "mbrl/agents/mlp.h"
#include "mbrl/core/check.h"

namespace mbrl {

QEnsembleImpl::QEnsembleImpl(QEnsembleOptions options_) : options(options_) {
  MBRL_CHECK_ARG(options.obs_dim() >= 1, "obs_dim", "expected a positive integer, got ",
                 options.obs_dim());
  MBRL_CHECK_ARG(options.act_dim() >= 1, "act_dim", "expected a positive integer, got ",
                 options.act_dim());
  MBRL_CHECK_ARG(options.num_critics() >= 1, "num_critics", "expected a positive integer, got ",
                 options.num_critics());
  MBRL_CHECK_ARG(options.hidden_size() >= 1, "hidden_size", "expected a positive integer, got ",
                 options.hidden_size());
  MBRL_CHECK_ARG(options.num_layers() >= 1, "num_layers", "expected a positive integer, got ",
                 options.num_layers());
  reset();
}

void QEnsembleImpl::reset() {
  weights_.clear();
  biases_.clear();
  const int64_t n = options.num_critics();
  int64_t in = options.obs_dim() + options.act_dim();
  for (int64_t l = 0; l <= options.num_layers(); ++l) {
    const int64_t out = l < options.num_layers() ? options.hidden_size() : 1;
    weights_.push_back(
        register_parameter("weight" + std::to_string(l), torch::empty({n, in, out})));
    biases_.push_back(register_parameter("bias" + std::to_string(l), torch::empty({n, 1, out})));
    in = out;
  }
  reset_parameters();
}

void QEnsembleImpl::reset_parameters(c10::optional<at::Generator> gen) {
  torch::NoGradGuard no_grad;
  for (size_t l = 0; l < weights_.size(); ++l) {
    detail::xavier_uniform_(weights_[l], weights_[l].size(1), weights_[l].size(2), gen);
    biases_[l].zero_();
  }
}

at::Tensor QEnsembleImpl::forward(const at::Tensor& obs, const at::Tensor& act) {
  const int64_t n = options.num_critics();
  auto x = torch::cat({obs, act}, -1);
  auto h = x.unsqueeze(0).expand({n, x.size(0), x.size(1)});
  const size_t last = weights_.size() - 1;
  for (size_t l = 0; l < last; ++l) h = torch::relu(torch::baddbmm(biases_[l], h, weights_[l]));
  return torch::baddbmm(biases_[last], h, weights_[last]).squeeze(-1);
}

at::Tensor QEnsembleImpl::min_q(const at::Tensor& obs, const at::Tensor& act) {
  return forward(obs, act).amin(0);
}

void QEnsembleImpl::pretty_print(std::ostream& stream) const {
  stream << "mbrl::QEnsemble(obs_dim=" << options.obs_dim() << ", act_dim=" << options.act_dim()
         << ", num_critics=" << options.num_critics() << ", hidden_size=" << options.hidden_size()
         << ", num_layers=" << options.num_layers() << ")";
}

}  // namespace mbrl

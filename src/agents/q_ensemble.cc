// QEnsemble.
#include "mbrl/agents/q_ensemble.h"

#include <cmath>
#include <string>

#include <torch/torch.h>

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
  layers_.clear();
  const int64_t n = options.num_critics();
  int64_t in = options.obs_dim() + options.act_dim();
  for (int64_t l = 0; l <= options.num_layers(); ++l) {
    const int64_t out = l < options.num_layers() ? options.hidden_size() : 1;
    layers_.push_back(register_module(
        "layer" + std::to_string(l),
        EnsembleLinear(EnsembleLinearOptions(n, in, out).init(EnsembleInit::kXavierUniform))));
    in = out;
  }
}

void QEnsembleImpl::reset_parameters(std::optional<at::Generator> gen) {
  for (auto& layer : layers_) layer->reset_parameters(gen);
}

at::Tensor QEnsembleImpl::forward(const at::Tensor& obs, const at::Tensor& act) {
  const int64_t n = options.num_critics();
  at::Tensor h;
  if (act.dim() == 3) {  // [N, B, act_dim]: each critic its own action
    h = torch::cat({obs.unsqueeze(0).expand({n, obs.size(0), obs.size(1)}), act}, -1);
  } else {
    auto x = torch::cat({obs, act}, -1);
    h = x.unsqueeze(0).expand({n, x.size(0), x.size(1)});
  }
  const size_t last = layers_.size() - 1;
  for (size_t l = 0; l < last; ++l) h = torch::relu(layers_[l]->forward(h));
  return layers_[last]->forward(h).squeeze(-1);
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

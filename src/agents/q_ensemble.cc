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
  mlp_ = register_module(
      "mlp", EnsembleMlp(
                 EnsembleMlpOptions(options.num_critics(), options.obs_dim() + options.act_dim(), 1)
                     .hidden_size(options.hidden_size())
                     .num_layers(options.num_layers())
                     .activation(Activation::kRelu)
                     .init(EnsembleInit::kXavierUniform)));
}

void QEnsembleImpl::reset_parameters(std::optional<at::Generator> gen) {
  mlp_->reset_parameters(std::move(gen));
}

at::Tensor QEnsembleImpl::forward(const at::Tensor& obs, const at::Tensor& act) {
  const int64_t n = options.num_critics();
  at::Tensor x;
  if (act.dim() == 3) {  // [N, B, act_dim]: each critic its own action
    x = torch::cat({obs.unsqueeze(0).expand({n, obs.size(0), obs.size(1)}), act}, -1);
  } else {
    auto rows = torch::cat({obs, act}, -1);
    x = rows.unsqueeze(0).expand({n, rows.size(0), rows.size(1)});
  }
  return mlp_->forward(x).squeeze(-1);
}

void QEnsembleImpl::load(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive layer;
  if (!archive.try_read("layer0", layer)) {
    torch::nn::Module::load(archive);
    return;
  }
  auto layers = mlp_->named_children();
  for (int64_t l = 0; l <= options.num_layers(); ++l) {
    if (l > 0) archive.read("layer" + std::to_string(l), layer);
    layers["linear" + std::to_string(l)]->load(layer);
  }
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

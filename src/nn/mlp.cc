// Mlp.
#include "mbrl/nn/mlp.h"

#include <cmath>
#include <string>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/nn/init.h"

namespace mbrl {

MlpImpl::MlpImpl(MlpOptions options_) : options(options_) {
  MBRL_CHECK_ARG(options.in_features() >= 1, "in_features", "expected a positive integer, got ",
                 options.in_features());
  MBRL_CHECK_ARG(options.out_features() >= 1, "out_features", "expected a positive integer, got ",
                 options.out_features());
  MBRL_CHECK_ARG(options.hidden_size() >= 1, "hidden_size", "expected a positive integer, got ",
                 options.hidden_size());
  MBRL_CHECK_ARG(options.num_layers() >= 0, "num_layers", "expected an integer >= 0, got ",
                 options.num_layers());
  reset();
}

void MlpImpl::reset() {
  layers_.clear();
  norms_.clear();
  int64_t in = options.in_features();
  for (int64_t i = 0; i <= options.num_layers(); ++i) {
    const int64_t out = i < options.num_layers() ? options.hidden_size() : options.out_features();
    layers_.push_back(register_module("linear" + std::to_string(i), torch::nn::Linear(in, out)));
    if (options.layer_norm() && i < options.num_layers()) {
      norms_.push_back(register_module("norm" + std::to_string(i),
                                       torch::nn::LayerNorm(torch::nn::LayerNormOptions({out}))));
    }
    in = out;
  }
}

void MlpImpl::reset_parameters(std::optional<at::Generator> gen) {
  torch::NoGradGuard no_grad;
  for (auto& layer : layers_) {
    xavier_uniform_(layer->weight, layer->weight.size(1), layer->weight.size(0), gen);
    layer->bias.zero_();
  }
}

at::Tensor MlpImpl::forward(const at::Tensor& x) {
  at::Tensor h = x;
  const size_t last = layers_.size() - 1;
  for (size_t i = 0; i < last; ++i) {
    h = layers_[i]->forward(h);
    if (!norms_.empty()) h = norms_[i]->forward(h);
    h = apply_activation(options.activation(), h);
  }
  return layers_[last]->forward(h);
}

MlpOptions layer_norm_silu_mlp(int64_t in, int64_t out, int64_t units, int64_t layers) {
  return MlpOptions(in, out)
      .hidden_size(units)
      .num_layers(layers)
      .activation(Activation::kSilu)
      .layer_norm(true);
}

void MlpImpl::pretty_print(std::ostream& stream) const {
  stream << "mbrl::Mlp(in_features=" << options.in_features()
         << ", out_features=" << options.out_features() << ", hidden_size=" << options.hidden_size()
         << ", num_layers=" << options.num_layers()
         << ", activation=" << activation_name(options.activation())
         << (options.layer_norm() ? ", layer_norm" : "") << ")";
}

}  // namespace mbrl

// EnsembleMlp.
#include "mbrl/nn/ensemble_mlp.h"

#include <string>

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

EnsembleMlpImpl::EnsembleMlpImpl(EnsembleMlpOptions options) : options_(options) {
  const auto& o = options_;
  MBRL_CHECK_ARG(o.ensemble_size() >= 1, "ensemble_size", "expected a positive integer, got ",
                 o.ensemble_size());
  MBRL_CHECK_ARG(o.in_features() >= 1, "in_features", "expected a positive integer, got ",
                 o.in_features());
  MBRL_CHECK_ARG(o.out_features() >= 1, "out_features", "expected a positive integer, got ",
                 o.out_features());
  MBRL_CHECK_ARG(o.hidden_size() >= 1, "hidden_size", "expected a positive integer, got ",
                 o.hidden_size());
  MBRL_CHECK_ARG(o.num_layers() >= 0, "num_layers", "expected an integer >= 0, got ",
                 o.num_layers());
  reset();
}

void EnsembleMlpImpl::reset() {
  const auto& o = options_;
  layers_.clear();
  int64_t in = o.in_features();
  for (int64_t i = 0; i <= o.num_layers(); ++i) {
    const int64_t out = i < o.num_layers() ? o.hidden_size() : o.out_features();
    layers_.push_back(register_module(
        "linear" + std::to_string(i),
        EnsembleLinear(EnsembleLinearOptions(o.ensemble_size(), in, out).init(o.init()))));
    in = out;
  }
}

void EnsembleMlpImpl::reset_parameters(std::optional<at::Generator> gen) {
  for (auto& layer : layers_) layer->reset_parameters(gen);
}

at::Tensor EnsembleMlpImpl::forward(const at::Tensor& x) {
  MBRL_CHECK_SHAPE(x, {options_.ensemble_size(), -1, options_.in_features()}, "x");
  at::Tensor h = x;
  const size_t last = layers_.size() - 1;
  for (size_t i = 0; i < last; ++i)
    h = apply_activation(options_.activation(), layers_[i]->forward(h));
  return layers_[last]->forward(h);
}

at::Tensor EnsembleMlpImpl::forward_shared(const at::Tensor& x) {
  MBRL_CHECK(x.dim() >= 1 && x.size(-1) == options_.in_features(),
             "EnsembleMlp: expected inputs [..., ", options_.in_features(), "], got ", x.sizes());
  std::vector<int64_t> out_shape{options_.ensemble_size()};
  for (int64_t d = 0; d + 1 < x.dim(); ++d) out_shape.push_back(x.size(d));
  out_shape.push_back(options_.out_features());
  const at::Tensor rows =
      x.reshape({1, -1, options_.in_features()}).expand({options_.ensemble_size(), -1, -1});
  return forward(rows).reshape(out_shape);
}

void EnsembleMlpImpl::pretty_print(std::ostream& stream) const {
  const auto& o = options_;
  stream << "mbrl::EnsembleMlp(ensemble_size=" << o.ensemble_size()
         << ", in_features=" << o.in_features() << ", out_features=" << o.out_features()
         << ", hidden_size=" << o.hidden_size() << ", num_layers=" << o.num_layers()
         << ", activation=" << activation_name(o.activation()) << ")";
}

}  // namespace mbrl

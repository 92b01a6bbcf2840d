// EnsembleLinear: parameters, initialisation and the batched forward.
#include "mbrl/nn/ensemble_linear.h"

#include <cmath>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/nn/init.h"

namespace mbrl {

EnsembleLinearImpl::EnsembleLinearImpl(const EnsembleLinearOptions& options) : options_(options) {
  MBRL_CHECK_ARG(options_.ensemble_size() >= 1, "ensemble_size", "expected an integer >= 1, got ",
                 options_.ensemble_size());
  MBRL_CHECK_ARG(options_.in_features() >= 1, "in_features", "expected an integer >= 1, got ",
                 options_.in_features());
  MBRL_CHECK_ARG(options_.out_features() >= 1, "out_features", "expected an integer >= 1, got ",
                 options_.out_features());
  reset();
}

void EnsembleLinearImpl::reset() {
  const int64_t e = options_.ensemble_size();
  weight = register_parameter("weight",
                              torch::empty({e, options_.in_features(), options_.out_features()}));
  bias = register_parameter("bias", torch::empty({e, 1, options_.out_features()}));
  reset_parameters();
}

void EnsembleLinearImpl::reset_parameters(std::optional<at::Generator> gen) {
  torch::NoGradGuard no_grad;
  const int64_t in = options_.in_features();
  if (options_.init() == EnsembleInit::kXavierUniform) {
    xavier_uniform_(weight, in, options_.out_features(), gen);
  } else {
    const double std = 1.0 / (2.0 * std::sqrt(static_cast<double>(in)));
    weight.copy_(truncated_normal(weight.sizes(), std, gen));
  }
  bias.zero_();
}

at::Tensor EnsembleLinearImpl::forward(const at::Tensor& x) { return at::baddbmm(bias, x, weight); }

void EnsembleLinearImpl::pretty_print(std::ostream& stream) const {
  stream << "mbrl::EnsembleLinear(ensemble_size=" << options_.ensemble_size()
         << ", in_features=" << options_.in_features()
         << ", out_features=" << options_.out_features() << ")";
}

}  // namespace mbrl

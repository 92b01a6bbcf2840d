// The Gaussian negative log-likelihood of a diagonal Gaussian head, optionally beta-weighted.
#pragma once

#include <ATen/core/Tensor.h>

namespace mbrl {

/// Elementwise Gaussian NLL without its constants, as PETS/mbrl-lib train probabilistic members:
///   (mean - target)^2 exp(-logvar) + logvar,
/// weighted by sg(exp(logvar))^beta, the beta-NLL of Seitzer et al. (ICLR 2022, "On the Pitfalls
/// of Heteroscedastic Uncertainty Estimation with Probabilistic Neural Networks", eq. 6; sg: held
/// constant in the gradient). beta = 0 is the plain NLL; beta = 1 gives the mean the gradient of
/// the squared error. mean, logvar, target: same shape [...] -> [...]; beta in [0, 1].
at::Tensor gaussian_nll(const at::Tensor& mean, const at::Tensor& logvar, const at::Tensor& target,
                        double beta = 0.0);

}  // namespace mbrl

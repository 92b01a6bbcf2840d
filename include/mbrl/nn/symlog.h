// symlog and symexp: the sign-preserving logarithmic squashing DreamerV3 applies to vector inputs,
// decoder targets, rewards and returns (Hafner et al. 2023, section 2, "Robust predictions").
#pragma once

#include <ATen/core/Tensor.h>

namespace mbrl {

/// sign(x) ln(1 + |x|), elementwise, any shape; differentiable.
at::Tensor symlog(const at::Tensor& x);

/// sign(x) (exp(|x|) - 1), the inverse of symlog, elementwise, any shape; differentiable.
at::Tensor symexp(const at::Tensor& x);

}  // namespace mbrl

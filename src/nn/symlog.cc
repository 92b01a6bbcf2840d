// symlog and symexp.
#include "mbrl/nn/symlog.h"

#include <torch/torch.h>

namespace mbrl {

at::Tensor symlog(const at::Tensor& x) { return torch::sign(x) * torch::log1p(x.abs()); }

at::Tensor symexp(const at::Tensor& x) { return torch::sign(x) * torch::expm1(x.abs()); }

}  // namespace mbrl

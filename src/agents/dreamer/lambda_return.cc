// λ-returns, computed backwards from the bootstrap value.
#include "mbrl/agents/dreamer/lambda_return.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

at::Tensor lambda_returns(const at::Tensor& reward, const at::Tensor& cont, const at::Tensor& value,
                          double gamma, double lambda) {
  MBRL_CHECK(reward.dim() == 2 && cont.sizes() == reward.sizes(),
             "lambda_returns: expected reward and cont [H, B], got ", reward.sizes(), " and ",
             cont.sizes());
  const int64_t horizon = reward.size(0);
  MBRL_CHECK(value.dim() == 2 && value.size(0) == horizon + 1 && value.size(1) == reward.size(1),
             "lambda_returns: expected value [H + 1, B] = [", horizon + 1, ", ", reward.size(1),
             "], got ", value.sizes());
  const at::Tensor discount = cont * gamma;
  // the part of each step that does not depend on the next return
  const at::Tensor interim = reward + discount * value.narrow(0, 1, horizon) * (1.0 - lambda);
  std::vector<at::Tensor> returns(horizon);
  at::Tensor next = value[horizon];
  for (int64_t t = horizon - 1; t >= 0; --t) {
    next = interim[t] + discount[t] * lambda * next;
    returns[t] = next;
  }
  return torch::stack(returns);
}

}  // namespace mbrl

// DreamerV3's actor loss and imagined-step weights.
#include "mbrl/agents/dreamer/actor_loss.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

at::Tensor imagined_step_weights(const at::Tensor& cont, double gamma) {
  MBRL_CHECK(cont.dim() == 2, "imagined_step_weights: expected cont [H + 1, B], got ",
             cont.sizes());
  MBRL_CHECK_ARG(gamma > 0 && gamma <= 1, "gamma", "expected a number in (0, 1], got ", gamma);
  return torch::cumprod(cont.detach() * gamma, 0) / gamma;
}

at::Tensor actor_loss(const at::Tensor& returns, const at::Tensor& values,
                      const at::Tensor& log_prob, const at::Tensor& entropy,
                      const at::Tensor& weight, double scale, double entropy_scale,
                      ActorGradient gradient) {
  MBRL_CHECK(returns.dim() == 2, "actor_loss: expected returns [H, B], got ", returns.sizes());
  for (const at::Tensor* t : {&values, &log_prob, &entropy, &weight}) {
    MBRL_CHECK(t->sizes() == returns.sizes(), "actor_loss: expected [H, B] = ", returns.sizes(),
               ", got ", t->sizes());
  }
  MBRL_CHECK(scale > 0, "actor_loss: expected a positive return scale, got ", scale);
  const at::Tensor advantage = (returns - values.detach()) / scale;
  at::Tensor loss =
      gradient == ActorGradient::kBackprop ? -advantage : -log_prob * advantage.detach();
  loss = (loss - entropy_scale * entropy) * weight.detach();
  return loss.mean();
}

}  // namespace mbrl

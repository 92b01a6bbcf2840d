// Categorical latents: unimix, straight-through samples, balanced KL with free bits.
#include "mbrl/models/world/categorical_latent.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

at::Tensor unimix_log_probs(const at::Tensor& logits, double mix) {
  MBRL_CHECK_ARG(mix >= 0 && mix < 1, "unimix", "expected a mixing weight in [0, 1), got ", mix);
  if (mix == 0) return torch::log_softmax(logits, -1);
  const double classes = static_cast<double>(logits.size(-1));
  return torch::log(torch::softmax(logits, -1) * (1.0 - mix) + mix / classes);
}

at::Tensor sample_straight_through(const at::Tensor& log_probs, at::Generator& gen) {
  const int64_t classes = log_probs.size(-1);
  at::Tensor probs = log_probs.exp();
  at::Tensor flat = probs.detach().reshape({-1, classes});
  // the first class whose cumulative probability exceeds u (the last one for rounding)
  const at::Tensor u = at::rand({flat.size(0), 1}, gen, flat.options());
  const at::Tensor index = (flat.cumsum(1) <= u).sum(1, /*keepdim=*/true).clamp_max(classes - 1);
  at::Tensor one_hot = torch::zeros_like(flat).scatter_(1, index, 1.0).view_as(probs);
  return one_hot + probs - probs.detach();
}

at::Tensor categorical_kl(const at::Tensor& q_log_probs, const at::Tensor& p_log_probs) {
  MBRL_CHECK(q_log_probs.sizes() == p_log_probs.sizes(), "categorical_kl: shapes ",
             q_log_probs.sizes(), " and ", p_log_probs.sizes(), " differ");
  MBRL_CHECK(q_log_probs.dim() >= 2, "categorical_kl: expected [..., G, K]");
  return (q_log_probs.exp() * (q_log_probs - p_log_probs)).sum({-2, -1});
}

KlLosses kl_losses(const at::Tensor& posterior, const at::Tensor& prior, double free_nats) {
  KlLosses l;
  l.dyn = categorical_kl(posterior.detach(), prior).clamp_min(free_nats);
  l.rep = categorical_kl(posterior, prior.detach()).clamp_min(free_nats);
  l.kl = categorical_kl(posterior, prior).detach();
  return l;
}

}  // namespace mbrl

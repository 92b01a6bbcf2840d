// The stochastic state of DreamerV3's world model: G categorical variables of K classes each,
// mixed with 1 % uniform, sampled with straight-through gradients, and the KL losses that tie
// the posterior (representation) to the prior (dynamics) with balancing and free bits.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace mbrl {

/// Log-probabilities of the unimix distribution p = (1 - mix) softmax(logits) + mix / K, over
/// the last axis (DreamerV3: mix 0.01 for the latents and discrete actions). The mixed
/// distribution is the one sampled and compared in the KL terms, as in DreamerV3.
/// logits: [..., K] -> [..., K]; differentiable.
at::Tensor unimix_log_probs(const at::Tensor& logits, double mix = 0.01);

/// One-hot samples of the categoricals with straight-through gradients: onehot + p - sg(p), so
/// the forward value is the one-hot sample and the gradient flows to p = exp(log_probs).
/// Sampled by inverting the CDF with one uniform draw per categorical, so non-finite
/// probabilities (a diverged model) give non-finite outputs, which the losses report, instead of
/// an exception from inside the sampler.
/// log_probs: [..., K] -> [..., K] float32; gen on the tensor's device.
at::Tensor sample_straight_through(const at::Tensor& log_probs, at::Generator& gen);

/// KL[q || p] of independent categoricals, summed over the latent variables and classes:
/// q_log_probs, p_log_probs: [..., G, K] -> [...].
at::Tensor categorical_kl(const at::Tensor& q_log_probs, const at::Tensor& p_log_probs);

/// DreamerV3's two KL terms (2023 release, nets.py dyn_loss / rep_loss), per time step:
///   dyn = max(free_nats, KL[sg(q) || p])  trains the prior toward the posterior,
///   rep = max(free_nats, KL[q || sg(p)])  keeps the posterior predictable,
/// each clipped on its own (free bits), on the KL summed over all latents. The world-model loss
/// weights them (0.5 and 0.1 in the 2023 release). `kl` is the raw KL[q || p], for logging.
struct KlLosses {
  at::Tensor dyn;  // [...]
  at::Tensor rep;  // [...]
  at::Tensor kl;   // [...], no gradient
};

/// posterior, prior: [..., G, K] unimix log-probabilities (of the same shape).
KlLosses kl_losses(const at::Tensor& posterior, const at::Tensor& prior, double free_nats = 1.0);

}  // namespace mbrl

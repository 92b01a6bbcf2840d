// DreamerV3's actor objective on an imagined trajectory, and the weights of its steps.
#pragma once

#include <ATen/core/Tensor.h>

namespace mbrl {

/// How the actor's gradient is estimated: through the learned dynamics (the return's own
/// gradient; DreamerV3 2023 for continuous actions) or by the score function (REINFORCE; for
/// discrete actions).
enum class ActorGradient { kBackprop, kReinforce };

/// The weight of each imagined step, cumprod(gamma c) / gamma over the trajectory, as DreamerV3's
/// imagine(): step 0 (a replayed state, c_0 its real continue flag) has weight c_0, later steps
/// the discounted probability that the episode is still running.
/// cont: [H + 1, B] (c_0..c_H) -> [H + 1, B], no gradient.
at::Tensor imagined_step_weights(const at::Tensor& cont, double gamma);

/// DreamerV3's actor loss (2023 release, agent.py ImagActorCritic.loss), averaged over the first
/// H steps:
///   advantage = (R^lambda - v) / scale, with scale = ReturnNormalizer::scale();
///   backprop:  -advantage;   reinforce: -log pi(a|s) sg(advantage);
///   minus entropy_scale * H[pi], times sg(weight).
/// returns, values, log_prob, entropy, weight: [H, B] (weight: the first H rows of
/// imagined_step_weights) -> scalar. Gradients flow into `returns` (backprop), `log_prob`
/// (reinforce) and `entropy`; `values` and `weight` are treated as constants.
at::Tensor actor_loss(const at::Tensor& returns, const at::Tensor& values,
                      const at::Tensor& log_prob, const at::Tensor& entropy,
                      const at::Tensor& weight, double scale, double entropy_scale,
                      ActorGradient gradient);

}  // namespace mbrl

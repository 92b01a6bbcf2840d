// Uncertainty: per-transition epistemic and aleatoric measures of an ensemble's prediction, the
// one set of numbers every penalty (MOPO, MOBILE-style, COPlanner) and diagnostic reads.
#pragma once

#include <ATen/core/Tensor.h>

namespace mbrl {

/// Uncertainty of E members' predictions of N transitions, each field [N] float32. All are
/// computed over the model's target dims (observation deltas, then the reward if learned);
/// differences of means are the same in delta and next-observation space.
///
/// Definitions (Lu et al. 2022, "Revisiting design choices in offline MBRL", section 11 of the
/// algorithm specs; OfflineRL-Kit's names in quotes), with mu_e, sigma_e the mean and std of
/// member e and mu_bar the mean over members:
struct Uncertainty {
  /// sqrt(mean over dims of Var_e(mu_e)), population variance ("ensemble_std").
  at::Tensor epistemic_std;
  /// max over member pairs of |mu_e - mu_f|_2 ("Max Pairwise Diff", MOReL-style).
  at::Tensor epistemic_max_pairwise;
  /// max over members of |mu_e - mu_bar|_2 (OfflineRL-Kit's "pairwise-diff").
  at::Tensor epistemic_max_deviation;
  /// max over members of |sigma_e|_2 (MOPO's "max aleatoric"); 0 for deterministic models.
  at::Tensor aleatoric_max_norm;
  /// mean over dims of Std_e(mu_e + sigma_e eps_e), population std: one sample per member, the
  /// disagreement COPlanner uses (undefined when no samples were given).
  at::Tensor sample_std;
  /// Var_e of log N(y | mu_e, sigma_e) (summed over dims), population variance, with y the row's
  /// own sampled target: Lu et al.'s "LL Var" as the algorithm specs define it (section 11; not
  /// checked against the paper's Table 1). Set by a model step that draws y (see
  /// log_likelihood_variance); undefined otherwise and for deterministic models.
  at::Tensor log_likelihood_var;
};

/// Var_e log N(target | mean_e, std_e): mean, std [E, N, d], target [N, d] -> [N].
at::Tensor log_likelihood_variance(const at::Tensor& mean, const at::Tensor& std,
                                   const at::Tensor& target);

/// mean: [E, N, d]; std: [E, N, d] or undefined (deterministic); samples: [E, N, d] or
/// undefined -> Uncertainty with [N] fields. Runs under the caller's grad mode.
Uncertainty ensemble_uncertainty(const at::Tensor& mean, const at::Tensor& std,
                                 const at::Tensor& samples);

}  // namespace mbrl

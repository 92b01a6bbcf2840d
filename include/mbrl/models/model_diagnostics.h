// Model diagnostics on held-out episodes: open-loop k-step error, calibration of the predictive
// distribution, and whether the ensemble's disagreement tracks its actual error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include "mbrl/core/types.h"

namespace mbrl {

class DynamicsModel;

struct ModelDiagnosticsOptions {
  /// Open-loop horizon H of the k-step errors, >= 1.
  TORCH_ARG(int64_t, horizon) = 10;
  /// Draws per member for the calibration of one-step predictions, >= 1.
  TORCH_ARG(int64_t, samples) = 100;
  /// A model with memory (DynamicsModel::has_memory) first reads up to this many real
  /// transitions of the episode before each start state, >= 0 (0: every prediction from a fresh
  /// memory; fewer at an episode's start). Models without memory ignore it.
  TORCH_ARG(int64_t, history) = 0;
};

/// What `diagnose_model` measures. Tensors are float64 on the CPU.
struct ModelDiagnostics {
  /// [H, obs_dim]: mean over start states of (predicted - real)^2 after k = 1..H open-loop steps
  /// with the recorded actions (the model's mean prediction: RolloutSpec expectation, no
  /// sampling), after the start's history for a model with memory.
  at::Tensor kstep_mse;
  /// Start states of the k-step rollouts (every step t of an episode with t + H <= its length).
  int64_t kstep_starts = 0;
  /// One-step transitions the calibration was measured on.
  int64_t transitions = 0;

  /// Central-interval levels of `coverage`.
  std::vector<double> levels{0.5, 0.9, 0.95};
  /// [levels, obs_dim]: the fraction of real next observations inside the central interval of the
  /// model's one-step predictive distribution (empirical, from `samples` draws of each member the
  /// model rolls out with; for a model with memory and a history, of each member's prediction
  /// after the history: UncertaintyAware::step_with_uncertainty's member means and stds).
  /// Undefined when the model is not UncertaintyAware.
  at::Tensor coverage;
  /// Expected calibration error: mean over the levels 0.05, 0.10, ..., 0.95 and the obs dims of
  /// |coverage - level|. NaN when `coverage` is undefined.
  double calibration_error = 0.0;
  /// [H]: Spearman rank correlation, over start states, between the ensemble's epistemic std and
  /// the norm of the actual error after k steps (NaN with a single start state). Undefined when
  /// the model is not UncertaintyAware.
  at::Tensor disagreement_spearman;
  /// [H]: the same correlation for a learned disagreement model's score of each imagined
  /// transition (a Dreamer agent's COPlanner heads, LatentDisagreement), when the model has one;
  /// undefined otherwise.
  at::Tensor heads_spearman;
  /// Why calibration and disagreement are missing (empty when they were measured).
  std::string missing;
};

/// Measures `model` on held-out `episodes` (each a TransitionBatch of consecutive steps of one
/// episode, oldest first, on any device). gen: a generator on the model's device for the
/// predictive draws. Throws InvalidArgument naming the option on a bad value and Error when no
/// episode is at least `horizon` steps long.
ModelDiagnostics diagnose_model(DynamicsModel& model, const std::vector<TransitionBatch>& episodes,
                                const ModelDiagnosticsOptions& options, at::Generator& gen);

/// Spearman rank correlation of a and b ([N], N >= 2; ties get their average rank): the Pearson
/// correlation of the ranks. NaN when either is constant or holds a non-finite value.
double spearman_correlation(const at::Tensor& a, const at::Tensor& b);

/// Empirical coverage: samples [S, N, D] of a predictive distribution and real values [N, D] ->
/// [levels.size(), D] fractions of rows whose value lies in the central `level` interval, decided
/// by the probability-integral transform u = P(sample < y) + P(sample = y) / 2: inside when
/// |u - 1/2| <= level / 2.
at::Tensor central_interval_coverage(const at::Tensor& samples, const at::Tensor& real,
                                     const std::vector<double>& levels);

/// The levels central_interval_coverage is measured at for `out`: its reported `levels`, then
/// 0.05, 0.10, ..., 0.95 for the expected calibration error.
std::vector<double> calibration_levels(const ModelDiagnostics& out);
/// Fills out.coverage and out.calibration_error from the coverage [calibration_levels(out),
/// obs_dim] of every held-out transition.
void record_calibration(const at::Tensor& covered, ModelDiagnostics* out);

}  // namespace mbrl

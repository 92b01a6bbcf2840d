// Held-out diagnostics of a Dreamer world model on whole recorded episodes: the open-loop error of
// the observations it imagines after the real history, the calibration of its sampled latents'
// spread, and its losses there.
#pragma once

#include <cstdint>
#include <vector>

#include "mbrl/data/step_replay.h"
#include "mbrl/models/model_diagnostics.h"
#include "mbrl/models/world/latent_disagreement.h"
#include "mbrl/models/world/world_model.h"

namespace mbrl {

/// Diagnostics of `model` on held-out episodes, each one chunk of batch 1 as episode_steps builds
/// it (obs [T, 1, obs_dim], T = N + 1), on the model's device. For every episode the posterior
/// reads the whole episode once (WorldModel::observe, every step's state kept), so every
/// prediction follows the episode's whole history (options.history is unused). From the
/// posterior state after each step t the prior is rolled `horizon` steps with the recorded
/// actions, `samples` times (imagine_step: the latents sampled from the model's generator, as
/// DreamerV3's open-loop report samples them; the starts in batches), and each imagined step is
/// decoded (WorldModel::decode). The mean of the S decoded observations is the prediction; their
/// spread is the model's uncertainty. Fills:
/// - kstep_mse [H, obs_dim]: mean over the starts with t + H <= N (kstep_starts) of the squared
///   error of the prediction after k steps against the real observation t + k;
/// - coverage, calibration_error: of the S one-step draws over every held-out transition
///   (transitions), as central_interval_coverage (S >= 2);
/// - disagreement_spearman [H]: Spearman correlation over those starts between the draws'
///   spread (sqrt of the mean over obs dims of their variance, as UncertaintyAware's
///   epistemic_std) and the norm of the error, at each k (S >= 2).
/// - heads_spearman [H], with `heads` (COPlanner's disagreement model of the same agent): the
///   Spearman correlation between the heads' disagreement on imagined transition k (from the
///   features before it and its action, the mean over the S draws) and the norm of the error
///   after k steps, the signal COPlanner's planner scores with.
/// With samples = 1 coverage and disagreement_spearman stay undefined and `missing` says why.
/// Tensors are float64 on the CPU. Throws InvalidArgument naming `horizon` or `samples` when < 1,
/// Error when no episode has N >= horizon transitions.
ModelDiagnostics diagnose_world_model(WorldModel& model, const std::vector<StepBatch>& episodes,
                                      const ModelDiagnosticsOptions& options,
                                      LatentDisagreement* heads = nullptr);

/// The world model's losses on held-out episodes (as diagnose_world_model takes them): each term
/// the mean over every step of every episode (WorldModel::loss per episode, weighted by its
/// steps). Computed without gradients; draws the posterior samples from the model's generator.
WorldModelLosses holdout_world_model_losses(WorldModel& model,
                                            const std::vector<StepBatch>& episodes);

}  // namespace mbrl

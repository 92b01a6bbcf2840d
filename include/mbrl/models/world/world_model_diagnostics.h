// Held-out diagnostics of a Dreamer world model on whole recorded episodes: the open-loop error of
// the observations it imagines after the real history, and its losses there.
#pragma once

#include <cstdint>
#include <vector>

#include "mbrl/data/step_replay.h"
#include "mbrl/models/model_diagnostics.h"
#include "mbrl/models/world/world_model.h"

namespace mbrl {

/// The k-step open-loop error of `model` on held-out episodes, each one chunk of batch 1 as
/// episode_steps builds it (obs [T, 1, obs_dim], T = N + 1), on the model's device.
/// For every episode the posterior reads the whole episode once (WorldModel::observe, every
/// step's state kept). From the posterior state after each step t with t + H <= N the prior is
/// rolled H steps with the recorded actions (imagine_step, one sampled latent per step from the
/// model's generator, as DreamerV3's open-loop report samples them; all starts of all episodes in
/// one batch), and the decoded observation of imagined step k (WorldModel::decode) is compared
/// with the real observation t + k. So every prediction starts after the episode's whole history.
/// Returns kstep_mse [H, obs_dim] (mean over the starts, float64 on the CPU) and kstep_starts.
/// The decoder is a symlog regression, so there is no predictive distribution over
/// observations: coverage and disagreement_spearman stay undefined and `missing` says so.
/// Throws InvalidArgument naming `horizon` when it is < 1, Error when no episode has N >= H.
ModelDiagnostics diagnose_world_model(WorldModel& model, const std::vector<StepBatch>& episodes,
                                      int64_t horizon);

/// The world model's losses on held-out episodes (as diagnose_world_model takes them): each term
/// the mean over every step of every episode (WorldModel::loss per episode, weighted by its
/// steps). Computed without gradients; draws the posterior samples from the model's generator.
WorldModelLosses holdout_world_model_losses(WorldModel& model,
                                            const std::vector<StepBatch>& episodes);

}  // namespace mbrl

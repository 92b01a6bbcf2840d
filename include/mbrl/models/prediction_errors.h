// Prediction errors of a dynamics model on whole episodes: one step ahead with the real history,
// and open loop (imagination) against the horizon.
#pragma once

#include <cstdint>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "mbrl/data/sequence_batch.h"

namespace mbrl {

class DynamicsModel;

/// Errors of a model's predictions (in the env's units, means over episodes and dimensions).
struct PredictionErrors {
  at::Tensor obs_mse;     // [H] float64 CPU: squared error of next_obs, by step (or horizon)
  at::Tensor reward_mse;  // [H]; undefined unless the model learns the reward
  /// 1 - MSE / variance of the reward at the episodes' last step (1: perfect; 0: no better than
  /// the mean reward; NaN when the model does not learn the reward or that reward is constant).
  double final_reward_r2 = 0.0;
};

/// One-step errors on episodes [T, B] (each from its first step): each next_obs_t and reward_t
/// predicted from the real transitions before it. A SequenceModel reads the whole real history
/// (its parallel form); any other model is Markov and predicts from (obs_t, act_t) alone. Errors
/// by step t = 0..T-1. Deterministic (mean predictions); gen draws nothing a deterministic
/// model needs.
PredictionErrors one_step_errors(DynamicsModel& model, const SequenceBatch& episodes,
                                 at::Generator& gen);

/// Open-loop errors on episodes [T, B]: the model reads the first `context` real transitions
/// (1 <= context < T; a Markov model only the observation after them), then imagines the rest
/// from its own predictions and the real actions. Errors by horizon k = 1..T - context (k = 1:
/// the step right after the context). Ensembles predict their mean (expectation propagation).
PredictionErrors open_loop_errors(DynamicsModel& model, const SequenceBatch& episodes,
                                  int64_t context, at::Generator& gen);

}  // namespace mbrl

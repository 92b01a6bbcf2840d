// The scorer registry: what an MPC agent plans on (`agent.scorer`), built by name.
#pragma once

#include "mbrl/core/registry.h"
#include "mbrl/envs/sequence_scorer.h"

namespace mbrl {

/// Registered scorers (`mbrl list scorers`). Each factory gets the agent's node (a scorer's own
/// options live there, e.g. `model_env` for `model`) and the BuildContext:
///   - `model`: a ModelEnv on the `model` section's DynamicsModel with the env's task functions;
///   - `oracle`: the env's true batched dynamics (classic tasks);
///   - `simulator`: rollouts of the real MuJoCo simulator (MuJoCo tasks).
Registry<SequenceScorer>& scorer_registry();

/// Adds the built-in scorers; called by register_agents().
void register_scorers();

}  // namespace mbrl

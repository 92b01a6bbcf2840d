// PETS: probabilistic ensembles with trajectory sampling (Chua et al., NeurIPS 2018), the online
// loop of collecting with MPC and retraining the ensemble on everything seen.
#pragma once

#include <cstdint>
#include <memory>

#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include "mbrl/agents/mpc_agent.h"
#include "mbrl/algorithms/algorithm.h"
#include "mbrl/envs/env.h"
#include "mbrl/models/model_learner.h"
#include "mbrl/models/model_trainer.h"

namespace mbrl {

struct PetsOptions {
  /// MPC episodes ("trials") after the random ones, >= 1.
  TORCH_ARG(int64_t, num_trials) = 15;
  /// Episodes of uniform random actions before the first model is trained, >= 1 (mbrl-lib: 1).
  TORCH_ARG(int64_t, initial_random_trials) = 1;
  /// Retrain the model every this many env steps during a trial (mbrl-lib's freq_train_model);
  /// 0: only before each trial.
  TORCH_ARG(int64_t, train_every) = 0;
  /// Replay capacity in transitions (>= 1); PETS keeps every transition by default.
  TORCH_ARG(int64_t, replay_capacity) = 1000000;
  /// Save the model trained before each MPC trial as `models/trial_<i>.pt` in the run folder (i
  /// the metrics' `trial`): the model the trial's first plans use (with train_every > 0 the
  /// trial's later plans use its retrainings). `mbrl diagnose` then tables each one's held-out
  /// loss against its trial's return (the objective-mismatch table).
  TORCH_ARG(bool, keep_models) = false;
  /// PETS's defaults for a gradient-trained model's learner (the `model_training` section, read
  /// by the learner that model_learner_registry() makes for the model's type).
  TORCH_ARG(ModelTrainerOptions,
            model_training) = ModelTrainerOptions().num_epochs(25).patience(25);
};

/// The PETS loop. Before each trial the model's learner is given every transition collected so
/// far (and again every `train_every` steps within the trial); the trial is one episode of the
/// MPC agent planning on the model (a ModelEnv with K particles and, for an ensemble, TS-inf
/// propagation). Any registered dynamics model with a registered learner works.
///
/// Metrics: one `metrics.csv` row per episode (trial, env_steps, episode_return, episode_length,
/// model_train_loss, model_holdout_score, model_epochs, plan_ms (mean per decision),
/// trial_s, elapsed_s, eta_s), with a console progress line; one `model_train.csv` row per
/// training epoch.
class PetsAlgorithm : public Algorithm {
 public:
  /// learner: trains the model `agent` plans with; gen: a CPU generator for random exploration
  /// and model training. Throws InvalidArgument naming the option on a bad value.
  PetsAlgorithm(PetsOptions options, std::shared_ptr<Env> env, std::shared_ptr<MpcAgent> agent,
                std::shared_ptr<ModelLearner> learner, at::Generator gen);

  void run(RunContext& run) override;
  std::shared_ptr<Agent> agent() const override { return agent_; }
  const PetsOptions& options() const { return options_; }

 private:
  const PetsOptions options_;
  std::shared_ptr<Env> env_;
  std::shared_ptr<MpcAgent> agent_;
  std::shared_ptr<ModelLearner> learner_;
  at::Generator gen_;
};

/// The `pets` factory of algorithm_registry(): needs the `env` and a `model` section of any
/// registered type, and builds the agent of `agent` (type `mpc`, planning on the model with
/// `scorer: model`); keys as in PetsOptions (model_training: a section for the model's learner).
std::shared_ptr<Algorithm> make_pets(const ConfigNode& node, const BuildContext& ctx,
                                     const ConfigNode& agent);

}  // namespace mbrl

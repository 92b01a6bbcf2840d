// DistractorObservation: appends observation dimensions that follow their own irrelevant
// dynamics, the distractor tasks of VaGraM (Voelcker et al., ICLR 2022).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include <torch/arg.h>

#include "mbrl/envs/wrappers/env_wrapper.h"

namespace mbrl {

class ConfigNode;

struct DistractorOptions {
  /// Number K of distractor dimensions appended to the observation, >= 1.
  TORCH_ARG(int64_t, dimensions) = 20;
  /// Linear distractor dynamics only (no sine term).
  TORCH_ARG(bool, linear) = false;
  /// Entries whose magnitude exceeds 20 jump back to a fixed random value (keeps the chaotic
  /// dynamics bounded).
  TORCH_ARG(bool, switching) = true;
  /// The distractor update also reads the task's observation (still irrelevant to the reward).
  TORCH_ARG(bool, correlated) = false;
  /// Replace the dynamics by fresh N(0, 1) noise at every step.
  TORCH_ARG(bool, pure_noise) = false;
  /// Seed of the distractor's parameters (the maps below): part of the task, so the train and
  /// evaluation envs of a run share them whatever the run seed.
  TORCH_ARG(uint64_t, seed) = 0;
};

/// Wraps an env with observation o (n entries) into one with [o, d] (n + K entries), where the
/// distractor state d evolves as pairlab/vagram `mbrl/env/distractor_dimensions.py` (class
/// Distractor) defines it, at every observation the env returns (reset included):
///   d <- M [o; d]                         M: [K, n + K] ~ N(0, 1), M[:, :n] = 0 unless correlated
///   d <- d + 0.1 sin(P d)                 unless linear;  P: [K, K], entries N(0, 10^2) squared
///   d_k <- r_k where |d_k| > 20           if switching;   r: [K] ~ N(0, 1)
///   d <- N(0, I) noise                    if pure_noise
/// At reset d starts from N(0, 0.1^2 I) before that first update. VaGraM's Hopper experiment
/// uses K = 20, non-linear, switching, uncorrelated: the defaults.
///
/// Differences from the reference: M, P and r come from a generator seeded by `seed` (the
/// reference draws them from NumPy's global generator), and the start state from the wrapper's
/// own generator, reseeded by `reset(seed)`; the dynamics are computed in double precision.
/// The reward and termination do not depend on d: the task functions are the inner env's,
/// applied to the first n entries, so planners and model rollouts with known rewards work
/// unchanged.
class DistractorObservation : public EnvWrapper {
 public:
  /// state_seed seeds the start-state generator. Throws InvalidArgument naming the option.
  DistractorObservation(std::shared_ptr<Env> inner, DistractorOptions options,
                        uint64_t state_seed = 0);

  const EnvSpec& spec() const override { return spec_; }
  at::Tensor reset(std::optional<uint64_t> seed = std::nullopt) override;
  StepResult step(const at::Tensor& act) override;
  std::shared_ptr<const TaskFunctions> task_functions() const override { return task_; }

  const DistractorOptions& options() const { return options_; }
  /// The task's own observation size n.
  int64_t task_obs_dim() const { return task_dim_; }
  /// The distractor state d, [K].
  const std::vector<double>& distractor_state() const { return state_; }

 private:
  // advances d from the task observation `obs` ([n]) and returns [obs, d], [n + K] float32
  at::Tensor observe(const at::Tensor& obs);

  DistractorOptions options_;
  int64_t task_dim_;
  EnvSpec spec_;
  std::vector<double> map_;        // M, [K, n + K] row-major
  std::vector<double> sine_freq_;  // P, [K, K] row-major
  std::vector<double> reset_value_;
  std::vector<double> state_;
  std::mt19937_64 rng_;
  std::shared_ptr<const TaskFunctions> task_;
};

/// Reads DistractorOptions from a `distractor:` section (dimensions, linear, switching,
/// correlated, pure_noise, seed).
DistractorOptions distractor_options_from_config(const ConfigNode& section);

}  // namespace mbrl

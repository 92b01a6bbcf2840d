// DelayedRecall: a cue shown at the start of an episode, a reward that needs it L steps later.
#pragma once

#include <cstdint>
#include <random>

#include <torch/arg.h>

#include "mbrl/envs/env.h"

namespace mbrl {

class ConfigNode;

struct DelayedRecallOptions {
  /// Steps L between the cue and the recall, >= 1.
  TORCH_ARG(int64_t, delay) = 50;
  /// Number of cues K, >= 2.
  TORCH_ARG(int64_t, num_cues) = 4;
  /// Standard deviation of Gaussian noise added to the cue channels at every step after the
  /// first (distractors a model must learn to ignore), >= 0.
  TORCH_ARG(double, distractor_noise) = 0.0;
};

/// A memory task in the spirit of S4WM's memory tasks (Deng et al. 2023): at reset a cue
/// c ~ U{0..K-1} is drawn and shown once; the reward L steps later depends on it and on the
/// action, so a model can predict that reward only if it remembers the cue for L steps.
///
/// obs_t = [cue channels (K), recall flag], obs_dim K + 1: at t = 0 the cue channels hold
/// one_hot(c), afterwards noise of std `distractor_noise` (zeros by default); the recall flag is
/// 1 at t = L only. Actions a in [-1, 1]^K. Reward r_t = a_t[c] at t = L, 0 before. The episode
/// terminates after the step at t = L (L + 1 steps). A memoryless predictor of r_L given
/// (obs_L, a_L) can do no better than mean_k a_L[k], the chance level the recall tests compare
/// with; for uniform random actions its mean squared error is (1 - 1/K) / 3.
class DelayedRecallEnv : public Env {
 public:
  /// Throws InvalidArgument naming the option on a bad value.
  explicit DelayedRecallEnv(DelayedRecallOptions options = {}, uint64_t seed = 0);

  const EnvSpec& spec() const override { return spec_; }
  at::Tensor reset(std::optional<uint64_t> seed = std::nullopt) override;
  StepResult step(const at::Tensor& act) override;

  const DelayedRecallOptions& options() const { return options_; }
  /// The cue of the current episode.
  int64_t cue() const { return cue_; }

 private:
  // draws the distractor noise from rng_
  at::Tensor observation();

  DelayedRecallOptions options_;
  EnvSpec spec_;
  int64_t cue_ = 0, t_ = 0;
  std::mt19937_64 rng_;
};

/// Reads DelayedRecallOptions from an `env:` node (delay, num_cues, distractor_noise).
DelayedRecallOptions delayed_recall_options_from_config(const ConfigNode& node);

}  // namespace mbrl

// Overrides that shrink shipped configs to runs of a few seconds, for tests that run them whole.
#pragma once

#include <string>
#include <vector>

namespace mbrl::test {

/// configs/mbpo/pendulum.yaml at 1200 env steps: 3 members of 2 x 16, SAC of 2 x 16, 50-step
/// episodes, a model every 50 steps, an evaluation every 100. Later `--set`s override these.
inline const std::vector<std::string>& tiny_mbpo_overrides() {
  static const std::vector<std::string> overrides{"threads=1",
                                                  "env.max_episode_steps=50",
                                                  "model.ensemble_size=3",
                                                  "model.num_elites=2",
                                                  "model.num_layers=2",
                                                  "model.hidden_size=16",
                                                  "model.weight_decay=1.0e-5",
                                                  "agent.hidden_size=16",
                                                  "agent.batch_size=32",
                                                  "algorithm.num_steps=1200",
                                                  "algorithm.initial_random_steps=100",
                                                  "algorithm.epoch_length=100",
                                                  "algorithm.model_train_freq=50",
                                                  "algorithm.rollout_batch_size=20",
                                                  "algorithm.rollout_schedule=[1, 3, 1, 3]",
                                                  "algorithm.sac_updates_per_step=2",
                                                  "algorithm.eval_every=100",
                                                  "algorithm.eval_episodes=1",
                                                  "algorithm.model_training.num_epochs=3",
                                                  "algorithm.model_training.batch_size=32"};
  return overrides;
}

}  // namespace mbrl::test

// Overrides that shrink shipped configs to runs of a few seconds, for tests that run them whole.
#pragma once

#include <string>
#include <vector>

namespace mbrl::test {

/// The model and agent of an ensemble + SAC config (MBPO, MOPO, RAVL, ...) shrunk: 3 members of
/// 2 x 16, SAC of 2 x 16 with batches of 32, 50-step episodes.
inline std::vector<std::string> tiny_ensemble_sac_overrides() {
  return {"env.max_episode_steps=50",
          "model.ensemble_size=3",
          "model.num_elites=2",
          "model.num_layers=2",
          "model.hidden_size=16",
          "model.weight_decay=1.0e-5",
          "agent.hidden_size=16",
          "agent.batch_size=32",
          "algorithm.model_training.batch_size=32"};
}

/// configs/mbpo/pendulum.yaml at 1200 env steps: the tiny ensemble and SAC above, a model every
/// 50 steps, an evaluation every 100. Later `--set`s override these.
inline const std::vector<std::string>& tiny_mbpo_overrides() {
  static const std::vector<std::string> overrides = [] {
    std::vector<std::string> o = tiny_ensemble_sac_overrides();
    o.insert(o.begin(), "threads=1");
    o.insert(o.end(), {"algorithm.num_steps=1200", "algorithm.initial_random_steps=100",
                       "algorithm.epoch_length=100", "algorithm.model_train_freq=50",
                       "algorithm.rollout_batch_size=20", "algorithm.rollout_schedule=[1, 3, 1, 3]",
                       "algorithm.sac_updates_per_step=2", "algorithm.eval_every=100",
                       "algorithm.eval_episodes=1", "algorithm.model_training.num_epochs=3"});
    return o;
  }();
  return overrides;
}

}  // namespace mbrl::test

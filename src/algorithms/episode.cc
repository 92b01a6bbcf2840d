// Episode runner shared by every training loop and by `mbrl eval`.
#include "mbrl/algorithms/episode.h"

#include <cmath>

#include <torch/torch.h>

#include "mbrl/data/replay_buffer.h"

namespace mbrl {

EpisodeResult run_episode(Env& env, Agent& agent, ActMode mode, ReplayBuffer* buffer,
                          std::optional<uint64_t> seed, int64_t max_steps,
                          const EpisodeStepHook& after_step) {
  torch::NoGradGuard no_grad;
  EpisodeResult result;
  agent.reset();
  at::Tensor obs = env.reset(seed);
  while (true) {
    at::Tensor act = agent.act(obs, mode);
    StepResult step = env.step(act);
    ++result.length;
    result.episode_return += step.reward;
    const bool cut = max_steps > 0 && result.length >= max_steps;
    if (buffer)
      buffer->add(obs, act, step.obs, step.reward, step.terminated, step.truncated || cut);
    obs = step.obs;
    if (step.terminated || step.truncated || cut) {
      result.terminated = step.terminated;
      return result;
    }
    if (after_step) after_step(result.length);
  }
}

std::pair<double, double> mean_std(const std::vector<double>& values) {
  if (values.empty()) return {0.0, 0.0};
  double mean = 0;
  for (double v : values) mean += v;
  mean /= values.size();
  double var = 0;
  for (double v : values) var += (v - mean) * (v - mean);
  return {mean, std::sqrt(var / values.size())};
}

}  // namespace mbrl

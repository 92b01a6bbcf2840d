// DelayedRecallEnv.
#include "mbrl/envs/memory/delayed_recall.h"

#include <torch/torch.h>

#include <limits>

#include "mbrl/config/config_node.h"
#include "mbrl/core/check.h"
#include "mbrl/envs/env_tensors.h"

namespace mbrl {

DelayedRecallEnv::DelayedRecallEnv(DelayedRecallOptions options, uint64_t seed)
    : options_(options), rng_(seed) {
  MBRL_CHECK_ARG(options_.delay() >= 1, "delay", "expected an integer >= 1, got ",
                 options_.delay());
  MBRL_CHECK_ARG(options_.num_cues() >= 2, "num_cues", "expected an integer >= 2, got ",
                 options_.num_cues());
  MBRL_CHECK_ARG(options_.distractor_noise() >= 0, "distractor_noise",
                 "expected a number >= 0, got ", options_.distractor_noise());
  const int64_t K = options_.num_cues();
  const double inf = std::numeric_limits<double>::infinity();
  spec_.name = "delayed_recall";
  spec_.observation_space = Box::uniform(K + 1, -inf, inf);
  spec_.action_space = Box::uniform(K, -1.0, 1.0);
  spec_.max_episode_steps = options_.delay() + 1;
}

at::Tensor DelayedRecallEnv::observation() {
  const int64_t K = options_.num_cues();
  std::vector<double> obs(static_cast<size_t>(K + 1), 0.0);
  if (t_ == 0) {
    obs[static_cast<size_t>(cue_)] = 1.0;
  } else if (options_.distractor_noise() > 0) {
    std::normal_distribution<double> noise(0.0, options_.distractor_noise());
    for (int64_t k = 0; k < K; ++k) obs[static_cast<size_t>(k)] = noise(rng_);
  }
  obs[static_cast<size_t>(K)] = t_ == options_.delay() ? 1.0 : 0.0;
  return observation_tensor(obs);
}

at::Tensor DelayedRecallEnv::reset(std::optional<uint64_t> seed) {
  if (seed) rng_.seed(*seed);
  cue_ = std::uniform_int_distribution<int64_t>(0, options_.num_cues() - 1)(rng_);
  t_ = 0;
  return observation();
}

StepResult DelayedRecallEnv::step(const at::Tensor& act) {
  MBRL_CHECK(t_ <= options_.delay(), "delayed_recall: step after the episode ended; call reset");
  const std::vector<double> a = action_values(act, options_.num_cues(), "delayed_recall");
  StepResult r;
  if (t_ == options_.delay()) {
    r.reward = std::clamp(a[static_cast<size_t>(cue_)], -1.0, 1.0);
    r.terminated = true;
  }
  ++t_;
  r.obs = observation();
  return r;
}

DelayedRecallOptions delayed_recall_options_from_config(const ConfigNode& node) {
  DelayedRecallOptions o;
  MBRL_READ_OPTION(node, o, delay);
  MBRL_READ_OPTION(node, o, num_cues);
  MBRL_READ_OPTION(node, o, distractor_noise);
  return o;
}

}  // namespace mbrl

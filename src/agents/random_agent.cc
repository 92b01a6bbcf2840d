// RandomAgent.
#include "mbrl/agents/random_agent.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/envs/env_tensors.h"

namespace mbrl {

RandomAgent::RandomAgent(Box action_space, at::Generator gen, bool discrete)
    : action_space_(std::move(action_space)), gen_(std::move(gen)), discrete_(discrete) {
  MBRL_CHECK(torch::isfinite(action_space_.low).all().item<bool>() &&
                 torch::isfinite(action_space_.high).all().item<bool>(),
             "RandomAgent needs finite action bounds");
  range_ = action_space_.high - action_space_.low;
}

at::Tensor RandomAgent::act(const at::Tensor&, ActMode) {
  if (discrete_) {
    const int64_t n = action_space_.dim();
    return one_hot_action(torch::randint(n, {1}, gen_).item<int64_t>(), n);
  }
  return action_space_.low + range_ * torch::rand({action_space_.dim()}, gen_);
}

}  // namespace mbrl

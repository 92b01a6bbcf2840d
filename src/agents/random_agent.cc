// RandomAgent.
#include "mbrl/agents/random_agent.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

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
    const at::Tensor choice = torch::randint(action_space_.dim(), {1}, gen_);
    return torch::zeros({action_space_.dim()}).index_fill_(0, choice, 1.0);
  }
  return action_space_.low + range_ * torch::rand({action_space_.dim()}, gen_);
}

}  // namespace mbrl

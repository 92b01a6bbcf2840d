// RandomAgent.
#include "mbrl/agents/random_agent.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

RandomAgent::RandomAgent(Box action_space, at::Generator gen)
    : action_space_(std::move(action_space)), gen_(std::move(gen)) {
  MBRL_CHECK(torch::isfinite(action_space_.low).all().item<bool>() &&
                 torch::isfinite(action_space_.high).all().item<bool>(),
             "RandomAgent needs finite action bounds");
  range_ = action_space_.high - action_space_.low;
}

at::Tensor RandomAgent::act(const at::Tensor&, ActMode) {
  return action_space_.low + range_ * torch::rand({action_space_.dim()}, gen_);
}

}  // namespace mbrl

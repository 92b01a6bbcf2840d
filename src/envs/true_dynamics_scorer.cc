// TrueDynamicsScorer.
#include "mbrl/envs/true_dynamics_scorer.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

TrueDynamicsScorer::TrueDynamicsScorer(std::shared_ptr<const TaskFunctions> task,
                                       std::shared_ptr<const TrueDynamics> dynamics)
    : task_(std::move(task)), dynamics_(std::move(dynamics)) {
  MBRL_ASSERT(task_ != nullptr && dynamics_ != nullptr, "TrueDynamicsScorer needs both parts");
}

at::Tensor TrueDynamicsScorer::score(const at::Tensor& obs, const at::Tensor& actions) {
  torch::NoGradGuard no_grad;
  MBRL_CHECK_SHAPE(actions, {-1, -1, -1, -1}, "actions");
  const int64_t S = actions.size(0);
  const int64_t P = actions.size(1);
  const int64_t H = actions.size(2);
  const int64_t A = actions.size(3);
  MBRL_CHECK_SHAPE(obs, {S, -1}, "obs");

  // every (start, candidate) pair is one row of the batch: [S * P, ...]
  auto state = obs.to(actions.device(), torch::kFloat32)
                   .unsqueeze(1)
                   .expand({S, P, obs.size(1)})
                   .reshape({S * P, obs.size(1)});
  auto act = actions.to(torch::kFloat32).reshape({S * P, H, A});
  auto total = torch::zeros({S * P}, state.options());
  auto alive = torch::ones({S * P}, state.options());
  for (int64_t h = 0; h < H; ++h) {
    auto a = act.select(1, h);
    auto next = dynamics_->next_obs(state, a);
    total.add_(task_->reward(state, a, next).to(torch::kFloat32).mul(alive));
    alive.mul_(task_->terminated(next).logical_not());
    state = next;
  }
  return total.nan_to_num_(kNonFiniteScore, kNonFiniteScore, kNonFiniteScore).view({S, P});
}

std::shared_ptr<TrueDynamicsScorer> make_true_dynamics_scorer(const Env& env) {
  auto task = env.task_functions();
  auto dynamics = std::dynamic_pointer_cast<const TrueDynamics>(task);
  if (!dynamics) return nullptr;
  return std::make_shared<TrueDynamicsScorer>(task, dynamics);
}

}  // namespace mbrl

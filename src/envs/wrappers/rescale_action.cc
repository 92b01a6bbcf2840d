// RescaleAction wrapper and the matching task functions.
#include "mbrl/envs/wrappers/rescale_action.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/envs/task_functions.h"

namespace mbrl {
namespace {

// act in [-1, 1] -> inner bounds
at::Tensor rescale(const at::Tensor& act, const at::Tensor& low, const at::Tensor& half_range) {
  auto lo = low.to(act.device(), act.scalar_type());
  auto hr = half_range.to(act.device(), act.scalar_type());
  return lo + (act.clamp(-1.0, 1.0) + 1.0) * hr;
}

class RescaledTask : public TaskFunctions, public TrueDynamics {
 public:
  RescaledTask(std::shared_ptr<const TaskFunctions> inner, at::Tensor low, at::Tensor half_range)
      : inner_(std::move(inner)),
        dynamics_(std::dynamic_pointer_cast<const TrueDynamics>(inner_)),
        low_(std::move(low)),
        half_range_(std::move(half_range)) {}

  at::Tensor reward(const at::Tensor& obs, const at::Tensor& act,
                    const at::Tensor& next_obs) const override {
    return inner_->reward(obs, rescale(act, low_, half_range_), next_obs);
  }
  at::Tensor terminated(const at::Tensor& next_obs) const override {
    return inner_->terminated(next_obs);
  }
  at::Tensor next_obs(const at::Tensor& obs, const at::Tensor& act) const override {
    MBRL_CHECK(dynamics_ != nullptr, "this task has no true dynamics");
    return dynamics_->next_obs(obs, rescale(act, low_, half_range_));
  }

 private:
  std::shared_ptr<const TaskFunctions> inner_;
  std::shared_ptr<const TrueDynamics> dynamics_;
  at::Tensor low_, half_range_;
};

}  // namespace

RescaleAction::RescaleAction(std::shared_ptr<Env> inner)
    : EnvWrapper(std::move(inner)), spec_(inner_->spec()) {
  const Box& box = inner_->spec().action_space;
  MBRL_CHECK_ARG(
      torch::isfinite(box.low).all().item<bool>() && torch::isfinite(box.high).all().item<bool>(),
      "normalize_actions", "expected an env with finite action bounds");
  low_ = box.low;
  half_range_ = (box.high - box.low) / 2.0;
  spec_.action_space = Box::uniform(box.dim(), -1.0, 1.0);
  if (auto task = inner_->task_functions()) {
    task_ = std::make_shared<RescaledTask>(task, low_, half_range_);
  }
}

at::Tensor RescaleAction::to_inner(const at::Tensor& act) const {
  return rescale(act, low_, half_range_);
}

StepResult RescaleAction::step(const at::Tensor& act) { return inner_->step(to_inner(act)); }

}  // namespace mbrl

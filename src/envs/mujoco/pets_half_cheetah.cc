// PETS HalfCheetah: the half_cheetah model with the forward velocity as observation 0.
#include "mbrl/envs/mujoco/pets_half_cheetah.h"

#include <algorithm>

#include "mbrl/core/check.h"
#include "mbrl/envs/task_functions.h"
#include "torch_terms.h"

namespace mbrl {
namespace {

constexpr int kNq = 9, kNv = 9, kNu = 6, kObsDim = 18;

class PetsHalfCheetahTaskFunctions : public TaskFunctions {
 public:
  PetsHalfCheetahTaskFunctions(double ctrl_cost_weight, at::Tensor low, at::Tensor high)
      : ctrl_cost_weight_(ctrl_cost_weight), low_(std::move(low)), high_(std::move(high)) {}

  at::Tensor reward(const at::Tensor& obs, const at::Tensor& act,
                    const at::Tensor& next_obs) const override {
    detail::check_reward_shapes(obs, act, next_obs, kObsDim, kNu);
    return next_obs.select(1, 0) -
           ctrl_cost_weight_ * detail::clipped_control_norm2(act, low_, high_);
  }

  at::Tensor terminated(const at::Tensor& next_obs) const override {
    MBRL_CHECK_SHAPE(next_obs, {-1, kObsDim}, "next_obs");
    return torch::zeros({next_obs.size(0)}, next_obs.options().dtype(torch::kBool));
  }

 private:
  double ctrl_cost_weight_;
  at::Tensor low_, high_;
};

class PetsHalfCheetahTask : public MujocoTask {
 public:
  PetsHalfCheetahTask(const PetsHalfCheetahOptions& o, std::shared_ptr<const MujocoModel> model)
      : MujocoTask("pets_half_cheetah", std::move(model), o.frame_skip(), kObsDim, 1000), o_(o) {
    this->model().require_sizes("pets_half_cheetah", kNq, kNv, kNu);
    const Box box = this->model().action_space();
    functions_ =
        std::make_shared<PetsHalfCheetahTaskFunctions>(o.ctrl_cost_weight(), box.low, box.high);
  }

  void reset(mjData* d, std::mt19937_64& rng) const override {
    detail::add_normal_noise(d->qpos, kNq, o_.reset_noise_scale(), rng);
    detail::add_normal_noise(d->qvel, kNv, o_.reset_noise_scale(), rng);
  }

  PreStep pre_step(const mjData* d) const override {
    PreStep pre;
    pre.values[0] = d->qpos[0];
    return pre;
  }

  double reward(const mjData* d, const PreStep& pre) const override {
    return forward_velocity(d, pre) - o_.ctrl_cost_weight() * control_norm2(d);
  }

  bool terminated(const mjData*) const override { return false; }

  void observe(const mjData* d, const PreStep& pre, double* obs) const override {
    obs[0] = forward_velocity(d, pre);
    std::copy(d->qvel, d->qvel + kNv, std::copy(d->qpos + 1, d->qpos + kNq, obs + 1));
  }

  std::shared_ptr<const TaskFunctions> task_functions() const override { return functions_; }

 private:
  double forward_velocity(const mjData* d, const PreStep& pre) const {
    return (d->qpos[0] - pre.values[0]) / dt();
  }

  PetsHalfCheetahOptions o_;
  std::shared_ptr<const TaskFunctions> functions_;
};

}  // namespace

std::shared_ptr<const MujocoTask> make_pets_half_cheetah_task(const PetsHalfCheetahOptions& o) {
  MBRL_CHECK_ARG(o.frame_skip() >= 1, "frame_skip", "expected a positive integer, got ",
                 o.frame_skip());
  MBRL_CHECK_ARG(o.reset_noise_scale() >= 0, "reset_noise_scale",
                 "expected a non-negative number, got ", o.reset_noise_scale());
  MBRL_CHECK_ARG(o.ctrl_cost_weight() >= 0, "ctrl_cost_weight",
                 "expected a non-negative number, got ", o.ctrl_cost_weight());
  return std::make_shared<PetsHalfCheetahTask>(o, load_mujoco_model("half_cheetah", o.model_xml()));
}

}  // namespace mbrl

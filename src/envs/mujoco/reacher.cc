// Reacher-v4: a two-link arm rewarded for its fingertip's distance to a random target.
#include "mbrl/envs/mujoco/reacher.h"

#include <cmath>

#include "mbrl/core/check.h"
#include "mbrl/envs/task_functions.h"
#include "torch_terms.h"

namespace mbrl {
namespace {

class ReacherTaskFunctions : public TaskFunctions {
 public:
  ReacherTaskFunctions(at::Tensor low, at::Tensor high)
      : low_(std::move(low)), high_(std::move(high)) {}

  at::Tensor reward(const at::Tensor& obs, const at::Tensor& act,
                    const at::Tensor& next_obs) const override {
    detail::check_reward_shapes(obs, act, next_obs, 11, 2);
    auto distance = obs.slice(1, 8, 11).pow(2).sum(1).sqrt();
    return -distance - detail::clipped_control_norm2(act, low_, high_);
  }

  at::Tensor terminated(const at::Tensor& next_obs) const override {
    MBRL_CHECK_SHAPE(next_obs, {-1, 11}, "next_obs");
    return torch::zeros({next_obs.size(0)}, next_obs.options().dtype(torch::kBool));
  }

 private:
  at::Tensor low_, high_;
};

class ReacherTask : public MujocoTask {
 public:
  ReacherTask(const ReacherOptions& o, std::shared_ptr<const MujocoModel> model)
      : MujocoTask("reacher", std::move(model), o.frame_skip(), 11, 50),
        fingertip_(this->model().body_id("fingertip")),
        target_(this->model().body_id("target")) {
    this->model().require_sizes("reacher", 4, 4, 2);
    const Box box = this->model().action_space();
    functions_ = std::make_shared<ReacherTaskFunctions>(box.low, box.high);
  }

  void reset(mjData* d, std::mt19937_64& rng) const override {
    detail::add_uniform_noise(d->qpos, 4, 0.1, rng);
    std::uniform_real_distribution<double> goal(-0.2, 0.2);
    double gx = 0, gy = 0;
    do {
      gx = goal(rng);
      gy = goal(rng);
    } while (std::hypot(gx, gy) >= 0.2);
    d->qpos[2] = gx;
    d->qpos[3] = gy;
    detail::add_uniform_noise(d->qvel, 4, 0.005, rng);
    d->qvel[2] = d->qvel[3] = 0.0;
  }

  // v4 rewards the distance before the step: the fingertip and target positions of mjData.xpos
  PreStep pre_step(const mjData* d) const override {
    PreStep pre;
    for (int i = 0; i < 3; ++i)
      pre.values[i] = d->xpos[3 * fingertip_ + i] - d->xpos[3 * target_ + i];
    return pre;
  }

  double reward(const mjData* d, const PreStep& pre) const override {
    const auto& v = pre.values;
    return -std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) - control_norm2(d);
  }

  bool terminated(const mjData*) const override { return false; }

  void observe(const mjData* d, const PreStep&, double* obs) const override {
    obs[0] = std::cos(d->qpos[0]);
    obs[1] = std::cos(d->qpos[1]);
    obs[2] = std::sin(d->qpos[0]);
    obs[3] = std::sin(d->qpos[1]);
    obs[4] = d->qpos[2];
    obs[5] = d->qpos[3];
    obs[6] = d->qvel[0];
    obs[7] = d->qvel[1];
    for (int i = 0; i < 3; ++i) obs[8 + i] = d->xpos[3 * fingertip_ + i] - d->xpos[3 * target_ + i];
  }

  std::shared_ptr<const TaskFunctions> task_functions() const override { return functions_; }

 private:
  int fingertip_, target_;
  std::shared_ptr<const TaskFunctions> functions_;
};

}  // namespace

std::shared_ptr<const MujocoTask> make_reacher_task(const ReacherOptions& o) {
  MBRL_CHECK_ARG(o.frame_skip() >= 1, "frame_skip", "expected a positive integer, got ",
                 o.frame_skip());
  return std::make_shared<ReacherTask>(o, load_mujoco_model("reacher", o.model_xml()));
}

}  // namespace mbrl

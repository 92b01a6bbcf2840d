// InvertedPendulum-v4: +1 per step while the pole stays within 0.2 rad of upright.
#include "mbrl/envs/mujoco/inverted_pendulum.h"

#include <algorithm>
#include <cmath>

#include "mbrl/core/check.h"
#include "mbrl/envs/task_functions.h"
#include "torch_terms.h"

namespace mbrl {
namespace {

constexpr double kMaxAngle = 0.2;

class InvertedPendulumTaskFunctions : public TaskFunctions {
 public:
  at::Tensor reward(const at::Tensor& obs, const at::Tensor& act,
                    const at::Tensor& next_obs) const override {
    detail::check_reward_shapes(obs, act, next_obs, 4, 1);
    return torch::ones({obs.size(0)}, obs.options());
  }

  at::Tensor terminated(const at::Tensor& next_obs) const override {
    MBRL_CHECK_SHAPE(next_obs, {-1, 4}, "next_obs");
    auto finite = torch::isfinite(next_obs).all(1);
    return finite.logical_not().logical_or(next_obs.select(1, 1).abs().gt(kMaxAngle));
  }
};

class InvertedPendulumTask : public MujocoTask {
 public:
  InvertedPendulumTask(const InvertedPendulumOptions& o, std::shared_ptr<const MujocoModel> model)
      : MujocoTask("inverted_pendulum", std::move(model), o.frame_skip(), 4, 1000),
        noise_(o.reset_noise_scale()),
        functions_(std::make_shared<InvertedPendulumTaskFunctions>()) {
    this->model().require_sizes("inverted_pendulum", 2, 2, 1);
  }

  void reset(mjData* d, std::mt19937_64& rng) const override {
    detail::add_uniform_noise(d->qpos, 2, noise_, rng);
    detail::add_uniform_noise(d->qvel, 2, noise_, rng);
  }

  double reward(const mjData*, const PreStep&) const override { return 1.0; }

  bool terminated(const mjData* d) const override {
    return !detail::all_finite(d->qpos, 2) || !detail::all_finite(d->qvel, 2) ||
           std::abs(d->qpos[1]) > kMaxAngle;
  }

  void observe(const mjData* d, const PreStep&, double* obs) const override {
    std::copy(d->qvel, d->qvel + 2, std::copy(d->qpos, d->qpos + 2, obs));
  }

  std::shared_ptr<const TaskFunctions> task_functions() const override { return functions_; }

 private:
  double noise_;
  std::shared_ptr<const TaskFunctions> functions_;
};

}  // namespace

std::shared_ptr<const MujocoTask> make_inverted_pendulum_task(const InvertedPendulumOptions& o) {
  MBRL_CHECK_ARG(o.frame_skip() >= 1, "frame_skip", "expected a positive integer, got ",
                 o.frame_skip());
  MBRL_CHECK_ARG(o.reset_noise_scale() >= 0, "reset_noise_scale",
                 "expected a non-negative number, got ", o.reset_noise_scale());
  return std::make_shared<InvertedPendulumTask>(
      o, load_mujoco_model("inverted_pendulum", o.model_xml()));
}

}  // namespace mbrl

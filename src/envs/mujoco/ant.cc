// Ant-v4: a quadruped on a free joint; reward, health and observation on mjData and over obs.
#include "mbrl/envs/mujoco/ant.h"

#include <algorithm>

#include "mbrl/core/check.h"
#include "mbrl/envs/task_functions.h"
#include "planar_locomotion.h"
#include "torch_terms.h"

namespace mbrl {
namespace {

constexpr int kNq = 15, kNv = 14, kNu = 8;

int64_t ant_obs_dim(const AntOptions& o) {
  return kNq + kNv - (o.exclude_current_positions_from_observation() ? 2 : 0);
}

class AntTaskFunctions : public TaskFunctions {
 public:
  AntTaskFunctions(const AntOptions& o, double dt, at::Tensor low, at::Tensor high)
      : o_(o),
        z_range_(detail::range_option(o.healthy_z_range(), "healthy_z_range")),
        dt_(dt),
        offset_(o.exclude_current_positions_from_observation() ? 2 : 0),
        obs_dim_(ant_obs_dim(o)),
        low_(std::move(low)),
        high_(std::move(high)) {}

  at::Tensor reward(const at::Tensor& obs, const at::Tensor& act,
                    const at::Tensor& next_obs) const override {
    detail::check_reward_shapes(obs, act, next_obs, obs_dim_, kNu);
    at::Tensor x_velocity;
    if (offset_ == 0) {
      x_velocity = (next_obs.select(1, 0) - obs.select(1, 0)) / dt_;
    } else {
      const int64_t vx = kNq - offset_;
      x_velocity = 0.5 * (obs.select(1, vx) + next_obs.select(1, vx));
    }
    auto r = x_velocity - o_.ctrl_cost_weight() * detail::clipped_control_norm2(act, low_, high_);
    if (o_.terminate_when_unhealthy()) return r + o_.healthy_reward();
    return r + o_.healthy_reward() * healthy(next_obs).to(r.scalar_type());
  }

  at::Tensor terminated(const at::Tensor& next_obs) const override {
    MBRL_CHECK_SHAPE(next_obs, {-1, obs_dim_}, "next_obs");
    if (!o_.terminate_when_unhealthy()) {
      return torch::zeros({next_obs.size(0)}, next_obs.options().dtype(torch::kBool));
    }
    return healthy(next_obs).logical_not();
  }

 private:
  at::Tensor healthy(const at::Tensor& next_obs) const {
    auto z = next_obs.select(1, 2 - offset_);
    return torch::isfinite(next_obs)
        .all(1)
        .logical_and(z.ge(z_range_[0]))
        .logical_and(z.le(z_range_[1]));
  }

  AntOptions o_;
  std::array<double, 2> z_range_;
  double dt_;
  int64_t offset_, obs_dim_;
  at::Tensor low_, high_;
};

class AntTask : public MujocoTask {
 public:
  AntTask(const AntOptions& o, std::shared_ptr<const MujocoModel> model)
      : MujocoTask("ant", std::move(model), o.frame_skip(), ant_obs_dim(o), 1000),
        o_(o),
        z_range_(detail::range_option(o.healthy_z_range(), "healthy_z_range")),
        torso_(this->model().body_id("torso")) {
    this->model().require_sizes("ant", kNq, kNv, kNu);
    const Box box = this->model().action_space();
    functions_ = std::make_shared<AntTaskFunctions>(o, dt(), box.low, box.high);
  }

  void reset(mjData* d, std::mt19937_64& rng) const override {
    detail::add_uniform_noise(d->qpos, kNq, o_.reset_noise_scale(), rng);
    detail::add_normal_noise(d->qvel, kNv, o_.reset_noise_scale(), rng);
  }

  // Gymnasium reads the torso's xpos, which mj_step leaves at the last substep's start
  PreStep pre_step(const mjData* d) const override {
    PreStep pre;
    pre.values[0] = d->xpos[3 * torso_];
    return pre;
  }

  double reward(const mjData* d, const PreStep& pre) const override {
    const double x_velocity = (d->xpos[3 * torso_] - pre.values[0]) / dt();
    double r = x_velocity - o_.ctrl_cost_weight() * control_norm2(d);
    if (o_.terminate_when_unhealthy() || healthy(d)) r += o_.healthy_reward();
    return r;
  }

  bool terminated(const mjData* d) const override {
    return o_.terminate_when_unhealthy() && !healthy(d);
  }

  void observe(const mjData* d, const PreStep&, double* obs) const override {
    const int first = o_.exclude_current_positions_from_observation() ? 2 : 0;
    double* out = std::copy(d->qpos + first, d->qpos + kNq, obs);
    std::copy(d->qvel, d->qvel + kNv, out);
  }

  std::shared_ptr<const TaskFunctions> task_functions() const override { return functions_; }

 private:
  bool healthy(const mjData* d) const {
    const double z = d->qpos[2];
    return detail::all_finite(d->qpos, kNq) && detail::all_finite(d->qvel, kNv) &&
           z_range_[0] <= z && z <= z_range_[1];
  }

  AntOptions o_;
  std::array<double, 2> z_range_;
  int torso_;
  std::shared_ptr<const TaskFunctions> functions_;
};

}  // namespace

std::shared_ptr<const MujocoTask> make_ant_task(const AntOptions& o) {
  MBRL_CHECK_ARG(o.frame_skip() >= 1, "frame_skip", "expected a positive integer, got ",
                 o.frame_skip());
  MBRL_CHECK_ARG(o.reset_noise_scale() >= 0, "reset_noise_scale",
                 "expected a non-negative number, got ", o.reset_noise_scale());
  MBRL_CHECK_ARG(o.ctrl_cost_weight() >= 0, "ctrl_cost_weight",
                 "expected a non-negative number, got ", o.ctrl_cost_weight());
  const auto z = detail::range_option(o.healthy_z_range(), "healthy_z_range");
  MBRL_CHECK_ARG(z[0] <= z[1], "healthy_z_range", "expected [low, high] with low <= high, got [",
                 z[0], ", ", z[1], "]");
  return std::make_shared<AntTask>(o, load_mujoco_model("ant", o.model_xml()));
}

}  // namespace mbrl

// Planar locomotion tasks (HalfCheetah, Hopper, Walker2d) on mjData and over observations.
#include "planar_locomotion.h"

#include <algorithm>

#include "mbrl/core/check.h"
#include "torch_terms.h"

namespace mbrl::detail {
namespace {

void check_range(const std::array<double, 2>& r, const char* key) {
  MBRL_CHECK_ARG(r[0] < r[1], key, "expected [low, high] with low < high, got [", r[0], ", ", r[1],
                 "]");
}

int64_t planar_obs_dim(const PlanarLocomotionSpec& s) {
  return s.nq + s.nv - (s.exclude_current_positions_from_observation ? 1 : 0);
}

}  // namespace

std::array<double, 2> range_option(const std::vector<double>& values, const char* key) {
  MBRL_CHECK_ARG(values.size() == 2, key, "expected [low, high], got ", values.size(), " values");
  return {values[0], values[1]};
}

void check_planar_spec(const PlanarLocomotionSpec& s) {
  MBRL_CHECK_ARG(s.frame_skip >= 1, "frame_skip", "expected a positive integer, got ",
                 s.frame_skip);
  MBRL_CHECK_ARG(s.reset_noise_scale >= 0, "reset_noise_scale",
                 "expected a non-negative number, got ", s.reset_noise_scale);
  MBRL_CHECK_ARG(s.ctrl_cost_weight >= 0, "ctrl_cost_weight",
                 "expected a non-negative number, got ", s.ctrl_cost_weight);
  if (s.has_health) {
    check_range(s.healthy_z_range, "healthy_z_range");
    check_range(s.healthy_angle_range, "healthy_angle_range");
    if (s.check_state_range) check_range(s.healthy_state_range, "healthy_state_range");
  }
}

PlanarLocomotionTask::PlanarLocomotionTask(PlanarLocomotionSpec spec,
                                           std::shared_ptr<const MujocoModel> model)
    : MujocoTask(spec.name, std::move(model), spec.frame_skip, planar_obs_dim(spec),
                 spec.max_episode_steps),
      spec_(std::move(spec)) {
  check_planar_spec(spec_);
  this->model().require_sizes(spec_.name.c_str(), spec_.nq, spec_.nv, spec_.nu);
  const Box box = this->model().action_space();
  functions_ = std::make_shared<PlanarLocomotionTaskFunctions>(spec_, dt(), box.low, box.high);
}

void PlanarLocomotionTask::reset(mjData* d, std::mt19937_64& rng) const {
  const mjModel* m = model().get();
  add_uniform_noise(d->qpos, m->nq, spec_.reset_noise_scale, rng);
  if (spec_.normal_velocity_noise) {
    add_normal_noise(d->qvel, m->nv, spec_.reset_noise_scale, rng);
  } else {
    add_uniform_noise(d->qvel, m->nv, spec_.reset_noise_scale, rng);
  }
}

PreStep PlanarLocomotionTask::pre_step(const mjData* d) const {
  PreStep pre;
  pre.values[0] = d->qpos[0];
  return pre;
}

bool PlanarLocomotionTask::healthy(const mjData* d) const {
  if (!spec_.has_health) return true;
  auto inside = [](double x, const std::array<double, 2>& r) { return r[0] < x && x < r[1]; };
  bool ok =
      inside(d->qpos[1], spec_.healthy_z_range) && inside(d->qpos[2], spec_.healthy_angle_range);
  if (spec_.check_state_range) {
    // Gymnasium's state_vector()[2:]: qpos[2:] then the raw (unclipped) qvel
    for (int i = 2; i < spec_.nq && ok; ++i) ok = inside(d->qpos[i], spec_.healthy_state_range);
    for (int i = 0; i < spec_.nv && ok; ++i) ok = inside(d->qvel[i], spec_.healthy_state_range);
  }
  return ok;
}

double PlanarLocomotionTask::reward(const mjData* d, const PreStep& pre) const {
  const double x_velocity = (d->qpos[0] - pre.values[0]) / dt();
  double r = spec_.forward_reward_weight * x_velocity - spec_.ctrl_cost_weight * control_norm2(d);
  // v4: the healthy reward is paid on every step when unhealthy states terminate
  if (spec_.has_health && (spec_.terminate_when_unhealthy || healthy(d))) r += spec_.healthy_reward;
  return r;
}

bool PlanarLocomotionTask::terminated(const mjData* d) const {
  return spec_.has_health && spec_.terminate_when_unhealthy && !healthy(d);
}

void PlanarLocomotionTask::observe(const mjData* d, const PreStep&, double* obs) const {
  const int first = spec_.exclude_current_positions_from_observation ? 1 : 0;
  double* out = std::copy(d->qpos + first, d->qpos + spec_.nq, obs);
  for (int i = 0; i < spec_.nv; ++i) {
    out[i] = std::clamp(d->qvel[i], -spec_.velocity_clip, spec_.velocity_clip);
  }
}

PlanarLocomotionTaskFunctions::PlanarLocomotionTaskFunctions(PlanarLocomotionSpec spec, double dt,
                                                             at::Tensor low, at::Tensor high)
    : spec_(std::move(spec)),
      dt_(dt),
      offset_(spec_.exclude_current_positions_from_observation ? 1 : 0),
      obs_dim_(planar_obs_dim(spec_)),
      low_(std::move(low)),
      high_(std::move(high)) {}

at::Tensor PlanarLocomotionTaskFunctions::healthy(const at::Tensor& next_obs) const {
  auto ok = in_open_interval(next_obs.select(1, 1 - offset_), spec_.healthy_z_range[0],
                             spec_.healthy_z_range[1]);
  ok = ok.logical_and(in_open_interval(next_obs.select(1, 2 - offset_),
                                       spec_.healthy_angle_range[0], spec_.healthy_angle_range[1]));
  if (spec_.check_state_range) {
    // the observation holds the clipped velocities: a raw |qvel| beyond the range is not visible
    auto state = next_obs.slice(1, 2 - offset_);
    ok = ok.logical_and(
        in_open_interval(state, spec_.healthy_state_range[0], spec_.healthy_state_range[1]).all(1));
  }
  return ok;
}

at::Tensor PlanarLocomotionTaskFunctions::reward(const at::Tensor& obs, const at::Tensor& act,
                                                 const at::Tensor& next_obs) const {
  check_reward_shapes(obs, act, next_obs, obs_dim_, low_.size(0));
  at::Tensor x_velocity;
  if (offset_ == 0) {
    x_velocity = (next_obs.select(1, 0) - obs.select(1, 0)) / dt_;
  } else {
    const int64_t vx = spec_.nq - offset_;
    x_velocity = 0.5 * (obs.select(1, vx) + next_obs.select(1, vx));
  }
  auto r = spec_.forward_reward_weight * x_velocity -
           spec_.ctrl_cost_weight * clipped_control_norm2(act, low_, high_);
  if (spec_.has_health) {
    if (spec_.terminate_when_unhealthy) {
      r = r + spec_.healthy_reward;
    } else {
      r = r + spec_.healthy_reward * healthy(next_obs).to(r.scalar_type());
    }
  }
  return r;
}

at::Tensor PlanarLocomotionTaskFunctions::terminated(const at::Tensor& next_obs) const {
  MBRL_CHECK_SHAPE(next_obs, {-1, obs_dim_}, "next_obs");
  if (!spec_.has_health || !spec_.terminate_when_unhealthy) {
    return torch::zeros({next_obs.size(0)}, next_obs.options().dtype(torch::kBool));
  }
  return healthy(next_obs).logical_not();
}

}  // namespace mbrl::detail

// MujocoTask: shared parts of the MuJoCo tasks.
#include "mbrl/envs/mujoco/mujoco_task.h"

#include <cmath>

#include "mbrl/core/check.h"

namespace mbrl {

MujocoTask::MujocoTask(std::string name, std::shared_ptr<const MujocoModel> model, int frame_skip,
                       int64_t obs_dim, int64_t max_episode_steps)
    : name_(std::move(name)),
      model_(std::move(model)),
      frame_skip_(frame_skip),
      dt_((*model_)->opt.timestep * frame_skip),
      obs_dim_(obs_dim),
      max_episode_steps_(max_episode_steps) {
  MBRL_CHECK_ARG(frame_skip >= 1, "frame_skip", "expected a positive integer, got ", frame_skip);
  const double timestep = (*model_)->opt.timestep;
  if (!(timestep > 0 && std::isfinite(timestep))) {
    throw MujocoError(
        detail::str(model_->source(), ": expected a positive timestep, got ", timestep));
  }
}

PreStep MujocoTask::pre_step(const mjData* d) const { return {}; }

double MujocoTask::control_norm2(const mjData* d) const {
  double sum = 0;
  for (int i = 0; i < (*model_)->nu; ++i) sum += d->ctrl[i] * d->ctrl[i];
  return sum;
}

namespace detail {

void add_uniform_noise(double* values, int n, double scale, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> noise(-scale, scale);
  for (int i = 0; i < n; ++i) values[i] += noise(rng);
}

void add_normal_noise(double* values, int n, double scale, std::mt19937_64& rng) {
  std::normal_distribution<double> noise(0.0, 1.0);
  for (int i = 0; i < n; ++i) values[i] += scale * noise(rng);
}

bool all_finite(const double* values, int n) {
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(values[i])) return false;
  }
  return true;
}

}  // namespace detail

}  // namespace mbrl

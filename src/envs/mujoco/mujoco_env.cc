// MujocoEnv: reset, step with control clipping and instability detection.
#include "mbrl/envs/mujoco/mujoco_env.h"

#include <algorithm>
#include <limits>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/envs/env_tensors.h"
#include "mbrl/envs/task_functions.h"
#include "mbrl/log/log.h"

namespace mbrl {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// MuJoCo resets mjData itself when qpos, qvel or qacc go bad, and only says so in these counters
constexpr int kInstabilityWarnings[] = {mjWARN_BADQPOS, mjWARN_BADQVEL, mjWARN_BADQACC};

}  // namespace

MujocoEnv::MujocoEnv(std::shared_ptr<const MujocoTask> task, uint64_t seed)
    : task_(std::move(task)), data_(task_->model().make_data()), rng_(seed) {
  spec_.name = task_->name();
  spec_.observation_space = Box::uniform(task_->obs_dim(), -kInf, kInf);
  spec_.action_space = task_->model().action_space();
  spec_.max_episode_steps = task_->max_episode_steps();
  obs_.assign(task_->obs_dim(), 0.0);
}

std::shared_ptr<const TaskFunctions> MujocoEnv::task_functions() const {
  return task_->task_functions();
}

at::Tensor MujocoEnv::reset(std::optional<uint64_t> seed) {
  if (seed) rng_.seed(*seed);
  task_->model().reset_data(data_.get());
  task_->reset(data_.get(), rng_);
  mj_forward(model(), data_.get());
  begin_episode();
  return observation();
}

void MujocoEnv::set_state(const std::vector<double>& qpos, const std::vector<double>& qvel) {
  const mjModel* m = model();
  MBRL_CHECK_ARG(static_cast<int>(qpos.size()) == m->nq, "qpos", "expected ", m->nq,
                 " values, got ", qpos.size());
  MBRL_CHECK_ARG(static_cast<int>(qvel.size()) == m->nv, "qvel", "expected ", m->nv,
                 " values, got ", qvel.size());
  std::copy(qpos.begin(), qpos.end(), data_->qpos);
  std::copy(qvel.begin(), qvel.end(), data_->qvel);
  mj_forward(m, data_.get());
  begin_episode();
}

void MujocoEnv::begin_episode() {
  pre_ = task_->pre_step(data_.get());
  task_->observe(data_.get(), pre_, obs_.data());
  needs_reset_ = false;
  steps_ = 0;
}

at::Tensor MujocoEnv::observation() const { return observation_tensor(obs_); }

StepResult MujocoEnv::step(const at::Tensor& act) {
  MBRL_CHECK(!needs_reset_, task_->name(), ": step() before reset() or after a terminated step");
  const mjModel* m = model();
  mjData* d = data_.get();
  const std::vector<double> action = action_values(act, m->nu, task_->name().c_str());
  task_->model().clip_controls(action.data(), d->ctrl);

  // the counters let us see a reset that MuJoCo does on its own
  for (int w : kInstabilityWarnings) d->warning[w].number = 0;
  pre_ = task_->pre_step(d);
  for (int k = 0; k < task_->frame_skip(); ++k) mj_step(m, d);
  ++steps_;

  bool unstable = !detail::all_finite(d->qpos, m->nq) || !detail::all_finite(d->qvel, m->nv);
  for (int w : kInstabilityWarnings) unstable = unstable || d->warning[w].number > 0;
  StepResult r;
  if (unstable) {
    log::logger("mujoco")->warn(
        "{}: the simulator state became non-finite or unstable at step {} of the episode; "
        "ending the episode (terminated, reward 0, last finite observation)",
        task_->name(), steps_);
    needs_reset_ = true;
    r.obs = observation();
    r.terminated = true;
    return r;
  }
  r.reward = task_->reward(d, pre_);
  r.terminated = task_->terminated(d);
  task_->observe(d, pre_, obs_.data());
  r.obs = observation();
  needs_reset_ = r.terminated;
  return r;
}

}  // namespace mbrl

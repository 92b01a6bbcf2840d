// MujocoTask: what makes a MuJoCo model a task (observation, reward, termination, reset noise),
// written against mjData so that the env and the simulator scorer share one implementation.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include <mujoco/mujoco.h>

#include "mbrl/envs/mujoco/mujoco_model.h"

namespace mbrl {

class TaskFunctions;

/// What a task reads from the simulator just before a step, so that reward and observation can
/// use differences across the step (the root x position for the forward velocity, the fingertip
/// to target vector that Reacher-v4 rewards).
struct PreStep {
  std::array<double, 3> values{};
};

/// A task on a compiled model. Built once per env configuration (after checking that the model
/// has the layout the task reads) and then immutable: every method is const and thread-safe, and
/// works on whichever mjData it is given (the env's own, or a scorer thread's copy).
///
/// One step of the env is: ctrl = clip(action); pre = pre_step(d); mj_step x frame_skip();
/// reward(d, pre); terminated(d); observe(d, pre, obs).
class MujocoTask {
 public:
  MujocoTask(std::string name, std::shared_ptr<const MujocoModel> model, int frame_skip,
             int64_t obs_dim, int64_t max_episode_steps);
  virtual ~MujocoTask() = default;

  /// Registry name, e.g. "hopper".
  const std::string& name() const { return name_; }
  const MujocoModel& model() const { return *model_; }
  const std::shared_ptr<const MujocoModel>& model_ptr() const { return model_; }
  /// Physics steps per env step.
  int frame_skip() const { return frame_skip_; }
  /// Seconds per env step: timestep x frame_skip.
  double dt() const { return dt_; }
  int64_t obs_dim() const { return obs_dim_; }
  int64_t max_episode_steps() const { return max_episode_steps_; }

  /// Sets the initial state: `d` holds mj_resetData's state (qpos0, zero velocities); the task
  /// adds its reset noise drawn from `rng`. The caller runs mj_forward afterwards.
  virtual void reset(mjData* d, std::mt19937_64& rng) const = 0;

  /// Reads what reward and observation need from the state before a step.
  virtual PreStep pre_step(const mjData* d) const;

  /// The reward of the step that led to `d`; the applied controls are in d->ctrl.
  virtual double reward(const mjData* d, const PreStep& pre) const = 0;

  /// Whether the episode ends in state `d`.
  virtual bool terminated(const mjData* d) const = 0;

  /// Writes the observation of `d` to obs[0, obs_dim()).
  virtual void observe(const mjData* d, const PreStep& pre, double* obs) const = 0;

  /// The reward and termination as batched torch functions over observations.
  virtual std::shared_ptr<const TaskFunctions> task_functions() const = 0;

 protected:
  /// Sum of squares of the controls d->ctrl.
  double control_norm2(const mjData* d) const;

 private:
  std::string name_;
  std::shared_ptr<const MujocoModel> model_;
  int frame_skip_;
  double dt_;
  int64_t obs_dim_;
  int64_t max_episode_steps_;
};

namespace detail {

/// x ~ U(-scale, scale) added to each of values[0, n).
void add_uniform_noise(double* values, int n, double scale, std::mt19937_64& rng);
/// x ~ scale * N(0, 1) added to each of values[0, n).
void add_normal_noise(double* values, int n, double scale, std::mt19937_64& rng);
/// Whether all of values[0, n) are finite.
bool all_finite(const double* values, int n);

}  // namespace detail

}  // namespace mbrl

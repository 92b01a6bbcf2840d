// MujocoEnv: an Env that steps a MuJoCo model with a MujocoTask (Gymnasium's MujocoEnv).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include <mujoco/mujoco.h>

#include "mbrl/envs/env.h"
#include "mbrl/envs/mujoco/mujoco_task.h"

namespace mbrl {

/// One MuJoCo environment: its own mjData on the task's shared model.
///
/// reset(seed): MujocoModel::reset_data (mj_resetData's state), the task's reset noise from the
/// env's generator, mj_forward.
/// step(act): the action is clipped to the actuators' control range (the action space), written to
/// ctrl, and the model is stepped frame_skip times. A simulator state that turns non-finite (or
/// that MuJoCo flags as unstable and resets) ends the episode: the step returns terminated with
/// reward 0 and the last finite observation, and a warning is logged; it never silently continues.
/// Stepping before reset or after a terminated step throws.
///
/// Threading contract: one thread at a time per instance (see Env).
class MujocoEnv : public Env {
 public:
  /// `seed` seeds the env's generator (reset noise); reset(seed) reseeds it.
  MujocoEnv(std::shared_ptr<const MujocoTask> task, uint64_t seed);

  const EnvSpec& spec() const override { return spec_; }
  at::Tensor reset(std::optional<uint64_t> seed = std::nullopt) override;
  StepResult step(const at::Tensor& act) override;
  std::shared_ptr<const TaskFunctions> task_functions() const override;

  const MujocoTask& task() const { return *task_; }
  const std::shared_ptr<const MujocoTask>& task_ptr() const { return task_; }
  const mjModel* model() const { return task_->model().get(); }
  /// The live simulator state (read-only: the scorer snapshots it, tests inspect it).
  const mjData* data() const { return data_.get(); }

  /// Sets qpos ([nq]) and qvel ([nv]) and runs mj_forward, like Gymnasium's set_state; the next
  /// observation and reward are computed from this state. Throws InvalidArgument on wrong sizes.
  void set_state(const std::vector<double>& qpos, const std::vector<double>& qvel);

  /// The observation of the current state, [obs_dim] float32 (what the last reset/step returned).
  at::Tensor observation() const;

 private:
  void begin_episode();

  std::shared_ptr<const MujocoTask> task_;
  std::unique_ptr<mjData, void (*)(mjData*)> data_;
  EnvSpec spec_;
  std::mt19937_64 rng_;
  PreStep pre_;              // what the current observation was computed with
  std::vector<double> obs_;  // the current observation
  bool needs_reset_ = true;
  int64_t steps_ = 0;  // in this episode, for messages
};

}  // namespace mbrl

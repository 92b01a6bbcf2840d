// MujocoSimulatorScorer: scores action sequences by rolling them out in the true simulator from
// the live env's current state ("oracle" planning, as MuJoCo MPC plans on the model itself).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include "mbrl/core/thread_pool.h"
#include "mbrl/envs/mujoco/mujoco_env.h"
#include "mbrl/envs/sequence_scorer.h"

namespace mbrl {

class RescaleAction;

/// Options of the simulator scorer (config: `scorer: {type: simulator, ...}`).
struct MujocoSimulatorScorerOptions {
  /// Check that the start observation given to score() is the live env's current observation
  /// (within 1e-5), so that a planner never scores from another env's state by mistake.
  TORCH_ARG(bool, check_obs) = true;
};

/// Scores [S = 1, P, H, act_dim] action sequences on the simulator of a live MujocoEnv.
///
/// Each score() call snapshots the env's full simulator state (time, qpos, qvel, act, the
/// solver's warm start, and the body positions the tasks read before a step) and rolls each of
/// the P sequences out from it on the thread pool, each thread with its own mjData, using the
/// env's own task for the reward and termination. A rollout therefore reproduces Env::step
/// exactly: its return equals the sum of the rewards the env gives for the same actions. A
/// sequence stops accumulating reward after the step on which its episode terminates (that
/// step's reward included); time limits are ignored. A rollout whose state turns non-finite or
/// unstable scores -1e6. The env itself is not modified.
///
/// S must be 1: the simulator has one state, the env's. The obs row is only checked (see
/// options), never used to set the state.
///
/// Threading contract: call score() from the planning thread while the env is not being stepped.
class MujocoSimulatorScorer : public SequenceScorer {
 public:
  /// env: the live env whose state is scored from; pool: may be null (runs on the calling thread).
  MujocoSimulatorScorer(std::shared_ptr<const MujocoEnv> env, std::shared_ptr<ThreadPool> pool,
                        MujocoSimulatorScorerOptions options = {});

  /// Finds the MujocoEnv inside `env`'s wrappers. If a RescaleAction wrapper is among them, the
  /// scorer takes actions in [-1, 1] like the wrapped env and maps them the same way. Throws
  /// InvalidArgument("scorer") when there is no MujocoEnv inside.
  static std::shared_ptr<MujocoSimulatorScorer> from_env(const std::shared_ptr<Env>& env,
                                                         std::shared_ptr<ThreadPool> pool,
                                                         MujocoSimulatorScorerOptions options = {});

  /// obs: [1, obs_dim]; actions: [1, P, H, act_dim] in the action space of the env given to
  /// from_env (or of the MujocoEnv) -> returns [1, P] float32 on the device of `actions`.
  at::Tensor score(const at::Tensor& obs, const at::Tensor& actions) override;

  const MujocoSimulatorScorerOptions& options() const { return options_; }

 private:
  struct Snapshot;
  void roll_out(const Snapshot& snap, const float* actions, int64_t p_begin, int64_t p_end,
                int64_t horizon, int thread, double* returns, int64_t* unstable) const;

  std::shared_ptr<const MujocoEnv> env_;
  std::shared_ptr<ThreadPool> pool_;
  MujocoSimulatorScorerOptions options_;
  std::vector<std::shared_ptr<const RescaleAction>> rescalers_;  // outermost first
  std::vector<std::unique_ptr<mjData, void (*)(mjData*)>> thread_data_;
  std::vector<double> ctrl_low_, ctrl_high_;
};

}  // namespace mbrl

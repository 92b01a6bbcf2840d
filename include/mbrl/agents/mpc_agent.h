// MpcAgent: model predictive control, a TrajectoryOptimizer planning on a SequenceScorer.
#pragma once

#include <cstdint>
#include <memory>

#include <ATen/core/Tensor.h>

#include "mbrl/agents/agent.h"
#include "mbrl/config/config_node.h"
#include "mbrl/core/build_context.h"
#include "mbrl/envs/sequence_scorer.h"
#include "mbrl/planners/trajectory_optimizer.h"

namespace mbrl {

/// Plans a sequence of planning_horizon actions by maximizing the scorer's return from the
/// current observation, executes its first replan_freq actions, then plans again, warm-started
/// (mbrl-lib's `TrajectoryOptimizerAgent`). The scorer is either a learned ModelEnv (PETS) or the
/// task's true dynamics (TrueDynamicsScorer, the "oracle"): the planner code is the same.
///
/// Planning runs on the optimizer's device; actions come back on the CPU. ActMode does not
/// change anything: the plan is as deterministic as the optimizer's generator. Threading
/// contract: one thread at a time.
class MpcAgent : public Agent {
 public:
  /// optimizer, scorer: non-null. Throws InvalidArgument naming the option on a bad value.
  MpcAgent(TrajectoryOptimizerOptions options, std::shared_ptr<ActionOptimizer> optimizer,
           std::shared_ptr<SequenceScorer> scorer);

  /// Clears the warm start and the current plan, and starts the scorer's episode
  /// (SequenceScorer::begin_episode).
  void reset() override;

  /// obs: [obs_dim] -> [act_dim] float32 on the CPU, inside the action bounds. Plans when the
  /// current plan has been used for replan_freq steps (or there is none), else returns the
  /// plan's next action. Every call after the first of an episode first tells the scorer the
  /// real transition that led to `obs` (SequenceScorer::observe of the previous obs and action),
  /// so a model with memory plans from the real history.
  at::Tensor act(const at::Tensor& obs, ActMode mode = ActMode::kExplore) override;
  // save/load: nothing of its own to save (the model it may plan on is the experiment's and is
  // saved with it into agent.pt)

  /// Plans from several start observations at once. obs: [S, obs_dim] -> [S, H, act_dim] on the
  /// optimizer's device. Shares the warm start with `act` (a call with another S than the last
  /// one starts cold), and does not change the plan `act` executes.
  at::Tensor plan(const at::Tensor& obs);

  /// Wall-clock seconds of the last planning call (0 before the first); for `act`, including the
  /// copy of the plan to the CPU. Logged at debug level on the `mbrl.planner` logger.
  double last_planning_time_s() const { return last_planning_time_s_; }
  /// Number of planning calls since construction.
  int64_t num_plans() const { return num_plans_; }
  /// Wall-clock seconds `act` has spent planning since construction (the sum of its
  /// last_planning_time_s values).
  double acting_planning_time_s() const { return acting_planning_time_s_; }

  const TrajectoryOptimizer& trajectory_optimizer() const { return trajectory_; }
  const std::shared_ptr<SequenceScorer>& scorer() const { return scorer_; }

 private:
  TrajectoryOptimizer trajectory_;
  std::shared_ptr<SequenceScorer> scorer_;
  c10::Device device_;
  at::Tensor plan_;                 // [H, act_dim] on the CPU: the plan `act` executes
  at::Tensor last_obs_, last_act_;  // the previous call's obs and action (undefined: none)
  int64_t next_step_ = 0;
  double last_planning_time_s_ = 0.0;
  double acting_planning_time_s_ = 0.0;
  int64_t num_plans_ = 0;
};

/// The `mpc` agent factory of agent_registry(). Keys: planning_horizon, replan_freq,
/// keep_last_solution (TrajectoryOptimizerOptions), optimizer (a section with its own `type`,
/// built by optimizer_registry()), and scorer (default `model`), built by scorer_registry() from
/// this node: `model` (a ModelEnv on the `model` section's model), `oracle` (the env's true
/// dynamics), `simulator` (MuJoCo rollouts); a ConfigError when the run lacks what it needs.
std::shared_ptr<MpcAgent> make_mpc_agent(const ConfigNode& node, const BuildContext& ctx);

/// Extension point: builds the MpcAgent of `node` planning on `scorer`, reading every key but
/// `scorer` (which the caller has resolved), e.g. a ModelEnv the caller built.
std::shared_ptr<MpcAgent> make_mpc_agent_with_scorer(const ConfigNode& node,
                                                     const BuildContext& ctx,
                                                     std::shared_ptr<SequenceScorer> scorer);

}  // namespace mbrl

// MpcAgent and its factory.
#include "mbrl/agents/mpc_agent.h"

#include <chrono>

#include <torch/torch.h>

#include "mbrl/agents/agent_registry.h"
#include "mbrl/agents/scorer_registry.h"
#include "mbrl/core/check.h"
#include "mbrl/log/log.h"
#include "mbrl/planners/optimizer_registry.h"

namespace mbrl {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

MpcAgent::MpcAgent(TrajectoryOptimizerOptions options, std::shared_ptr<ActionOptimizer> optimizer,
                   std::shared_ptr<SequenceScorer> scorer)
    : trajectory_(options, optimizer), scorer_(std::move(scorer)), device_(optimizer->device()) {
  MBRL_ASSERT(scorer_ != nullptr, "MpcAgent without a scorer");
}

void MpcAgent::reset() {
  trajectory_.reset();
  plan_ = at::Tensor();
  next_step_ = 0;
  last_obs_ = last_act_ = at::Tensor();
  scorer_->begin_episode();
}

at::Tensor MpcAgent::plan(const at::Tensor& obs) {
  MBRL_CHECK_SHAPE(obs, {-1, -1}, "obs");
  torch::NoGradGuard no_grad;
  const auto start = std::chrono::steady_clock::now();
  auto start_obs = obs.to(device_, torch::kFloat32);
  auto objective = [&](const at::Tensor& actions) { return scorer_->score(start_obs, actions); };
  at::Tensor solution = trajectory_.optimize(objective, obs.size(0));
  last_planning_time_s_ = seconds_since(start);
  ++num_plans_;
  return solution;
}

at::Tensor MpcAgent::act(const at::Tensor& obs, ActMode) {
  MBRL_CHECK_SHAPE(obs, {-1}, "obs");
  if (last_act_.defined()) scorer_->observe(last_obs_, last_act_, obs);
  if (!plan_.defined() || next_step_ >= trajectory_.options().replan_freq()) {
    const auto start = std::chrono::steady_clock::now();
    plan_ = plan(obs.unsqueeze(0)).select(0, 0).to(torch::kCPU);
    next_step_ = 0;
    last_planning_time_s_ = seconds_since(start);
    acting_planning_time_s_ += last_planning_time_s_;
    log::logger("planner")->debug("MPC decision {}: planned in {:.2f} ms", num_plans_,
                                  1e3 * last_planning_time_s_);
  }
  last_obs_ = obs.clone();
  last_act_ = plan_.select(0, next_step_++).clone();
  return last_act_.clone();
}

std::shared_ptr<MpcAgent> make_mpc_agent_with_scorer(const ConfigNode& node,
                                                     const BuildContext& ctx,
                                                     std::shared_ptr<SequenceScorer> scorer) {
  require_continuous_actions(node, ctx);
  TrajectoryOptimizerOptions o;
  MBRL_READ_OPTION(node, o, planning_horizon);
  MBRL_READ_OPTION(node, o, replan_freq);
  MBRL_READ_OPTION(node, o, keep_last_solution);
  auto optimizer = optimizer_registry().create(node.child("optimizer"), ctx);
  return std::make_shared<MpcAgent>(o, std::move(optimizer), std::move(scorer));
}

std::shared_ptr<MpcAgent> make_mpc_agent(const ConfigNode& node, const BuildContext& ctx) {
  auto scorer = scorer_registry().create_named(node.get_or<std::string>("scorer", "model"), node,
                                               ctx, "scorer");
  return make_mpc_agent_with_scorer(node, ctx, std::move(scorer));
}

}  // namespace mbrl

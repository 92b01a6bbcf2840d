// MpcAgent and its factory.
#include "mbrl/agents/mpc_agent.h"

#include <chrono>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/envs/env.h"
#include "mbrl/envs/mujoco/mujoco_simulator_scorer.h"
#include "mbrl/envs/task_functions.h"
#include "mbrl/envs/true_dynamics_scorer.h"
#include "mbrl/log/log.h"
#include "mbrl/models/model_env.h"
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
}

void MpcAgent::save(torch::serialize::OutputArchive& archive) const {
  if (auto model_env = std::dynamic_pointer_cast<ModelEnv>(scorer_)) {
    torch::serialize::OutputArchive model;
    model_env->model()->save(model);
    archive.write("model", model);
  }
}

void MpcAgent::load(torch::serialize::InputArchive& archive) {
  if (auto model_env = std::dynamic_pointer_cast<ModelEnv>(scorer_)) {
    torch::serialize::InputArchive model;
    archive.read("model", model);
    model_env->model()->load(model, "agent archive");
  }
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
  if (!plan_.defined() || next_step_ >= trajectory_.options().replan_freq()) {
    const auto start = std::chrono::steady_clock::now();
    plan_ = plan(obs.unsqueeze(0)).select(0, 0).to(torch::kCPU);
    next_step_ = 0;
    last_planning_time_s_ = seconds_since(start);
    log::logger("planner")->debug("MPC decision {}: planned in {:.2f} ms", num_plans_,
                                  1e3 * last_planning_time_s_);
  }
  return plan_.select(0, next_step_++).clone();
}

std::shared_ptr<MpcAgent> make_mpc_agent_with_scorer(const ConfigNode& node,
                                                     const BuildContext& ctx,
                                                     std::shared_ptr<SequenceScorer> scorer) {
  TrajectoryOptimizerOptions o;
  o.planning_horizon(node.get_or("planning_horizon", o.planning_horizon()));
  o.replan_freq(node.get_or("replan_freq", o.replan_freq()));
  o.keep_last_solution(node.get_or("keep_last_solution", o.keep_last_solution()));
  auto optimizer = optimizer_registry().create(node.child("optimizer"), ctx);
  return std::make_shared<MpcAgent>(o, std::move(optimizer), std::move(scorer));
}

namespace {

// scorer `model`: a ModelEnv on the `model` section's model with the env's task functions
std::shared_ptr<SequenceScorer> make_model_scorer(const ConfigNode& node, const BuildContext& ctx) {
  auto model = ctx.get<DynamicsModel>();
  if (!model) throw node.error("scorer", "scorer 'model' needs a `model` section");
  auto env = ctx.get<Env>();
  std::shared_ptr<const TaskFunctions> task = env ? env->task_functions() : nullptr;
  if (!task && !model->learns_reward()) {
    throw node.error("scorer",
                     "scorer 'model' needs the env's reward function or a model with "
                     "learn_reward: true; env '" +
                         ctx.env().name + "' has none");
  }
  const ConfigNode section = node.section("model_env");
  return with_config_context(section, [&] {
    return std::make_shared<ModelEnv>(model_env_options_from_config(section), model, task,
                                      ctx.generator("model_env"));
  });
}

}  // namespace

std::shared_ptr<Agent> make_mpc_agent(const ConfigNode& node, const BuildContext& ctx) {
  const auto kind = node.get_or<std::string>("scorer", "model");
  std::shared_ptr<SequenceScorer> scorer;
  if (kind == "oracle") {
    auto env = ctx.get<Env>();
    if (env) scorer = make_true_dynamics_scorer(*env);
    if (!scorer) {
      const std::string name = ctx.env_spec ? ctx.env_spec->name : std::string("(none)");
      throw node.error("scorer", "scorer 'oracle' needs an env with true batched dynamics; env '" +
                                     name + "' has none (MuJoCo envs: use scorer 'simulator')");
    }
  } else if (kind == "simulator") {
    scorer = MujocoSimulatorScorer::from_env(ctx.get<Env>(), ctx.thread_pool);
  } else if (kind == "model") {
    scorer = make_model_scorer(node, ctx);
  } else {
    throw node.error("scorer", "expected one of: model, oracle, simulator; got '" + kind + "'");
  }
  return make_mpc_agent_with_scorer(node, ctx, std::move(scorer));
}

}  // namespace mbrl

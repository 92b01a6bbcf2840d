// The scorer registry: the built-in scorers an MPC agent plans on, one line each.
#include "mbrl/agents/scorer_registry.h"

#include "mbrl/envs/env.h"
#include "mbrl/envs/mujoco/mujoco_simulator_scorer.h"
#include "mbrl/envs/task_functions.h"
#include "mbrl/envs/true_dynamics_scorer.h"
#include "mbrl/models/model_env.h"

namespace mbrl {
namespace {

// a ModelEnv on the `model` section's model with the env's task functions
std::shared_ptr<SequenceScorer> make_model_scorer(const ConfigNode& node, const BuildContext& ctx) {
  const auto& model = ctx.built.model;
  if (!model) throw node.error("scorer", "scorer 'model' needs a `model` section");
  const auto& env = ctx.built.env;
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

// the env's true batched dynamics
std::shared_ptr<SequenceScorer> make_oracle_scorer(const ConfigNode& node,
                                                   const BuildContext& ctx) {
  const auto& env = ctx.built.env;
  std::shared_ptr<SequenceScorer> scorer = env ? make_true_dynamics_scorer(*env) : nullptr;
  if (!scorer) {
    const std::string name = ctx.env_spec ? ctx.env_spec->name : std::string("(none)");
    throw node.error("scorer", "scorer 'oracle' needs an env with true batched dynamics; env '" +
                                   name + "' has none (MuJoCo envs: use scorer 'simulator')");
  }
  return scorer;
}

std::shared_ptr<SequenceScorer> make_simulator_scorer(const ConfigNode&, const BuildContext& ctx) {
  return MujocoSimulatorScorer::from_env(ctx.built.env, ctx.thread_pool);
}

}  // namespace

Registry<SequenceScorer>& scorer_registry() {
  static Registry<SequenceScorer> registry("scorers");
  return registry;
}

void register_scorers() {
  auto& r = scorer_registry();
  if (r.contains("model")) return;
  r.add("model", make_model_scorer, "the learned model (`model:` section) in a ModelEnv (PETS)");
  r.add("oracle", make_oracle_scorer, "the env's true batched dynamics (classic control tasks)");
  r.add("simulator", make_simulator_scorer,
        "rollouts of the real MuJoCo simulator, one mjData per thread (MuJoCo MPC)");
}

}  // namespace mbrl

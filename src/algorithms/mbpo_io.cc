// MBPO checkpoints (save/load of the whole loop state) and the `mbpo` config factory.
#include <torch/torch.h>

#include "mbrl/agents/agent_registry.h"
#include "mbrl/algorithms/mbpo.h"
#include "mbrl/config/config_node.h"
#include "mbrl/core/build_context.h"
#include "mbrl/core/check.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/io/checkpoint_archive.h"
#include "mbrl/models/value_gradients.h"

namespace mbrl {
namespace {

using torch::serialize::InputArchive;
using torch::serialize::OutputArchive;

void write_buffer(OutputArchive& archive, const std::string& key, const ReplayBuffer& buffer) {
  checkpoint::write_int(archive, key + "_capacity", buffer.capacity());
  checkpoint::write_nested(archive, key, [&](OutputArchive& a) { buffer.save(a); });
}

std::unique_ptr<ReplayBuffer> read_buffer(InputArchive& archive, const std::string& key,
                                          const EnvSpec& spec) {
  const int64_t capacity = checkpoint::read_int(archive, key + "_capacity");
  auto buffer = std::make_unique<ReplayBuffer>(capacity, spec.obs_dim(), spec.act_dim());
  InputArchive nested = checkpoint::read_nested(archive, key);
  buffer->load(nested, "checkpoint entry '" + key + "'");
  return buffer;
}

}  // namespace

void Mbpo::save_checkpoint(OutputArchive& archive) const {
  checkpoint::write_nested(archive, "episodes", [&](OutputArchive& a) { episodes_.save(a); });
  checkpoint::write_double(archive, "elapsed_s", elapsed_s_);
  checkpoint::write_int(archive, "rollout_length", rollout_length_);
  write_evaluations(archive, "evaluations", evaluations_);
  checkpoint::write_nested(archive, "agent", [&](OutputArchive& a) { agent_->save(a); });
  checkpoint::write_nested(archive, "model", [&](OutputArchive& a) { model_->save(a); });
  checkpoint::write_nested(archive, "trainer", [&](OutputArchive& a) { learner_->save(a); });
  write_buffer(archive, "replay", *replay_);
  if (model_buffer_) write_buffer(archive, "model_buffer", *model_buffer_);
  checkpoint::write_generator(archive, "gen_explore", gens_.explore);
  checkpoint::write_generator(archive, "gen_replay", gens_.replay);
  checkpoint::write_generator(archive, "gen_model", gens_.model);
  checkpoint::write_generator(archive, "gen_rollout", gens_.rollout);
  checkpoint::write_generator(archive, "gen_model_env", gens_.model_env);
  if (up_mpc_) {
    checkpoint::write_int(archive, "coplanner_explore_plans", explore_plans_);
    checkpoint::write_double(archive, "coplanner_explore_uncertainty_sum",
                             explore_uncertainty_sum_);
  }
}

void Mbpo::load_checkpoint(InputArchive& archive) {
  InputArchive episodes = checkpoint::read_nested(archive, "episodes");
  episodes_.load(episodes);
  elapsed_s_ = checkpoint::read_double(archive, "elapsed_s");
  rollout_length_ = checkpoint::read_int(archive, "rollout_length");
  evaluations_ = read_evaluations(archive, "evaluations");
  InputArchive agent = checkpoint::read_nested(archive, "agent");
  agent_->load(agent);
  InputArchive model = checkpoint::read_nested(archive, "model");
  model_->load(model, "checkpoint entry 'model'");
  InputArchive trainer = checkpoint::read_nested(archive, "trainer");
  learner_->load(trainer);
  const EnvSpec& spec = episodes_.env().spec();
  replay_ = read_buffer(archive, "replay", spec);
  InputArchive probe;
  model_buffer_ = archive.try_read("model_buffer", probe)
                      ? read_buffer(archive, "model_buffer", spec)
                      : std::unique_ptr<ReplayBuffer>();
  checkpoint::read_generator(archive, "gen_explore", gens_.explore);
  checkpoint::read_generator(archive, "gen_replay", gens_.replay);
  checkpoint::read_generator(archive, "gen_model", gens_.model);
  checkpoint::read_generator(archive, "gen_rollout", gens_.rollout);
  checkpoint::read_generator(archive, "gen_model_env", gens_.model_env);
  if (up_mpc_) {
    explore_plans_ = checkpoint::read_int(archive, "coplanner_explore_plans");
    explore_uncertainty_sum_ =
        checkpoint::read_double(archive, "coplanner_explore_uncertainty_sum");
  }
}

namespace {

MbpoOptions read_options(const ConfigNode& node) {
  MbpoOptions o;
  MBRL_READ_OPTION(node, o, num_steps);
  MBRL_READ_OPTION(node, o, epoch_length);
  MBRL_READ_OPTION(node, o, initial_random_steps);
  MBRL_READ_OPTION(node, o, model_train_freq);

  // mbrl-lib states the rollout batch per env step of a training interval
  if (node.has("effective_model_rollouts_per_step")) {
    if (node.has("rollout_batch_size")) {
      throw node.error("rollout_batch_size",
                       "give rollout_batch_size or effective_model_rollouts_per_step, not both");
    }
    const auto per_step = node.get<int64_t>("effective_model_rollouts_per_step");
    if (per_step < 1) {
      throw node.error("effective_model_rollouts_per_step",
                       "expected a positive integer, got " + std::to_string(per_step));
    }
    o.rollout_batch_size(per_step * o.model_train_freq());
  } else {
    MBRL_READ_OPTION(node, o, rollout_batch_size);
  }
  o.rollout_schedule(RolloutSchedule::from_vector(
      node.get_or("rollout_schedule", o.rollout_schedule().to_vector())));
  MBRL_READ_OPTION(node, o, rollout_history);
  MBRL_READ_OPTION(node, o, model_retain_epochs);
  MBRL_READ_OPTION(node, o, real_ratio);
  MBRL_READ_OPTION(node, o, sac_updates_per_step);
  MBRL_READ_OPTION(node, o, eval_every);
  MBRL_READ_OPTION(node, o, keep_models);
  MBRL_READ_OPTION(node, o, eval_episodes);
  MBRL_READ_OPTION(node, o, checkpoint_every);
  MBRL_READ_OPTION(node, o, replay_capacity);
  MBRL_READ_OPTION(node, o, rollout_uncertainty);
  if (node.has("coplanner")) o.coplanner(coplanner_options_from_config(node.section("coplanner")));
  return o;
}

}  // namespace

std::shared_ptr<Algorithm> make_mbpo(const ConfigNode& node, const BuildContext& ctx,
                                     const ConfigNode& agent_node) {
  MbpoOptions o = read_options(node);
  const ConfigNode training = node.section("model_training");
  const auto& env = ctx.built.env;
  const auto& maker = ctx.built.env_maker;
  MBRL_ASSERT(env && maker, "algorithm 'mbpo' built before the env");
  auto agent = make_policy_learner(agent_node, ctx, "mbpo");
  const auto& model = ctx.built.model;
  if (!model) throw node.error("algorithm 'mbpo' needs a 'model' section");
  if (!model->learns_reward())
    throw node.error("algorithm 'mbpo' needs a model with learn_reward: true");
  auto learner =
      model_learner_registry().create(training, model, o.model_training(), ctx.data_parallel);
  if (learner->needs_value_gradients()) {
    auto values = std::dynamic_pointer_cast<ValueGradientSource>(agent);
    if (!values) {
      throw node.error("the model's loss 'vagram' needs the value functions of the agent; agent '" +
                       agent_node.get<std::string>("type") + "' has none (use sac)");
    }
    learner->set_value_gradient_source(std::move(values));
  }
  if (o.rollout_uncertainty() && !uncertainty_aware(*model)) {
    throw node.error("rollout_uncertainty", "model '" + model->type() +
                                                "' reports no uncertainty; set "
                                                "rollout_uncertainty: false");
  }
  if (o.coplanner() && !uncertainty_aware(*model)) {
    throw node.error("coplanner", "UP-MPC plans with the disagreement of an ensemble; model '" +
                                      model->type() + "' reports no uncertainty");
  }
  MbpoGenerators gens{ctx.cpu_generator("initial_random"), ctx.cpu_generator("replay"),
                      ctx.cpu_generator("model_training"), ctx.cpu_generator("rollout_starts"),
                      ctx.generator("model_env")};
  return std::make_shared<Mbpo>(
      o, env, maker->make("eval"), agent, model, learner, env->task_functions(), std::move(gens),
      derive_seed(ctx.seed, "train_episodes"), derive_seed(ctx.seed, "eval"));
}

}  // namespace mbrl

// make_dreamer_agent: a DreamerAgent from the `agent:` section of a config.
#include <torch/torch.h>

#include "mbrl/agents/dreamer/dreamer_agent.h"
#include "mbrl/config/config_node.h"
#include "mbrl/core/build_context.h"
#include "mbrl/models/sequence/sequence_backbone.h"

namespace mbrl {
namespace {

WorldModelOptions world_model_options(const ConfigNode& node, const EnvSpec& env) {
  WorldModelOptions o(env.obs_dim(), env.act_dim());
  MBRL_READ_OPTION(node, o, latents);
  MBRL_READ_OPTION(node, o, classes);
  MBRL_READ_OPTION(node, o, units);
  MBRL_READ_OPTION(node, o, layers);
  MBRL_READ_OPTION(node, o, unimix);
  MBRL_READ_OPTION(node, o, free_nats);
  MBRL_READ_OPTION(node, o, dyn_scale);
  MBRL_READ_OPTION(node, o, rep_scale);
  MBRL_READ_OPTION(node, o, reward_bins);
  MBRL_READ_OPTION(node, o, posterior);
  return o;
}

WorldModelOptimizerOptions world_model_optimizer(const ConfigNode& node) {
  WorldModelOptimizerOptions o;
  MBRL_READ_OPTION(node, o, lr);
  MBRL_READ_OPTION(node, o, adam_eps);
  MBRL_READ_OPTION(node, o, grad_clip);
  return o;
}

ImaginationActorCriticOptions actor_critic_options(const ConfigNode& node, int64_t feature_size,
                                                   const EnvSpec& env) {
  ImaginationActorCriticOptions o(feature_size, env.act_dim());
  o.discrete_actions(env.discrete_actions);
  MBRL_READ_OPTION(node, o, units);
  MBRL_READ_OPTION(node, o, layers);
  MBRL_READ_OPTION(node, o, horizon);
  MBRL_READ_OPTION(node, o, gamma);
  MBRL_READ_OPTION(node, o, lambda);
  MBRL_READ_OPTION(node, o, entropy_scale);
  MBRL_READ_OPTION(node, o, slow_rate);
  MBRL_READ_OPTION(node, o, slow_reg);
  MBRL_READ_OPTION(node, o, actor_lr);
  MBRL_READ_OPTION(node, o, critic_lr);
  MBRL_READ_OPTION(node, o, adam_eps);
  MBRL_READ_OPTION(node, o, grad_clip);
  MBRL_READ_OPTION(node, o, min_std);
  MBRL_READ_OPTION(node, o, max_std);
  MBRL_READ_OPTION(node, o, critic_bins);
  MBRL_READ_OPTION(node, o, unimix);
  return o;
}

LatentDisagreementOptions disagreement_options(const ConfigNode& node, int64_t feature_size,
                                               int64_t act_dim, int64_t target_size) {
  LatentDisagreementOptions o(feature_size, act_dim, target_size);
  MBRL_READ_OPTION(node, o, heads);
  MBRL_READ_OPTION(node, o, units);
  MBRL_READ_OPTION(node, o, layers);
  MBRL_READ_OPTION(node, o, lr);
  MBRL_READ_OPTION(node, o, adam_eps);
  MBRL_READ_OPTION(node, o, grad_clip);
  return o;
}

}  // namespace

std::shared_ptr<DreamerAgent> make_dreamer_agent(const ConfigNode& node, const BuildContext& ctx) {
  const EnvSpec& env = ctx.env();
  const Box& box = env.action_space;
  if (!torch::isfinite(box.low).all().item<bool>() ||
      !torch::isfinite(box.high).all().item<bool>()) {
    throw node.error("type", "agent 'dreamer' needs an env with a finite action box");
  }
  if (!node.has("backbone")) {
    throw node.error(
        "agent 'dreamer' needs a 'backbone' section (type: gru, transformer, s4d or mamba)");
  }
  const ConfigNode wm_node = node.section("world_model");
  const WorldModelOptions wm_options =
      with_config_context(wm_node, [&] { return world_model_options(wm_node, env); });
  auto backbone = backbone_registry().create(
      node.child("backbone"), ctx, wm_options.latents() * wm_options.classes() + env.act_dim());
  auto world_model = with_config_context(wm_node, [&] {
    return std::make_shared<WorldModel>(wm_options, std::move(backbone),
                                        ctx.generator("dreamer_latents"));
  });
  world_model->to(ctx.device);
  const WorldModelOptimizerOptions optimizer = world_model_optimizer(wm_node);

  const ConfigNode ac_node = node.section("actor_critic");
  auto actor_critic = with_config_context(ac_node, [&] {
    return std::make_shared<ImaginationActorCritic>(
        actor_critic_options(ac_node, world_model->feature_size(), env),
        ctx.generator("dreamer_imagination"));
  });
  actor_critic->to(ctx.device);
  auto agent = with_config_context(wm_node, [&] {
    return std::make_shared<DreamerAgent>(world_model, actor_critic, env.action_space, optimizer,
                                          ctx.generator("agent"));
  });
  if (node.has("coplanner")) {
    const ConfigNode cop = node.section("coplanner");
    const CoplannerOptions options = coplanner_options_from_config(cop);
    const ConfigNode d = cop.section("disagreement");
    auto disagreement = with_config_context(d, [&] {
      return std::make_shared<LatentDisagreement>(
          disagreement_options(d, world_model->feature_size(), env.act_dim(),
                               wm_options.latents() * wm_options.classes()));
    });
    disagreement->to(ctx.device);
    with_config_context(cop, [&] { agent->enable_coplanner(disagreement, options); });
  }
  return agent;
}

}  // namespace mbrl

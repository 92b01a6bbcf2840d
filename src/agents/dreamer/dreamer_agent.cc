// DreamerAgent.
#include "mbrl/agents/dreamer/dreamer_agent.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/core/error.h"
#include "mbrl/io/checkpoint_archive.h"

namespace mbrl {

DreamerAgent::DreamerAgent(std::shared_ptr<WorldModel> world_model,
                           std::shared_ptr<ImaginationActorCritic> actor_critic, Box action_space,
                           WorldModelOptimizerOptions optimizer, at::Generator gen)
    : world_model_(std::move(world_model)),
      actor_critic_(std::move(actor_critic)),
      action_space_(std::move(action_space)),
      optimizer_options_(optimizer),
      gen_(std::move(gen)),
      device_(world_model_ ? world_model_->parameters().front().device() : c10::Device(c10::kCPU)) {
  MBRL_CHECK(world_model_ && actor_critic_, "DreamerAgent: a world model and an actor-critic");
  MBRL_CHECK(actor_critic_->options().feature_size() == world_model_->feature_size() &&
                 actor_critic_->options().act_dim() == world_model_->options().act_dim() &&
                 action_space_.dim() == world_model_->options().act_dim(),
             "DreamerAgent: the actor-critic, world model and action space disagree in size");
  MBRL_CHECK_ARG(optimizer.lr() > 0, "lr", "expected a number > 0, got ", optimizer.lr());
  MBRL_CHECK_ARG(optimizer.adam_eps() > 0, "adam_eps", "expected a number > 0, got ",
                 optimizer.adam_eps());
  MBRL_CHECK_ARG(optimizer.grad_clip() > 0, "grad_clip", "expected a number > 0, got ",
                 optimizer.grad_clip());
  optimizer_ = std::make_unique<torch::optim::Adam>(
      world_model_->parameters(),
      torch::optim::AdamOptions(optimizer.lr()).eps(optimizer.adam_eps()));
  metric_names_ = {"model_loss", "recon_loss",  "reward_loss", "cont_loss", "kl",
                   "actor_loss", "critic_loss", "imag_return", "entropy",   "return_scale"};
  reset();
}

void DreamerAgent::enable_coplanner(std::shared_ptr<LatentDisagreement> disagreement,
                                    CoplannerOptions options) {
  MBRL_CHECK(disagreement != nullptr, "DreamerAgent::enable_coplanner: no disagreement model");
  const auto& d = disagreement->options();
  const auto& w = world_model_->options();
  MBRL_CHECK(d.feature_size() == world_model_->feature_size() && d.act_dim() == w.act_dim() &&
                 d.target_size() == w.latents() * w.classes(),
             "DreamerAgent::enable_coplanner: the disagreement model does not fit the world model");
  MBRL_CHECK(!coplanner_, "DreamerAgent::enable_coplanner: already enabled");
  check_up_mpc_options(options.planner());
  disagreement_ = std::move(disagreement);
  if (options.conservative_rollouts())
    actor_critic_->plan_imagination(disagreement_, options.planner(),
                                    options.conservative_weight());
  if (options.optimistic_exploration()) explore_planner_.emplace(options.planner());
  coplanner_ = options;
  metric_names_.insert(metric_names_.end(), {"disag_loss", "imag_plan_uncertainty"});
}

DreamerAgent::~DreamerAgent() = default;

void DreamerAgent::reset() {
  state_ = world_model_->initial_state(1, device_);
  prev_act_ = torch::zeros({world_model_->options().act_dim()}, torch::device(device_));
  first_ = true;
}

void DreamerAgent::restore(Memory memory) {
  MBRL_CHECK(memory.prev_act.defined() && memory.state.h.defined(),
             "DreamerAgent::restore: an empty memory");
  state_ = std::move(memory.state);
  prev_act_ = std::move(memory.prev_act);
  first_ = memory.first;
}

at::Tensor DreamerAgent::normalize(const at::Tensor& action) const {
  if (discrete()) return action;
  return (action - action_space_.low) / (action_space_.high - action_space_.low) * 2.0 - 1.0;
}

at::Tensor DreamerAgent::act(const at::Tensor& obs, ActMode mode) {
  torch::NoGradGuard no_grad;
  const at::Tensor first = torch::full({1}, first_, torch::device(device_).dtype(torch::kBool));
  state_ = world_model_->observe_step(state_, obs.to(device_, torch::kFloat32).reshape({1, -1}),
                                      prev_act_.unsqueeze(0), first);
  const at::Tensor features = world_model_->features(state_);
  at::Tensor a;
  if (mode == ActMode::kExplore && explore_planner_) {
    // COPlanner's optimistic exploration: K draws of the actor, the one UP-MPC prefers
    const at::Tensor candidates =
        actor_critic_->policy(features.repeat({explore_planner_->options().candidates(), 1}))
            .rsample(gen_);
    const LatentPlan plan = explore_planner_->plan(
        *world_model_, *disagreement_, state_, candidates,
        [this](const at::Tensor& f) { return actor_critic_->policy(f).rsample(gen_); },
        coplanner_->optimistic_weight());
    a = candidates.index_select(0, plan.rows);
  } else {
    const ActorDistribution pi = actor_critic_->policy(features);
    a = mode == ActMode::kExplore ? pi.rsample(gen_) : pi.mode();
  }
  prev_act_ = a.squeeze(0).clamp(-1.0, 1.0);
  first_ = false;
  if (discrete()) return prev_act_.to(torch::kCPU);  // one-hot, as the env takes it
  const at::Tensor a01 = (prev_act_.to(torch::kCPU) + 1.0) / 2.0;
  return action_space_.low + a01 * (action_space_.high - action_space_.low);
}

std::vector<double> DreamerAgent::train(const StepBatch& replayed) {
  const StepBatch steps = replayed.to(device_);
  Observation observed;
  const WorldModelLosses l = world_model_->loss(steps, &observed);
  // the world model's metrics in one transfer (one device sync), before the step
  const at::Tensor logged = torch::stack({l.total.detach(), l.recon.detach(), l.reward.detach(),
                                          l.cont.detach(), l.kl.detach()})
                                .to(torch::kCPU, torch::kFloat64);
  std::vector<double> metrics(logged.data_ptr<double>(), logged.data_ptr<double>() + 5);
  if (!std::isfinite(metrics[0])) throw NonFiniteError("dreamer: non-finite world-model loss");
  optimizer_->zero_grad();
  l.total.backward();
  torch::nn::utils::clip_grad_norm_(world_model_->parameters(), optimizer_options_.grad_clip());
  optimizer_->step();

  // COPlanner's disagreement on the chunk's posterior transitions t -> t + 1
  double disag_loss = 0;
  if (disagreement_) {
    const int64_t t = steps.length();
    disag_loss = disagreement_->train(observed.features, steps.prev_act.narrow(0, 1, t - 1),
                                      steps.is_first.narrow(0, 1, t - 1).logical_not());
  }

  const at::Tensor cont = steps.is_terminal.logical_not().to(torch::kFloat32).flatten();
  const ImaginationMetrics m = actor_critic_->train(*world_model_, observed.every, cont);
  metrics.insert(metrics.end(),
                 {m.actor_loss, m.critic_loss, m.imagined_return, m.entropy, m.return_scale});
  if (disagreement_) metrics.insert(metrics.end(), {disag_loss, m.planned_uncertainty});
  return metrics;
}

void DreamerAgent::save(torch::serialize::OutputArchive& archive) const {
  using torch::serialize::OutputArchive;
  checkpoint::write_nested(archive, "world_model",
                           [&](OutputArchive& a) { world_model_->save(a); });
  checkpoint::write_nested(archive, "actor_critic",
                           [&](OutputArchive& a) { actor_critic_->save(a); });
  checkpoint::write_nested(archive, "actor_critic_training",
                           [&](OutputArchive& a) { actor_critic_->save_training_state(a); });
  checkpoint::write_nested(archive, "world_model_optimizer",
                           [&](OutputArchive& a) { optimizer_->save(a); });
  checkpoint::write_generator(archive, "gen_act", gen_);
  checkpoint::write_generator(archive, "gen_latents", world_model_->generator());
  if (disagreement_) {
    checkpoint::write_nested(archive, "disagreement",
                             [&](OutputArchive& a) { disagreement_->save(a); });
    checkpoint::write_nested(archive, "disagreement_training",
                             [&](OutputArchive& a) { disagreement_->save_training_state(a); });
  }
}

void DreamerAgent::load(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive wm = checkpoint::read_nested(archive, "world_model");
  world_model_->load(wm);
  torch::serialize::InputArchive ac = checkpoint::read_nested(archive, "actor_critic");
  actor_critic_->load(ac);
  torch::serialize::InputArchive training =
      checkpoint::read_nested(archive, "actor_critic_training");
  actor_critic_->load_training_state(training);
  torch::serialize::InputArchive opt = checkpoint::read_nested(archive, "world_model_optimizer");
  optimizer_->load(opt);
  checkpoint::read_generator(archive, "gen_act", gen_);
  checkpoint::read_generator(archive, "gen_latents", world_model_->generator());
  if (disagreement_) {
    torch::serialize::InputArchive d = checkpoint::read_nested(archive, "disagreement");
    disagreement_->load(d);
    torch::serialize::InputArchive dt = checkpoint::read_nested(archive, "disagreement_training");
    disagreement_->load_training_state(dt);
  }
  reset();
}

}  // namespace mbrl

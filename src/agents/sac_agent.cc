// SacAgent: acting, the three SAC losses, target updates and exact save/load.
#include "mbrl/agents/sac_agent.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include <torch/torch.h>

#include "mbrl/agents/agent_registry.h"
#include "mbrl/config/config_node.h"
#include "mbrl/core/build_context.h"
#include "mbrl/core/check.h"
#include "mbrl/nn/frozen_scope.h"

namespace mbrl {
namespace {

// a non-finite loss stops training before the optimizer applies it
void check_finite(double value, const char* what, int64_t update) {
  if (!std::isfinite(value)) {
    throw NonFiniteError(
        detail::str("sac: non-finite ", what, " loss at update ", update, " (", value, ")"));
  }
}

void check_options(const SacOptions& o) {
  auto positive_int = [](int64_t v, const char* key) {
    MBRL_CHECK_ARG(v >= 1, key, "expected a positive integer, got ", v);
  };
  auto positive = [](double v, const char* key) {
    MBRL_CHECK_ARG(v > 0 && std::isfinite(v), key, "expected a positive number, got ", v);
  };
  positive_int(o.hidden_size(), "hidden_size");
  positive_int(o.num_layers(), "num_layers");
  positive_int(o.num_critics(), "num_critics");
  positive_int(o.target_update_interval(), "target_update_interval");
  positive_int(o.batch_size(), "batch_size");
  positive(o.actor_lr(), "actor_lr");
  positive(o.critic_lr(), "critic_lr");
  positive(o.alpha_lr(), "alpha_lr");
  positive(o.alpha(), "alpha");
  MBRL_CHECK_ARG(o.actor_lr_cosine_epochs() >= 0, "actor_lr_cosine_epochs",
                 "expected an integer >= 0 (0: a constant actor_lr), got ",
                 o.actor_lr_cosine_epochs());
  positive_int(o.actor_lr_epoch_updates(), "actor_lr_epoch_updates");
  MBRL_CHECK_ARG(o.gamma() >= 0 && o.gamma() <= 1, "gamma", "expected a number in [0, 1], got ",
                 o.gamma());
  MBRL_CHECK_ARG(o.tau() > 0 && o.tau() <= 1, "tau", "expected a number in (0, 1], got ", o.tau());
  MBRL_CHECK_ARG(!o.target_entropy() || std::isfinite(*o.target_entropy()), "target_entropy",
                 "expected a finite number or auto, got ", *o.target_entropy());
  MBRL_CHECK_ARG(o.critic_diversity() >= 0 && std::isfinite(o.critic_diversity()),
                 "critic_diversity", "expected a finite number >= 0, got ", o.critic_diversity());
  MBRL_CHECK_ARG(o.critic_diversity() == 0 || o.num_critics() >= 2, "critic_diversity",
                 "needs num_critics >= 2 (it compares the critics), got num_critics ",
                 o.num_critics());
}

}  // namespace

SacAgent::SacAgent(SacOptions options, const EnvSpec& spec, at::Generator gen, c10::Device device)
    : options_(options),
      obs_dim_(spec.obs_dim()),
      act_dim_(spec.act_dim()),
      device_(device),
      gen_(std::move(gen)) {
  check_options(options_);
  MBRL_CHECK(obs_dim_ >= 1 && act_dim_ >= 1, "SacAgent: the env has no observation or action");
  const Box& box = spec.action_space;
  MBRL_CHECK(
      torch::isfinite(box.low).all().item<bool>() && torch::isfinite(box.high).all().item<bool>(),
      "SacAgent needs finite action bounds");
  MBRL_CHECK(gen_.device().type() == device_.type(), "SacAgent: the generator is on ",
             gen_.device(), ", the agent on ", device_);
  target_entropy_ = options_.target_entropy().value_or(-static_cast<double>(act_dim_));
  act_scale_ = ((box.high - box.low) / 2).to(device_, torch::kFloat32);
  act_bias_ = ((box.high + box.low) / 2).to(device_, torch::kFloat32);

  // networks, initialised from the agent's own generator
  policy_ = SquashedGaussianPolicy(SquashedGaussianPolicyOptions(obs_dim_, act_dim_)
                                       .hidden_size(options_.hidden_size())
                                       .num_layers(options_.num_layers()));
  critic_ = QEnsemble(QEnsembleOptions(obs_dim_, act_dim_)
                          .num_critics(options_.num_critics())
                          .hidden_size(options_.hidden_size())
                          .num_layers(options_.num_layers()));
  policy_->to(device_);
  critic_->to(device_);
  policy_->reset_parameters(gen_);
  critic_->reset_parameters(gen_);
  target_critic_ = QEnsemble(std::dynamic_pointer_cast<QEnsembleImpl>(critic_->clone()));
  set_requires_grad(*target_critic_, false);

  log_alpha_ = torch::full({1}, std::log(options_.alpha()),
                           torch::TensorOptions().dtype(torch::kFloat32).device(device_))
                   .requires_grad_(true);
  using torch::optim::Adam;
  using torch::optim::AdamOptions;
  actor_optim_ = std::make_unique<Adam>(policy_->parameters(), AdamOptions(options_.actor_lr()));
  critic_optim_ = std::make_unique<Adam>(critic_->parameters(), AdamOptions(options_.critic_lr()));
  alpha_optim_ =
      std::make_unique<Adam>(std::vector<at::Tensor>{log_alpha_}, AdamOptions(options_.alpha_lr()));
}

SacAgent::~SacAgent() = default;

double SacAgent::alpha() const { return std::exp(log_alpha_.item<double>()); }

at::Tensor SacAgent::normalize_action(const at::Tensor& act) const {
  return ((act.to(device_, torch::kFloat32) - act_bias_) / act_scale_).clamp(-1.0, 1.0);
}

at::Tensor SacAgent::denormalize_action(const at::Tensor& act) const {
  return act_bias_ + act_scale_ * act.clamp(-1.0, 1.0);
}

at::Tensor SacAgent::act(const at::Tensor& obs, ActMode mode) {
  MBRL_CHECK_SHAPE(obs, {obs_dim_}, "obs");
  return act_batch(obs.unsqueeze(0), mode == ActMode::kEval).squeeze(0).to(torch::kCPU);
}

at::Tensor SacAgent::value_gradients(const at::Tensor& obs) {
  MBRL_CHECK_SHAPE(obs, {-1, obs_dim_}, "obs");
  at::Tensor action;
  {
    torch::NoGradGuard no_grad;
    action = policy_->mean_action(obs.to(device_, torch::kFloat32));
  }
  torch::AutoGradMode grad_on(true);
  at::Tensor s = obs.to(device_, torch::kFloat32).detach().requires_grad_(true);
  FrozenScope critics(*critic_), targets(*target_critic_);
  const at::Tensor values =
      torch::cat({critic_->forward(s, action), target_critic_->forward(s, action)});
  std::vector<at::Tensor> grads;
  for (int64_t i = 0; i < values.size(0); ++i) {
    // V_i of row b depends on row b only: the gradient of the sum is every row's own gradient
    grads.push_back(torch::autograd::grad({values[i].sum()}, {s},
                                          /*grad_outputs=*/{},
                                          /*retain_graph=*/i + 1 < values.size(0))[0]);
  }
  return torch::stack(grads).to(obs.device());
}

at::Tensor SacAgent::act_batch(const at::Tensor& obs, bool deterministic) {
  MBRL_CHECK_SHAPE(obs, {-1, obs_dim_}, "obs");
  torch::NoGradGuard no_grad;
  auto x = obs.to(device_, torch::kFloat32);
  auto a = deterministic ? policy_->mean_action(x) : policy_->sample(x, gen_).action;
  return denormalize_action(a).to(obs.device());
}

at::Tensor SacAgent::critic_loss(const TransitionBatch& batch, const at::Tensor& alpha,
                                 SacUpdateMetrics& metrics) {
  // soft TD target r + gamma V(s') with V = min_n Q_n - alpha log pi; only `terminated` stops
  // bootstrapping, a time-limit truncation does not
  at::Tensor target;
  {
    torch::NoGradGuard no_grad;
    auto next = policy_->sample(batch.next_obs, gen_);
    auto next_v = target_critic_->min_q(batch.next_obs, next.action);
    if (!options_.deterministic_backup()) next_v = next_v - alpha * next.log_prob;
    auto not_done = 1.0 - batch.terminated.to(torch::kFloat32);
    target = batch.reward + options_.gamma() * not_done * next_v;
  }
  const double eta = options_.critic_diversity();
  at::Tensor act = normalize_action(batch.act);
  if (eta > 0) {  // one action copy per critic, so each critic's action gradient is its own
    const int64_t n = options_.num_critics();
    act = act.unsqueeze(0).expand({n, act.size(0), act.size(1)}).clone().requires_grad_(true);
  }
  auto q = critic_->forward(batch.obs, act);  // [N, B]
  metrics.q_mean = q.detach().mean().item<double>();
  at::Tensor loss = (q - target.unsqueeze(0)).pow(2).mean(1).sum();
  if (eta > 0) {
    // EDAC's ES: pairwise cosine similarities of the critics' action gradients, i != j
    const int64_t n = options_.num_critics();
    auto grad = torch::autograd::grad({q.sum()}, {act}, {}, /*retain_graph=*/true,
                                      /*create_graph=*/true)[0];  // [N, B, act_dim]
    auto unit = grad / (grad.norm(2, -1, /*keepdim=*/true) + 1e-10);
    auto cosines = torch::einsum("nbk,mbk->bnm", {unit, unit});  // [B, N, N]
    auto off_diagonal = cosines.sum({1, 2}) - cosines.diagonal(0, 1, 2).sum(-1);
    auto similarity = off_diagonal.mean() / static_cast<double>(n - 1);
    metrics.critic_similarity = similarity.item<double>();
    loss = loss + eta * similarity;
  }
  return loss;
}

void SacAgent::step_actor_and_alpha(const at::Tensor& obs, const at::Tensor& alpha,
                                    SacUpdateMetrics& m) {
  const int64_t n = num_updates_ + 1;

  // actor (J_pi): the critics are constants here, so their gradients are not computed
  PolicySample pi;
  {
    FrozenScope frozen(*critic_);
    pi = policy_->sample(obs, gen_);
    auto actor_loss = (alpha * pi.log_prob - critic_->min_q(obs, pi.action)).mean();
    m.actor_loss = actor_loss.item<double>();
    check_finite(m.actor_loss, "actor", n);
    actor_optim_->zero_grad();
    actor_loss.backward();
    if (options_.actor_lr_cosine_epochs() > 0) {
      for (auto& group : actor_optim_->param_groups())
        static_cast<torch::optim::AdamOptions&>(group.options()).lr(actor_lr());
    }
    actor_optim_->step();
  }
  auto log_prob = pi.log_prob.detach();
  m.entropy = -log_prob.mean().item<double>();

  // temperature (J(alpha)), on log alpha for positivity
  if (options_.automatic_entropy_tuning()) {
    auto alpha_loss = -(log_alpha_ * (log_prob + target_entropy_)).mean();
    m.alpha_loss = alpha_loss.item<double>();
    check_finite(m.alpha_loss, "alpha", n);
    alpha_optim_->zero_grad();
    alpha_loss.backward();
    alpha_optim_->step();
  }
}

double SacAgent::actor_lr() const {
  const int64_t epochs = options_.actor_lr_cosine_epochs();
  if (epochs == 0) return options_.actor_lr();
  const int64_t epoch = num_updates_ / options_.actor_lr_epoch_updates();
  return options_.actor_lr() * 0.5 *
         (1.0 + std::cos(M_PI * static_cast<double>(epoch) / static_cast<double>(epochs)));
}

const std::vector<std::string>& SacAgent::metric_names() const {
  static const std::vector<std::string> names{"critic_loss", "actor_loss", "alpha", "entropy",
                                              "q_mean"};
  static const std::vector<std::string> with_similarity{
      "critic_loss", "actor_loss", "alpha", "entropy", "q_mean", "critic_similarity"};
  return options_.critic_diversity() > 0 ? with_similarity : names;
}

UpdateMetrics SacAgent::update(const TransitionBatch& batch) {
  const SacUpdateMetrics m = update_sac(batch);
  if (options_.critic_diversity() > 0)
    return {m.critic_loss, m.actor_loss, m.alpha, m.entropy, m.q_mean, m.critic_similarity};
  return {m.critic_loss, m.actor_loss, m.alpha, m.entropy, m.q_mean};
}

SacUpdateMetrics SacAgent::update_sac(const TransitionBatch& raw) {
  raw.check(obs_dim_, act_dim_);
  MBRL_CHECK(raw.size() > 0, "sac: update on an empty batch");
  TransitionBatch batch = raw.to(device_);
  batch.obs = batch.obs.to(torch::kFloat32);
  batch.next_obs = batch.next_obs.to(torch::kFloat32);
  batch.reward = batch.reward.to(torch::kFloat32);
  SacUpdateMetrics m;
  const at::Tensor alpha = log_alpha_.detach().exp();
  m.alpha = alpha.item<double>();

  // critics (J_Q)
  auto loss = critic_loss(batch, alpha, m);
  m.critic_loss = loss.item<double>();
  check_finite(m.critic_loss, "critic", num_updates_ + 1);
  critic_optim_->zero_grad();
  loss.backward();
  critic_optim_->step();

  step_actor_and_alpha(batch.obs, alpha, m);
  ++num_updates_;
  if (num_updates_ % options_.target_update_interval() == 0) update_targets();
  return m;
}

void SacAgent::update_targets() {
  // Polyak averaging: target <- (1 - tau) target + tau online
  torch::NoGradGuard no_grad;
  auto online = critic_->parameters();
  auto target = target_critic_->parameters();
  const double tau = options_.tau();
  for (size_t i = 0; i < online.size(); ++i) target[i].mul_(1.0 - tau).add_(online[i], tau);
}

namespace {

// dims that must match between a checkpoint and the agent loading it
at::Tensor shape_signature(int64_t obs_dim, int64_t act_dim, const SacOptions& o) {
  return torch::tensor({obs_dim, act_dim, o.hidden_size(), o.num_layers(), o.num_critics()},
                       torch::kInt64);
}

std::string describe_signature(const at::Tensor& s) {
  if (s.numel() != 5) return "an unknown layout";
  const int64_t* v = s.data_ptr<int64_t>();
  return detail::str("obs_dim ", v[0], ", act_dim ", v[1], ", hidden_size ", v[2], ", num_layers ",
                     v[3], ", num_critics ", v[4]);
}

}  // namespace

void SacAgent::save(torch::serialize::OutputArchive& archive) const {
  archive.write("shape", shape_signature(obs_dim_, act_dim_, options_));
  auto nested = [&](const char* key, const auto& saver) {
    torch::serialize::OutputArchive sub(archive.compilation_unit());
    saver(sub);
    archive.write(key, sub);
  };
  nested("policy", [&](auto& a) { policy_->save(a); });
  nested("critic", [&](auto& a) { critic_->save(a); });
  nested("target_critic", [&](auto& a) { target_critic_->save(a); });
  nested("actor_optimizer", [&](auto& a) { actor_optim_->save(a); });
  nested("critic_optimizer", [&](auto& a) { critic_optim_->save(a); });
  nested("alpha_optimizer", [&](auto& a) { alpha_optim_->save(a); });
  archive.write("log_alpha", log_alpha_.detach().clone());
  archive.write("num_updates", torch::tensor(num_updates_, torch::kInt64));
  archive.write("generator_state", gen_.get_state());
}

void SacAgent::load(torch::serialize::InputArchive& archive) {
  at::Tensor shape;
  archive.read("shape", shape);
  auto expected = shape_signature(obs_dim_, act_dim_, options_);
  shape = shape.to(torch::kCPU, torch::kInt64).contiguous();
  if (!shape.sizes().equals(expected.sizes()) || !shape.equal(expected)) {
    throw DataError("sac: the checkpoint was saved for " + describe_signature(shape) +
                    "; this agent has " + describe_signature(expected));
  }
  auto nested = [&](const char* key, const auto& loader) {
    torch::serialize::InputArchive sub;
    archive.read(key, sub);
    loader(sub);
  };
  nested("policy", [&](auto& a) { policy_->load(a); });
  nested("critic", [&](auto& a) { critic_->load(a); });
  nested("target_critic", [&](auto& a) { target_critic_->load(a); });
  nested("actor_optimizer", [&](auto& a) { actor_optim_->load(a); });
  nested("critic_optimizer", [&](auto& a) { critic_optim_->load(a); });
  nested("alpha_optimizer", [&](auto& a) { alpha_optim_->load(a); });
  at::Tensor log_alpha, num_updates, gen_state;
  archive.read("log_alpha", log_alpha);
  archive.read("num_updates", num_updates);
  archive.read("generator_state", gen_state);
  {
    torch::NoGradGuard no_grad;
    log_alpha_.copy_(log_alpha);
  }
  num_updates_ = num_updates.item<int64_t>();
  gen_.set_state(gen_state.to(torch::kCPU));
}

SacOptions sac_options_from_config(const ConfigNode& node) {
  SacOptions o;
  MBRL_READ_OPTION(node, o, hidden_size);
  MBRL_READ_OPTION(node, o, num_layers);
  MBRL_READ_OPTION(node, o, num_critics);
  MBRL_READ_OPTION(node, o, actor_lr);
  MBRL_READ_OPTION(node, o, critic_lr);
  MBRL_READ_OPTION(node, o, alpha_lr);
  MBRL_READ_OPTION(node, o, actor_lr_cosine_epochs);
  MBRL_READ_OPTION(node, o, actor_lr_epoch_updates);
  MBRL_READ_OPTION(node, o, gamma);
  MBRL_READ_OPTION(node, o, tau);
  MBRL_READ_OPTION(node, o, target_update_interval);
  MBRL_READ_OPTION(node, o, alpha);
  MBRL_READ_OPTION(node, o, automatic_entropy_tuning);
  MBRL_READ_OPTION(node, o, batch_size);
  MBRL_READ_OPTION(node, o, critic_diversity);
  MBRL_READ_OPTION(node, o, deterministic_backup);

  // a number, or `auto` for -act_dim
  const std::string entropy = node.get_or<std::string>("target_entropy", "auto");
  if (entropy != "auto") {
    char* end = nullptr;
    const double v = std::strtod(entropy.c_str(), &end);
    if (entropy.empty() || *end != '\0') {
      throw node.error("target_entropy", "expected a number or auto, got '" + entropy + "'");
    }
    o.target_entropy(v);
  }
  return o;
}

std::shared_ptr<SacAgent> make_sac_agent(const ConfigNode& node, const BuildContext& ctx) {
  require_continuous_actions(node, ctx);
  return std::make_shared<SacAgent>(sac_options_from_config(node), ctx.env(),
                                    ctx.generator("agent"), ctx.device);
}

}  // namespace mbrl

// ImaginationActorCritic.
#include "mbrl/agents/dreamer/imagination_actor_critic.h"

#include <string>

#include <torch/torch.h>

#include "mbrl/agents/dreamer/actor_loss.h"
#include "mbrl/agents/dreamer/lambda_return.h"
#include "mbrl/core/check.h"
#include "mbrl/core/error.h"
#include "mbrl/io/checkpoint_archive.h"
#include "mbrl/nn/frozen_scope.h"

namespace mbrl {
namespace {

// the critic's bins, checked before TwoHotBins is built (its own check names no config key)
int64_t checked_bins(int64_t bins) {
  MBRL_CHECK_ARG(bins >= 2, "critic_bins", "expected an integer >= 2, got ", bins);
  return bins;
}

void check_positive_number(double value, const char* key) {
  MBRL_CHECK_ARG(value > 0, key, "expected a number > 0, got ", value);
}

}  // namespace

ImaginationActorCritic::ImaginationActorCritic(ImaginationActorCriticOptions options,
                                               at::Generator gen)
    : options_(options), gen_(std::move(gen)), bins_(checked_bins(options.critic_bins())) {
  const auto& o = options_;
  MBRL_CHECK_ARG(o.feature_size() >= 1 && o.act_dim() >= 1, "actor_critic",
                 "expected feature_size and act_dim >= 1, got ", o.feature_size(), " and ",
                 o.act_dim());
  MBRL_CHECK_ARG(o.horizon() >= 1, "horizon", "expected an integer >= 1, got ", o.horizon());
  MBRL_CHECK_ARG(o.gamma() > 0 && o.gamma() <= 1, "gamma", "expected a number in (0, 1], got ",
                 o.gamma());
  MBRL_CHECK_ARG(o.lambda() >= 0 && o.lambda() <= 1, "lambda", "expected a number in [0, 1], got ",
                 o.lambda());
  MBRL_CHECK_ARG(o.slow_rate() > 0 && o.slow_rate() <= 1, "slow_rate",
                 "expected a number in (0, 1], got ", o.slow_rate());
  MBRL_CHECK_ARG(o.units() >= 1, "units", "expected an integer >= 1, got ", o.units());
  MBRL_CHECK_ARG(o.layers() >= 1, "layers", "expected an integer >= 1, got ", o.layers());
  MBRL_CHECK_ARG(o.entropy_scale() >= 0, "entropy_scale", "expected a number >= 0, got ",
                 o.entropy_scale());
  MBRL_CHECK_ARG(o.slow_reg() >= 0, "slow_reg", "expected a number >= 0, got ", o.slow_reg());
  check_positive_number(o.actor_lr(), "actor_lr");
  check_positive_number(o.critic_lr(), "critic_lr");
  check_positive_number(o.adam_eps(), "adam_eps");
  check_positive_number(o.grad_clip(), "grad_clip");
  MBRL_CHECK_ARG(0 < o.min_std() && o.min_std() < o.max_std(), "min_std",
                 "expected 0 < min_std < max_std, got ", o.min_std(), " and ", o.max_std());
  MBRL_CHECK_ARG(o.unimix() >= 0 && o.unimix() < 1, "unimix", "expected a number in [0, 1), got ",
                 o.unimix());
  MBRL_CHECK_ARG(!o.discrete_actions() || o.act_dim() >= 2, "actor_critic",
                 "expected at least 2 discrete actions, got ", o.act_dim());
  // continuous: mean and std per action dimension; discrete: one logit per choice
  const int64_t outputs = o.discrete_actions() ? o.act_dim() : 2 * o.act_dim();
  actor_ = register_module(
      "actor", Mlp(layer_norm_silu_mlp(o.feature_size(), outputs, o.units(), o.layers())));
  critic_ = register_module(
      "critic", Mlp(layer_norm_silu_mlp(o.feature_size(), bins_.size(), o.units(), o.layers())));
  slow_critic_ = register_module(
      "slow_critic",
      Mlp(layer_norm_silu_mlp(o.feature_size(), bins_.size(), o.units(), o.layers())));
  {
    // the critic starts predicting 0 (outscale 0.0); the slow critic starts as its copy
    torch::NoGradGuard no_grad;
    const std::string out = "linear" + std::to_string(o.layers());
    for (const char* p : {".weight", ".bias"}) critic_->named_parameters()[out + p].zero_();
    auto slow = slow_critic_->parameters();
    auto fast = critic_->parameters();
    for (size_t i = 0; i < slow.size(); ++i) slow[i].copy_(fast[i]);
    for (auto& p : slow) p.set_requires_grad(false);
  }
  actor_optim_ = std::make_unique<torch::optim::Adam>(
      actor_->parameters(), torch::optim::AdamOptions(o.actor_lr()).eps(o.adam_eps()));
  critic_optim_ = std::make_unique<torch::optim::Adam>(
      critic_->parameters(), torch::optim::AdamOptions(o.critic_lr()).eps(o.adam_eps()));
}

ImaginationActorCritic::~ImaginationActorCritic() = default;

ActorDistribution ImaginationActorCritic::policy(const at::Tensor& features) {
  at::Tensor out = actor_->forward(features);
  if (options_.discrete_actions()) {
    return ActorDistribution(OneHotCategorical(out, options_.unimix()));
  }
  const int64_t a = options_.act_dim();
  return ActorDistribution(BoundedNormal(out.narrow(-1, 0, a), out.narrow(-1, a, a),
                                         options_.min_std(), options_.max_std()));
}

at::Tensor ImaginationActorCritic::value(const at::Tensor& features) {
  return bins_.decode(critic_->forward(features));
}

at::Tensor ImaginationActorCritic::slow_value(const at::Tensor& features) {
  return bins_.decode(slow_critic_->forward(features));
}

void ImaginationActorCritic::update_slow_critic() {
  torch::NoGradGuard no_grad;
  auto slow = slow_critic_->parameters();
  auto fast = critic_->parameters();
  for (size_t i = 0; i < slow.size(); ++i) slow[i].lerp_(fast[i], options_.slow_rate());
}

void ImaginationActorCritic::plan_imagination(std::shared_ptr<LatentDisagreement> disagreement,
                                              UpMpcOptions planner, double conservative_weight) {
  MBRL_CHECK(disagreement != nullptr, "plan_imagination: a disagreement model is needed");
  MBRL_CHECK_ARG(std::isfinite(conservative_weight) && conservative_weight >= 0,
                 "conservative_weight", "expected a number >= 0, got ", conservative_weight);
  disagreement_ = std::move(disagreement);
  planner_.emplace(planner);
  conservative_weight_ = conservative_weight;
}

ImaginationMetrics ImaginationActorCritic::train(WorldModel& world_model, const LatentState& starts,
                                                 const at::Tensor& start_cont) {
  const auto& o = options_;
  const int64_t H = o.horizon();
  MBRL_CHECK(start_cont.dim() == 1 && start_cont.size(0) == starts.h.size(0),
             "ImaginationActorCritic::train: expected start_cont [N] = [", starts.h.size(0),
             "], got ", start_cont.sizes());

  // imagine H steps from the (stop-gradient) starts; the actor reads stop-gradient features.
  // The actor's loss flows through the world model and the critic to the actions; both are
  // frozen while the graph is built, so their own weight gradients are never computed.
  std::vector<at::Tensor> log_probs, entropies, planned_uncertainty;
  at::Tensor feat, reward, cont, values;
  {
    FrozenScope frozen_model(world_model);
    FrozenScope frozen_critic(*critic_);
    LatentState state{starts.memory, starts.h.detach(), starts.z.detach()};
    for (auto& t : state.memory.tensors) t = t.detach();
    std::vector<at::Tensor> features{world_model.features(state)};
    for (int64_t h = 0; h < H; ++h) {
      const at::Tensor current = features.back().detach();
      const ActorDistribution pi = policy(current);
      at::Tensor action;
      if (planner_ && h > 0) {
        // K draws of the actor here; UP-MPC keeps the one it prefers, with its gradient
        const at::Tensor candidates =
            policy(current.repeat({planner_->options().candidates(), 1})).rsample(gen_);
        const LatentPlan plan = planner_->plan(
            world_model, *disagreement_, state, candidates,
            [this](const at::Tensor& f) { return policy(f).rsample(gen_); }, -conservative_weight_);
        action = candidates.index_select(0, plan.rows);
        planned_uncertainty.push_back(plan.planned_uncertainty.mean());
      } else {
        action = pi.rsample(gen_);
      }
      // REINFORCE needs no gradient through the imagined dynamics
      if (o.discrete_actions()) action = action.detach();
      log_probs.push_back(pi.log_prob(action.detach()));
      entropies.push_back(pi.entropy());
      state = world_model.imagine_step(state, action);
      features.push_back(world_model.features(state));
    }
    feat = torch::stack(features);  // [H + 1, N, F]
    reward = world_model.predict_reward(feat.narrow(0, 1, H));
    cont = (world_model.predict_continue(feat.narrow(0, 1, H)) > 0.5).to(feat.dtype());
    cont = torch::cat({start_cont.to(feat.dtype()).unsqueeze(0), cont});  // [H + 1, N]
    values = value(feat);                                                 // [H + 1, N]
  }
  const at::Tensor weight = imagined_step_weights(cont, o.gamma());
  const at::Tensor returns =
      lambda_returns(reward, cont.narrow(0, 1, H), values, o.gamma(), o.lambda());
  normalizer_.update(returns);

  ImaginationMetrics m;
  m.return_scale = normalizer_.scale();
  const at::Tensor entropy = torch::stack(entropies);
  at::Tensor a_loss =
      actor_loss(returns, values.narrow(0, 0, H), torch::stack(log_probs), entropy,
                 weight.narrow(0, 0, H), m.return_scale, o.entropy_scale(),
                 o.discrete_actions() ? ActorGradient::kReinforce : ActorGradient::kBackprop);
  // the critic on stop-gradient features: two-hot of sg(returns), regularised toward the slow
  // critic's value
  const at::Tensor critic_in = feat.narrow(0, 0, H).detach();
  const at::Tensor logits = critic_->forward(critic_in);
  at::Tensor c_loss;
  {
    at::Tensor slow;
    {
      torch::NoGradGuard no_grad;
      slow = slow_value(critic_in);
    }
    c_loss = ((bins_.loss(logits, returns.detach()) + o.slow_reg() * bins_.loss(logits, slow)) *
              weight.narrow(0, 0, H).detach())
                 .mean();
  }
  // every metric in one transfer (one device sync), before any step
  const at::Tensor planned = planned_uncertainty.empty() ? torch::zeros({}, returns.options())
                                                         : torch::stack(planned_uncertainty).mean();
  const at::Tensor logged =
      torch::stack({a_loss.detach(), c_loss.detach(), returns.detach().mean(),
                    values.detach().mean(), entropy.detach().mean(), planned.detach()})
          .to(torch::kCPU, torch::kFloat64);
  const double* v = logged.data_ptr<double>();
  m.actor_loss = v[0];
  m.critic_loss = v[1];
  m.imagined_return = v[2];
  m.value = v[3];
  m.entropy = v[4];
  m.planned_uncertainty = v[5];
  if (!std::isfinite(m.actor_loss) || !std::isfinite(m.critic_loss)) {
    throw NonFiniteError(detail::str("dreamer: non-finite ",
                                     std::isfinite(m.actor_loss) ? "critic" : "actor", " loss"));
  }
  actor_optim_->zero_grad();
  a_loss.backward();
  torch::nn::utils::clip_grad_norm_(actor_->parameters(), o.grad_clip());
  actor_optim_->step();
  critic_optim_->zero_grad();
  c_loss.backward();
  torch::nn::utils::clip_grad_norm_(critic_->parameters(), o.grad_clip());
  critic_optim_->step();
  update_slow_critic();
  return m;
}

void ImaginationActorCritic::save_training_state(torch::serialize::OutputArchive& archive) const {
  using torch::serialize::OutputArchive;
  checkpoint::write_nested(archive, "actor_optimizer",
                           [&](OutputArchive& a) { actor_optim_->save(a); });
  checkpoint::write_nested(archive, "critic_optimizer",
                           [&](OutputArchive& a) { critic_optim_->save(a); });
  checkpoint::write_double(archive, "return_low", normalizer_.low());
  checkpoint::write_double(archive, "return_high", normalizer_.high());
  checkpoint::write_generator(archive, "gen_imagine", gen_);
}

void ImaginationActorCritic::load_training_state(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive actor = checkpoint::read_nested(archive, "actor_optimizer");
  actor_optim_->load(actor);
  torch::serialize::InputArchive critic = checkpoint::read_nested(archive, "critic_optimizer");
  critic_optim_->load(critic);
  normalizer_.set(checkpoint::read_double(archive, "return_low"),
                  checkpoint::read_double(archive, "return_high"));
  checkpoint::read_generator(archive, "gen_imagine", gen_);
}

}  // namespace mbrl

// ModelEnv: batched model steps with propagation, and the particle rollouts that score plans.
#include "mbrl/models/model_env.h"

#include <numeric>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/envs/task_functions.h"

namespace mbrl {

ModelEnv::ModelEnv(const ModelEnvOptions& options, std::shared_ptr<GaussianMlpEnsemble> model,
                   std::shared_ptr<const TaskFunctions> task, at::Generator gen)
    : options_(options),
      model_(std::move(model)),
      task_(std::move(task)),
      gen_(std::move(gen)),
      inference_(model_) {
  MBRL_CHECK_ARG(options_.particles() >= 1, "particles", "expected an integer >= 1, got ",
                 options_.particles());
  MBRL_CHECK(task_ != nullptr || model_->learns_reward(),
             "ModelEnv: the task has no reward function and the model does not learn the "
             "reward (set learn_reward: true)");
  MBRL_CHECK(gen_.device().type() == model_->device().type(), "ModelEnv: generator on ",
             gen_.device(), " but model on ", model_->device());
}

at::Tensor ModelEnv::sample_target(const at::Tensor& mean, const at::Tensor& logvar) {
  if (!options_.sample() || !logvar.defined()) return mean.clone();
  at::Tensor eps = at::empty_like(mean).normal_(0.0, 1.0, gen_);
  return eps.mul_((0.5 * logvar).exp_()).add_(mean);
}

ModelEnv::Transition ModelEnv::outcome(const at::Tensor& obs, const at::Tensor& act,
                                       const at::Tensor& target,
                                       const at::Tensor& termination_logit) {
  Transition t;
  t.next_obs = model_->next_obs(obs, target);
  t.reward = model_->learns_reward() ? target.select(-1, model_->obs_dim()).contiguous()
                                     : task_->reward(obs, act, t.next_obs);
  if (model_->learns_termination()) {
    t.terminated = termination_logit > 0;
  } else if (task_ != nullptr) {
    t.terminated = task_->terminated(t.next_obs);
  } else {
    t.terminated = torch::zeros({obs.size(0)}, obs.options().dtype(torch::kBool));
  }
  return t;
}

ModelEnv::Transition ModelEnv::propagate(const at::Tensor& obs, const at::Tensor& act,
                                         const MemberAssignment* a) {
  const auto& elites = model_->elites();
  if (a == nullptr) {
    // expectation: the elites' averaged distribution
    at::Tensor raw = inference_.forward_all(model_->normalized_inputs(obs, act), elites);
    EnsembleOutput out = model_->split_output(raw);
    at::Tensor lv = out.logvar.defined() ? out.logvar.mean(0) : at::Tensor();
    at::Tensor tl = out.termination_logit.defined() ? out.termination_logit.mean(0) : at::Tensor();
    return outcome(obs, act, sample_target(out.mean.mean(0), lv), tl);
  }

  // rows sorted by member, one grouped forward pass, then back to the callers' order
  at::Tensor obs_s = obs.index_select(0, a->order), act_s = act.index_select(0, a->order);
  at::Tensor raw = inference_.forward_grouped(model_->normalized_inputs(obs_s, act_s).contiguous(),
                                              elites, a->offsets);
  EnsembleOutput out = model_->split_output(raw);
  Transition s = outcome(obs_s, act_s, sample_target(out.mean, out.logvar), out.termination_logit);
  Transition t;
  t.next_obs = at::empty_like(s.next_obs).index_copy_(0, a->order, s.next_obs);
  t.reward = at::empty_like(s.reward).index_copy_(0, a->order, s.reward);
  t.terminated = at::empty_like(s.terminated).index_copy_(0, a->order, s.terminated);
  return t;
}

at::Tensor ModelEnv::rollout_returns(const at::Tensor& obs, const at::Tensor& actions,
                                     int64_t particles) {
  torch::NoGradGuard no_grad;
  const int64_t s = obs.size(0), p = actions.size(1), h = actions.size(2), a = actions.size(3);
  const int64_t o = model_->obs_dim(), n = s * p * particles;
  const auto m = static_cast<int64_t>(model_->elites().size());
  const auto dev = model_->device();
  const Propagation method = options_.propagation();

  // rows laid out [S, P, K]: every particle of a candidate starts from its start state
  at::Tensor state = obs.to(dev, torch::kFloat32).unsqueeze(1).expand({s, p * particles, o});
  state = state.reshape({n, o});
  at::Tensor acts = actions.to(dev, torch::kFloat32).permute({2, 0, 1, 3}).contiguous();
  at::Tensor returns = torch::zeros({n}, state.options());
  at::Tensor alive = torch::ones({n}, state.options().dtype(torch::kBool));
  MemberAssignment fixed;
  if (method == Propagation::kTsInf)
    fixed = group_rows(draw_groups(method, n, particles, m, gen_), m);

  for (int64_t step = 0; step < h; ++step) {
    at::Tensor act = acts[step].unsqueeze(2).expand({s, p, particles, a}).reshape({n, a});
    Transition t;
    if (method == Propagation::kExpectation) {
      t = propagate(state, act, nullptr);
    } else if (method == Propagation::kTsInf) {
      t = propagate(state, act, &fixed);
    } else {
      MemberAssignment drawn = group_rows(draw_groups(method, n, particles, m, gen_), m);
      t = propagate(state, act, &drawn);
    }

    // a particle that terminated earlier adds nothing more
    returns.add_(t.reward.masked_fill(alive.logical_not(), 0.0));
    alive.logical_and_(t.terminated.logical_not());
    state = t.next_obs;
  }
  at::Tensor r = returns.view({s, p, particles});
  r = at::where(r.isfinite(), r, at::full_like(r, kNonFiniteReturn));
  return r.mean(2);
}

at::Tensor ModelEnv::score(const at::Tensor& obs, const at::Tensor& actions) {
  MBRL_CHECK_SHAPE(obs, {-1, model_->obs_dim()}, "obs");
  MBRL_CHECK_SHAPE(actions, {obs.size(0), -1, -1, model_->act_dim()}, "actions");
  return rollout_returns(obs, actions, options_.particles()).to(actions.device());
}

at::Tensor ModelEnv::evaluate_action_sequences(const at::Tensor& actions, const at::Tensor& obs,
                                               int64_t particles) {
  MBRL_CHECK_SHAPE(obs, {-1, model_->obs_dim()}, "obs");
  MBRL_CHECK_SHAPE(actions, {-1, -1, model_->act_dim()}, "actions");
  MBRL_CHECK_ARG(particles >= 1, "particles", "expected an integer >= 1, got ", particles);
  at::Tensor shared = actions.unsqueeze(0).expand({obs.size(0), -1, -1, -1});
  return rollout_returns(obs, shared, particles).to(actions.device());
}

ModelStepResult ModelEnv::step(const at::Tensor& obs_in, const at::Tensor& act_in,
                               bool with_uncertainty) {
  torch::NoGradGuard no_grad;
  MBRL_CHECK_SHAPE(obs_in, {-1, model_->obs_dim()}, "obs");
  MBRL_CHECK_SHAPE(act_in, {obs_in.size(0), model_->act_dim()}, "act");
  const auto dev = model_->device();
  at::Tensor obs = obs_in.to(dev, torch::kFloat32), act = act_in.to(dev, torch::kFloat32);
  const int64_t n = obs.size(0);
  const auto& elites = model_->elites();
  const auto m = static_cast<int64_t>(elites.size());
  const Propagation method = options_.propagation();
  ModelStepResult r;
  if (!with_uncertainty) {
    MemberAssignment drawn;
    if (method != Propagation::kExpectation)
      drawn = group_rows(draw_groups(method, n, n, m, gen_), m);
    Transition t = propagate(obs, act, method == Propagation::kExpectation ? nullptr : &drawn);
    r.next_obs = t.next_obs;
    r.reward = t.reward;
    r.terminated = t.terminated;
    return r;
  }

  // every member on every row: the uncertainty reads all of them
  std::vector<int64_t> all(model_->ensemble_size());
  std::iota(all.begin(), all.end(), 0);
  EnsembleOutput out =
      model_->split_output(inference_.forward_all(model_->normalized_inputs(obs, act), all));
  r.member_mean = out.mean.clone();
  if (out.logvar.defined()) r.member_std = (0.5 * out.logvar).exp();
  at::Tensor samples = sample_target(r.member_mean, out.logvar);
  r.uncertainty = ensemble_uncertainty(r.member_mean, r.member_std, samples);

  // each row's own elite (or the elites' average)
  at::Tensor elite_idx = torch::tensor(elites, torch::kInt64).to(dev);
  Transition t;
  if (method == Propagation::kExpectation) {
    at::Tensor lv =
        out.logvar.defined() ? out.logvar.index_select(0, elite_idx).mean(0) : at::Tensor();
    at::Tensor tl = out.termination_logit.defined()
                        ? out.termination_logit.index_select(0, elite_idx).mean(0)
                        : at::Tensor();
    t = outcome(obs, act, sample_target(r.member_mean.index_select(0, elite_idx).mean(0), lv), tl);
  } else {
    at::Tensor member = elite_idx.index_select(0, draw_groups(method, n, n, m, gen_));
    at::Tensor rows = torch::arange(n, member.options());
    at::Tensor tl = out.termination_logit.defined() ? out.termination_logit.index({member, rows})
                                                    : at::Tensor();
    t = outcome(obs, act, samples.index({member, rows}), tl);
  }
  r.next_obs = t.next_obs;
  r.reward = t.reward;
  r.terminated = t.terminated;
  return r;
}

}  // namespace mbrl

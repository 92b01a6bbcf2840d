// ModelEnv: batched model steps with the task's reward and termination, and the particle
// rollouts that score plans.
#include "mbrl/models/model_env.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/envs/task_functions.h"

namespace mbrl {

ModelEnv::ModelEnv(const ModelEnvOptions& options, std::shared_ptr<DynamicsModel> model,
                   std::shared_ptr<const TaskFunctions> task, at::Generator gen)
    : options_(options),
      model_(std::move(model)),
      uncertainty_aware_(model_ ? uncertainty_aware(*model_) : nullptr),
      task_(std::move(task)),
      gen_(std::move(gen)) {
  MBRL_CHECK_ARG(options_.particles() >= 1, "particles", "expected an integer >= 1, got ",
                 options_.particles());
  MBRL_CHECK(task_ != nullptr || model_->learns_reward(),
             "ModelEnv: the task has no reward function and the model does not learn the "
             "reward (set learn_reward: true)");
  MBRL_CHECK(gen_.device().type() == model_->device().type(), "ModelEnv: generator on ",
             gen_.device(), " but model on ", model_->device());
}

RolloutSpec ModelEnv::spec(int64_t particles) const {
  RolloutSpec s;
  s.propagation = options_.propagation();
  s.particles = particles;
  s.sample = options_.sample();
  return s;
}

void ModelEnv::complete(const at::Tensor& obs, const at::Tensor& act, ModelStep& step) const {
  if (!step.reward.defined()) step.reward = task_->reward(obs, act, step.next_obs);
  if (step.terminated.defined()) return;
  step.terminated = task_ != nullptr
                        ? task_->terminated(step.next_obs)
                        : torch::zeros({obs.size(0)}, obs.options().dtype(torch::kBool));
}

void ModelEnv::begin_episode() { history_ = ModelState(); }

void ModelEnv::observe(const at::Tensor& obs, const at::Tensor& act, const at::Tensor& next_obs) {
  if (!model_->has_memory()) return;
  torch::NoGradGuard no_grad;
  MBRL_CHECK_SHAPE(obs, {model_->obs_dim()}, "obs");
  MBRL_CHECK_SHAPE(act, {model_->act_dim()}, "act");
  MBRL_CHECK_SHAPE(next_obs, {model_->obs_dim()}, "next_obs");
  const auto dev = model_->device();
  auto row = [&](const at::Tensor& x) { return x.to(dev, torch::kFloat32).unsqueeze(0); };
  if (history_.rows() == 0) history_ = model_->initial_state(row(obs), spec(1), gen_);
  // the memory reads the real observation, not the one it predicted last step
  history_.obs = row(obs);
  history_ = model_->step(history_, row(act), gen_).state;
  history_.obs = row(next_obs);
}

ModelState ModelEnv::start_state(const at::Tensor& start, int64_t starts, int64_t particles) {
  ModelState state = model_->initial_state(start, spec(particles), gen_);
  if (starts != 1 || history_.rows() == 0 || !torch::equal(start[0], history_.obs[0])) return state;
  for (size_t i = 0; i < state.latent.size(); ++i)
    state.latent[i] = history_.latent[i].expand_as(state.latent[i]).contiguous();
  return state;
}

at::Tensor ModelEnv::rollout_returns(const at::Tensor& obs, const at::Tensor& actions,
                                     int64_t particles) {
  torch::NoGradGuard no_grad;
  const int64_t s = obs.size(0), p = actions.size(1), h = actions.size(2), a = actions.size(3);
  const int64_t o = model_->obs_dim(), n = s * p * particles;
  const auto dev = model_->device();

  // rows laid out [S, P, K]: every particle of a candidate starts from its start state
  at::Tensor start = obs.to(dev, torch::kFloat32).unsqueeze(1).expand({s, p * particles, o});
  ModelState state = start_state(start.reshape({n, o}), s, particles);
  at::Tensor acts = actions.to(dev, torch::kFloat32).permute({2, 0, 1, 3}).contiguous();
  at::Tensor returns = torch::zeros({n}, state.obs.options());
  at::Tensor alive = torch::ones({n}, state.obs.options().dtype(torch::kBool));

  for (int64_t step = 0; step < h; ++step) {
    at::Tensor act = acts[step].unsqueeze(2).expand({s, p, particles, a}).reshape({n, a});
    ModelStep t = model_->step(state, act, gen_);
    complete(state.obs, act, t);
    // a particle that terminated earlier adds nothing more
    returns.add_(t.reward.masked_fill(alive.logical_not(), 0.0));
    alive.logical_and_(t.terminated.logical_not());
    state = std::move(t.state);
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

ModelState ModelEnv::start(const RolloutStart& start) {
  torch::NoGradGuard no_grad;
  MBRL_CHECK_SHAPE(start.obs, {-1, model_->obs_dim()}, "start.obs");
  return model_->initial_state_after(start, spec(start.rows()), gen_);
}

ModelState ModelEnv::start(const at::Tensor& obs) {
  torch::NoGradGuard no_grad;
  MBRL_CHECK_SHAPE(obs, {-1, model_->obs_dim()}, "obs");
  return model_->initial_state(obs, spec(obs.size(0)), gen_);
}

ModelStepResult ModelEnv::step(const at::Tensor& obs, const at::Tensor& act,
                               bool with_uncertainty) {
  MBRL_CHECK_SHAPE(obs, {-1, model_->obs_dim()}, "obs");
  MBRL_CHECK_SHAPE(act, {obs.size(0), model_->act_dim()}, "act");
  ModelState state = start(obs);
  return step(state, act, with_uncertainty);
}

ModelStepResult ModelEnv::step(ModelState& state, const at::Tensor& act_in, bool with_uncertainty) {
  torch::NoGradGuard no_grad;
  MBRL_CHECK_SHAPE(act_in, {state.rows(), model_->act_dim()}, "act");
  MBRL_CHECK(!with_uncertainty || uncertainty_aware_ != nullptr, "ModelEnv::step: model '",
             model_->type(),
             "' reports no uncertainty (it is not UncertaintyAware, or has one predictor)");
  const at::Tensor obs = state.obs, act = act_in.to(model_->device(), torch::kFloat32);
  ModelStepResult r;
  ModelStep t;
  if (with_uncertainty) {
    UncertainModelStep u = uncertainty_aware_->step_with_uncertainty(state, act, gen_);
    t = std::move(u.step);
    r.uncertainty = u.uncertainty;
    r.member_mean = u.member_mean;
    r.member_std = u.member_std;
  } else {
    t = model_->step(state, act, gen_);
  }
  complete(obs, act, t);
  r.next_obs = t.next_obs;
  r.reward = t.reward;
  r.terminated = t.terminated;
  state = std::move(t.state);
  return r;
}

ModelStepResult ModelEnv::step_best_of(const at::Tensor& obs_in, const at::Tensor& act_in,
                                       int64_t samples, const TransitionScore& score,
                                       CandidateChoice choice, double temperature) {
  torch::NoGradGuard no_grad;
  MBRL_CHECK_SHAPE(obs_in, {-1, model_->obs_dim()}, "obs");
  MBRL_CHECK_SHAPE(act_in, {obs_in.size(0), model_->act_dim()}, "act");
  MBRL_CHECK(uncertainty_aware_ != nullptr, "ModelEnv::step_best_of: model '", model_->type(),
             "' has no members to draw candidates from (it is not UncertaintyAware, or has one "
             "predictor)");
  MBRL_CHECK(score != nullptr, "ModelEnv::step_best_of: no score");
  MBRL_CHECK_ARG(choice == CandidateChoice::kBest || temperature > 0, "temperature",
                 "expected a number > 0, got ", temperature);
  const auto dev = model_->device();
  const at::Tensor obs = obs_in.to(dev, torch::kFloat32), act = act_in.to(dev, torch::kFloat32);
  const int64_t n = obs.size(0), o = obs.size(1);
  const MemberSamples m = uncertainty_aware_->sample_members(obs, act, samples, gen_);
  // the rollout members' draws as candidates [C, N, ...]
  auto candidates = [&](const at::Tensor& x) {
    if (!x.defined()) return at::Tensor();
    at::Tensor c = x.index_select(1, m.rollout_members);
    std::vector<int64_t> shape{-1, n};
    for (int64_t d = 3; d < c.dim(); ++d) shape.push_back(c.size(d));
    return c.reshape(shape);
  };
  const at::Tensor next = candidates(m.next_obs);
  const int64_t c = next.size(0);
  const at::Tensor scores =
      score(obs.unsqueeze(0).expand({c, n, o}), act.unsqueeze(0).expand({c, n, act.size(1)}), next)
          .to(dev);
  MBRL_CHECK(scores.sizes() == at::IntArrayRef({c, n}), "ModelEnv::step_best_of: score returned ",
             scores.sizes(), " for ", c, " candidates of ", n, " rows");
  const at::Tensor best =
      choice == CandidateChoice::kBest
          ? scores.argmax(0)
          : torch::multinomial(torch::softmax(scores / temperature, 0).t(), 1, false, gen_)
                .squeeze(1);
  const at::Tensor rows = torch::arange(n, best.options());
  auto chosen = [&](const at::Tensor& x) {
    return x.defined() ? candidates(x).index({best, rows}) : at::Tensor();
  };
  ModelStep t;
  t.next_obs = next.index({best, rows});
  t.reward = chosen(m.reward);
  t.terminated = chosen(m.terminated);
  complete(obs, act, t);
  ModelStepResult r;
  r.next_obs = t.next_obs;
  r.reward = t.reward;
  r.terminated = t.terminated;
  r.uncertainty = m.uncertainty;
  r.score = scores.index({best, rows});
  return r;
}

}  // namespace mbrl

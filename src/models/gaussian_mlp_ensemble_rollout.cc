// GaussianMlpEnsemble as a DynamicsModel: rollout states with propagation, batched steps (one
// grouped forward pass for all rows), the step with every member's prediction, and the loss.
#include <numeric>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/models/ensemble_inference.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"

namespace mbrl {

GaussianMlpEnsemble::~GaussianMlpEnsemble() = default;

EnsembleInference& GaussianMlpEnsemble::inference() {
  if (!inference_) inference_ = std::make_unique<EnsembleInference>(*this);
  return *inference_;
}

at::Tensor GaussianMlpEnsemble::elite_index() const {
  return torch::tensor(elites_, torch::kInt64).to(device());
}

at::Tensor GaussianMlpEnsemble::sample_target(const at::Tensor& mean, const at::Tensor& logvar,
                                              bool sample, at::Generator& gen) const {
  if (!sample || !logvar.defined()) return mean.clone();
  at::Tensor eps = at::empty_like(mean).normal_(0.0, 1.0, gen);
  return eps.mul_((0.5 * logvar).exp_()).add_(mean);
}

ModelStep GaussianMlpEnsemble::outcome(const at::Tensor& obs, const at::Tensor& target,
                                       const at::Tensor& termination_logit) const {
  ModelStep t;
  t.next_obs = next_obs(obs, target);
  if (learns_reward()) t.reward = target.select(-1, obs_dim()).contiguous();
  if (learns_termination()) t.terminated = termination_logit > 0;
  return t;
}

ModelState GaussianMlpEnsemble::initial_state(const at::Tensor& obs, const RolloutSpec& spec,
                                              at::Generator& gen) {
  MBRL_CHECK_SHAPE(obs, {-1, obs_dim()}, "obs");
  MBRL_CHECK_ARG(spec.particles >= 1, "particles", "expected an integer >= 1, got ",
                 spec.particles);
  ModelState s;
  s.obs = obs.to(device(), torch::kFloat32);
  s.spec = spec;
  if (spec.propagation == Propagation::kTsInf) {
    const auto m = static_cast<int64_t>(elites_.size());
    at::Tensor slot = draw_groups(spec.propagation, s.rows(), spec.particles, m, gen);
    s.member = elite_index().index_select(0, slot);
    s.groups = std::make_shared<MemberAssignment>(group_rows(s.member, ensemble_size()));
  }
  return s;
}

ModelStep GaussianMlpEnsemble::step(const ModelState& state, const at::Tensor& act_in,
                                    at::Generator& gen) {
  torch::NoGradGuard no_grad;
  MBRL_CHECK_SHAPE(act_in, {state.rows(), act_dim()}, "act");
  const at::Tensor& obs = state.obs;
  at::Tensor act = act_in.to(device(), torch::kFloat32);
  const bool sample = state.spec.sample;
  ModelStep t;

  if (state.spec.propagation == Propagation::kExpectation) {
    // the elites' averaged distribution
    at::Tensor raw = inference().forward_all(normalized_inputs(obs, act), elites_);
    EnsembleOutput out = split_output(raw);
    at::Tensor lv = out.logvar.defined() ? out.logvar.mean(0) : at::Tensor();
    at::Tensor tl = out.termination_logit.defined() ? out.termination_logit.mean(0) : at::Tensor();
    t = outcome(obs, sample_target(out.mean.mean(0), lv, sample, gen), tl);
  } else {
    // rows sorted by member, one grouped forward pass, then back to the rows' order
    // kept members (TS-inf) are grouped by member id; rows drawn this step (TS1, random_model)
    // by elite slot, so no member-id tensor is built on the device every step
    std::vector<int64_t> members = elites_;
    std::shared_ptr<const MemberAssignment> groups = state.groups;
    if (state.member.defined()) {
      members.resize(ensemble_size());
      std::iota(members.begin(), members.end(), 0);
      if (!groups)
        groups = std::make_shared<MemberAssignment>(group_rows(state.member, ensemble_size()));
    } else {
      const auto m = static_cast<int64_t>(elites_.size());
      at::Tensor slot =
          draw_groups(state.spec.propagation, state.rows(), state.spec.particles, m, gen);
      groups = std::make_shared<MemberAssignment>(group_rows(slot, m));
    }
    const at::Tensor& order = groups->order;
    at::Tensor obs_s = obs.index_select(0, order), act_s = act.index_select(0, order);
    at::Tensor raw = inference().forward_grouped(normalized_inputs(obs_s, act_s).contiguous(),
                                                 members, groups->offsets);
    EnsembleOutput out = split_output(raw);
    ModelStep s =
        outcome(obs_s, sample_target(out.mean, out.logvar, sample, gen), out.termination_logit);
    auto unsort = [&](const at::Tensor& x) {
      return x.defined() ? at::empty_like(x).index_copy_(0, order, x) : at::Tensor();
    };
    t.next_obs = unsort(s.next_obs);
    t.reward = unsort(s.reward);
    t.terminated = unsort(s.terminated);
    if (state.member.defined()) t.state.groups = groups;
  }
  t.state.obs = t.next_obs;
  t.state.member = state.member;
  t.state.spec = state.spec;
  return t;
}

UncertainModelStep GaussianMlpEnsemble::step_with_uncertainty(const ModelState& state,
                                                              const at::Tensor& act_in,
                                                              at::Generator& gen) {
  torch::NoGradGuard no_grad;
  MBRL_CHECK_SHAPE(act_in, {state.rows(), act_dim()}, "act");
  const at::Tensor& obs = state.obs;
  at::Tensor act = act_in.to(device(), torch::kFloat32);
  const int64_t n = state.rows();
  const bool sample = state.spec.sample;

  // every member on every row: the uncertainty reads all of them
  std::vector<int64_t> all(ensemble_size());
  std::iota(all.begin(), all.end(), 0);
  EnsembleOutput out = split_output(inference().forward_all(normalized_inputs(obs, act), all));
  UncertainModelStep r;
  r.member_mean = out.mean.clone();
  if (out.logvar.defined()) r.member_std = (0.5 * out.logvar).exp();
  at::Tensor samples = sample_target(r.member_mean, out.logvar, sample, gen);
  r.uncertainty = ensemble_uncertainty(r.member_mean, r.member_std, samples);

  // each row's own elite (or the elites' average)
  at::Tensor elite_idx = elite_index();
  at::Tensor target;  // [N, d] each row's drawn transition
  if (state.spec.propagation == Propagation::kExpectation) {
    at::Tensor lv =
        out.logvar.defined() ? out.logvar.index_select(0, elite_idx).mean(0) : at::Tensor();
    at::Tensor tl = out.termination_logit.defined()
                        ? out.termination_logit.index_select(0, elite_idx).mean(0)
                        : at::Tensor();
    target = sample_target(r.member_mean.index_select(0, elite_idx).mean(0), lv, sample, gen);
    r.step = outcome(obs, target, tl);
  } else {
    const auto m = static_cast<int64_t>(elites_.size());
    at::Tensor member = state.member.defined()
                            ? state.member
                            : elite_idx.index_select(0, draw_groups(state.spec.propagation, n,
                                                                    state.spec.particles, m, gen));
    at::Tensor rows = torch::arange(n, member.options());
    at::Tensor tl = out.termination_logit.defined() ? out.termination_logit.index({member, rows})
                                                    : at::Tensor();
    target = samples.index({member, rows});
    r.step = outcome(obs, target, tl);
    r.step.state.groups = state.groups;
  }
  if (r.member_std.defined())
    r.uncertainty.log_likelihood_var = log_likelihood_variance(r.member_mean, r.member_std, target);
  r.step.state.obs = r.step.next_obs;
  r.step.state.member = state.member;
  r.step.state.spec = state.spec;
  return r;
}

ModelLosses GaussianMlpEnsemble::loss(const TransitionBatch& batch_in) {
  TransitionBatch batch = batch_in.to(device());
  batch.check(obs_dim(), act_dim());
  const int64_t e = ensemble_size(), b = batch.size();
  at::Tensor x = normalized_inputs(batch.obs, batch.act).unsqueeze(0).expand({e, b, input_dim_});
  at::Tensor y = targets(batch).unsqueeze(0).expand({e, b, target_dim_});
  at::Tensor terminated;
  if (learns_termination())
    terminated = batch.terminated.to(torch::kFloat32).unsqueeze(0).expand({e, b});
  ModelLosses losses;
  losses["loss"] = loss(x, y, terminated) + weight_decay_penalty();
  {
    torch::NoGradGuard no_grad;
    const EnsembleOutput out = forward(x);
    losses["mse"] = (out.mean - y).square().mean();
    if (!options_.deterministic()) {
      losses["nll"] = ((out.mean - y).square() * (-out.logvar).exp() + out.logvar).mean();
    }
  }
  return losses;
}

MemberSamples GaussianMlpEnsemble::sample_members(const at::Tensor& obs_in,
                                                  const at::Tensor& act_in, int64_t samples,
                                                  at::Generator& gen) {
  torch::NoGradGuard no_grad;
  MBRL_CHECK_SHAPE(obs_in, {-1, obs_dim()}, "obs");
  MBRL_CHECK_SHAPE(act_in, {obs_in.size(0), act_dim()}, "act");
  MBRL_CHECK_ARG(samples >= 1, "samples", "expected a positive integer, got ", samples);
  const at::Tensor obs = obs_in.to(device(), torch::kFloat32);
  const at::Tensor act = act_in.to(device(), torch::kFloat32);
  std::vector<int64_t> all(ensemble_size());
  std::iota(all.begin(), all.end(), 0);
  EnsembleOutput out = split_output(inference().forward_all(normalized_inputs(obs, act), all));
  // [samples, E, N, d]: each draw from its member's diagonal Gaussian
  std::vector<int64_t> shape{samples};
  for (int64_t s : out.mean.sizes()) shape.push_back(s);
  at::Tensor target = out.mean.unsqueeze(0).expand(shape).clone();
  at::Tensor std;
  if (out.logvar.defined()) {
    std = (0.5 * out.logvar).exp();
    at::Tensor eps = at::empty_like(target).normal_(0.0, 1.0, gen);
    target.add_(eps.mul_(std.unsqueeze(0)));
  }
  MemberSamples r;
  r.next_obs = next_obs(obs, target);
  if (learns_reward()) r.reward = target.select(-1, obs_dim()).contiguous();
  if (learns_termination())
    r.terminated = (out.termination_logit > 0).unsqueeze(0).expand({samples, -1, -1}).clone();
  r.rollout_members = elite_index();
  r.uncertainty = ensemble_uncertainty(out.mean, std, target[0]);
  return r;
}

}  // namespace mbrl

// SequenceModel: standardised inputs and targets around a backbone and an MLP head.
#include "mbrl/models/sequence/sequence_model.h"

#include <torch/torch.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "mbrl/config/config_node.h"
#include "mbrl/core/check.h"
#include "mbrl/models/model_archive.h"
#include "mbrl/models/propagation.h"
#include "mbrl/nn/gaussian_nll.h"

namespace mbrl {

SequenceModel::SequenceModel(const SequenceModelOptions& options,
                             std::shared_ptr<SequenceBackbone> backbone)
    : options_(options), backbone_(std::move(backbone)) {
  const auto& o = options_;
  MBRL_CHECK_ARG(o.obs_dim() >= 1, "obs_dim", "expected an integer >= 1, got ", o.obs_dim());
  MBRL_CHECK_ARG(o.act_dim() >= 1, "act_dim", "expected an integer >= 1, got ", o.act_dim());
  MBRL_CHECK_ARG(o.head_layers() >= 0, "head_layers", "expected an integer >= 0, got ",
                 o.head_layers());
  MBRL_CHECK_ARG(o.head_hidden_size() >= 1, "head_hidden_size", "expected an integer >= 1, got ",
                 o.head_hidden_size());
  MBRL_CHECK_ARG(o.heads() >= 1, "heads", "expected an integer >= 1, got ", o.heads());
  MBRL_CHECK_ARG(o.nll_beta() >= 0 && o.nll_beta() <= 1, "nll_beta",
                 "expected a number in [0, 1], got ", o.nll_beta());
  MBRL_CHECK_ARG(o.nll_beta() == 0 || o.probabilistic(), "nll_beta",
                 "weighs the Gaussian NLL; set probabilistic: true, or leave nll_beta 0");
  MBRL_CHECK_ARG(o.min_logvar() < o.max_logvar(), "min_logvar", "expected less than max_logvar (",
                 o.max_logvar(), "), got ", o.min_logvar());
  MBRL_ASSERT(backbone_ != nullptr, "SequenceModel needs a backbone");
  MBRL_CHECK_ARG(backbone_->input_size() == o.obs_dim() + o.act_dim(), "backbone",
                 "expected a backbone reading obs_dim + act_dim = ", o.obs_dim() + o.act_dim(),
                 " inputs, got ", backbone_->input_size());
  const int64_t members = backbone_->members();
  MBRL_CHECK_ARG(members == 1 || o.heads() == 1, "heads", "a backbone of ", members,
                 " members has one head per member (an ensemble of whole "
                 "models); expected heads 1, got ",
                 o.heads());
  predictors_ = std::max(members, o.heads());
  target_dim_ = o.obs_dim() + (o.learn_reward() ? 1 : 0);
  register_module("backbone", backbone_);
  heads_ = register_module(
      "heads", EnsembleMlp(EnsembleMlpOptions(predictors_, backbone_->output_size() / members,
                                              prediction_width())
                               .hidden_size(o.head_hidden_size())
                               .num_layers(o.head_layers())
                               .activation(Activation::kSilu)));
  input_normalizer_ =
      register_module("input_normalizer", InputNormalizer(o.obs_dim() + o.act_dim()));
  target_normalizer_ = register_module("target_normalizer", InputNormalizer(target_dim_));
  to(backbone_->parameters().empty() ? torch::kCPU : backbone_->parameters()[0].device());
}

c10::Device SequenceModel::device() const { return input_normalizer_->mean.device(); }

namespace {

// [next_obs - obs, reward (if learned)] of `data`, rows or [T, B] alike
at::Tensor targets(const at::Tensor& obs, const at::Tensor& next_obs, const at::Tensor& reward,
                   bool learn_reward) {
  at::Tensor delta = next_obs - obs;
  return learn_reward ? torch::cat({delta, reward.unsqueeze(-1)}, -1) : delta;
}

}  // namespace

void SequenceModel::fit_normalizers(const TransitionBatch& data_in) {
  torch::NoGradGuard no_grad;
  const TransitionBatch data = data_in.to(device());
  data.check(obs_dim(), act_dim());
  input_normalizer_->fit(torch::cat({data.obs, data.act}, -1));
  target_normalizer_->fit(targets(data.obs, data.next_obs, data.reward, learns_reward()));
}

at::Tensor SequenceModel::heads(const at::Tensor& y) {
  const int64_t members = backbone_->members();
  if (members == 1) return bound(heads_->forward_shared(y));
  // member m's head reads member m's columns: [..., M D] -> [M, rows, D]
  std::vector<int64_t> shape = y.sizes().vec();
  shape.back() = prediction_width();
  shape.insert(shape.begin(), members);
  const at::Tensor per_member =
      y.unflatten(-1, {members, -1}).movedim(-2, 0).reshape({members, -1, y.size(-1) / members});
  return bound(heads_->forward(per_member)).view(shape);
}

at::Tensor SequenceModel::bound(const at::Tensor& raw) const {
  if (!options_.probabilistic()) return raw;
  const double lo = options_.min_logvar(), hi = options_.max_logvar();
  const at::Tensor below_max = hi - at::softplus(hi - raw.narrow(-1, target_dim_, target_dim_));
  return torch::cat({raw.narrow(-1, 0, target_dim_), lo + at::softplus(below_max - lo)}, -1);
}

at::Tensor SequenceModel::draw(const at::Tensor& prediction, bool sample,
                               at::Generator& gen) const {
  const at::Tensor mean = prediction.narrow(-1, 0, target_dim_);
  if (!sample || !options_.probabilistic()) return mean;
  const at::Tensor logvar = prediction.narrow(-1, target_dim_, target_dim_);
  return at::empty_like(mean).normal_(0.0, 1.0, gen).mul_((0.5 * logvar).exp()).add_(mean);
}

at::Tensor SequenceModel::unstandardise(const at::Tensor& t) const {
  return target_normalizer_->stddev * t + target_normalizer_->mean;
}

ModelStep SequenceModel::outcome(const at::Tensor& obs, const at::Tensor& target) const {
  ModelStep out;
  out.next_obs = obs + target.narrow(-1, 0, obs_dim());
  if (learns_reward()) out.reward = target.select(-1, obs_dim()).contiguous();
  return out;
}

void SequenceModel::assign_heads(ModelState& state, at::Generator& gen) const {
  const RolloutSpec& spec = state.spec;
  if (predictors_ < 2 || spec.propagation != Propagation::kTsInf) return;
  MBRL_CHECK_ARG(spec.particles >= 1, "particles", "expected an integer >= 1, got ",
                 spec.particles);
  state.member =
      draw_groups(spec.propagation, state.rows(), spec.particles, predictors_, gen).to(device());
  // kept for the whole rollout, so its grouping is made once (heads_of_rows)
  state.groups = std::make_shared<MemberAssignment>(group_rows(state.member, predictors_));
}

at::Tensor SequenceModel::row_heads(const ModelState& state, at::Generator& gen) const {
  if (state.member.defined()) return state.member;
  return draw_groups(state.spec.propagation, state.rows(), state.spec.particles, predictors_, gen)
      .to(device());
}

at::Tensor SequenceModel::heads_of_rows(const at::Tensor& y_all, const at::Tensor& head,
                                        const MemberAssignment& groups) {
  const int64_t e = predictors_, n = y_all.size(0);
  if (n == 0) return torch::empty({0, prediction_width()}, y_all.options());
  // with members, each row reads its own member's columns
  const int64_t members = backbone_->members();
  const at::Tensor y =
      members == 1 ? y_all
                   : y_all.view({n, members, -1}).index({torch::arange(n, head.options()), head});
  // head e's rows at [e, 0 .. count_e) of an [E, width, D] batch, width the largest count
  int64_t width = 0;
  for (int64_t g = 0; g < e; ++g)
    width = std::max(width, groups.offsets[g + 1] - groups.offsets[g]);
  const at::Tensor sorted_head = head.index_select(0, groups.order);
  const at::Tensor starts = torch::tensor(
      std::vector<int64_t>(groups.offsets.begin(), groups.offsets.end() - 1), head.options());
  const at::Tensor slot =
      sorted_head * width + torch::arange(n, head.options()) - starts.index_select(0, sorted_head);
  const at::Tensor batch = torch::zeros({e * width, y.size(1)}, y.options())
                               .index_copy_(0, slot, y.index_select(0, groups.order));
  const at::Tensor out = bound(heads_->forward(batch.view({e, width, -1}))).view({e * width, -1});
  return torch::empty({n, prediction_width()}, out.options())
      .index_copy_(0, groups.order, out.index_select(0, slot));
}

at::Tensor SequenceModel::rows_targets(const at::Tensor& all, const ModelState& state,
                                       at::Generator& gen) {
  if (predictors_ == 1) return all[0];
  if (state.spec.propagation == Propagation::kExpectation) return all.mean(0);
  const at::Tensor head = row_heads(state, gen);
  return all.index({head, torch::arange(state.rows(), head.options())});
}

void SequenceModel::require_heads(const char* what) const {
  MBRL_CHECK_ARG(reports_uncertainty(), "heads", "the sequence model's ", what,
                 " needs heads >= 2, a backbone of members >= 2 or probabilistic: true (one "
                 "deterministic predictor has no spread), got heads ",
                 options_.heads());
}

SequencePrediction SequenceModel::predict(const at::Tensor& obs, const at::Tensor& act,
                                          const at::Tensor& is_first, const BackboneState& state) {
  MBRL_CHECK_SHAPE(obs, {-1, -1, obs_dim()}, "obs");
  MBRL_CHECK_SHAPE(act, {obs.size(0), obs.size(1), act_dim()}, "act");
  const at::Tensor x = input_normalizer_->forward(torch::cat({obs, act}, -1));
  auto [y, next_state] = backbone_->forward(x, is_first, state);
  const at::Tensor t = unstandardise(heads(y).narrow(-1, 0, target_dim_).mean(0));
  SequencePrediction p;
  p.next_obs = obs + t.narrow(-1, 0, obs_dim());
  if (learns_reward()) p.reward = t.select(-1, obs_dim());
  p.state = std::move(next_state);
  return p;
}

ModelLosses SequenceModel::sequence_loss(const SequenceBatch& batch_in, const at::Tensor& weights) {
  const SequenceBatch batch = batch_in.to(device());
  MBRL_CHECK_SHAPE(batch.obs, {-1, -1, obs_dim()}, "obs");
  const int64_t B = batch.batch();
  if (weights.defined()) MBRL_CHECK_SHAPE(weights, {predictors_, batch.length(), B}, "weights");
  const at::Tensor x = input_normalizer_->forward(torch::cat({batch.obs, batch.act}, -1));
  const at::Tensor y =
      backbone_->forward(x, batch.is_first, backbone_->initial_state(B, device())).first;
  const at::Tensor target = target_normalizer_->forward(
      targets(batch.obs, batch.next_obs, batch.reward, learns_reward()));
  const at::Tensor out = heads(y);                                     // [E, T, B, W]
  at::Tensor sq = (out.narrow(-1, 0, target_dim_) - target).square();  // [E, T, B, target_dim]
  at::Tensor objective =
      options_.probabilistic()
          ? gaussian_nll(out.narrow(-1, 0, target_dim_), out.narrow(-1, target_dim_, target_dim_),
                         target, options_.nll_beta())
          : sq;
  if (weights.defined()) {
    const at::Tensor w = weights.to(sq.device(), sq.scalar_type()).unsqueeze(-1);
    sq = sq * w;
    objective = objective * w;
  }
  ModelLosses losses{{"loss", objective.mean()}, {"obs_mse", sq.narrow(-1, 0, obs_dim()).mean()}};
  if (learns_reward()) losses["reward_mse"] = sq.select(-1, obs_dim()).mean();
  return losses;
}

ModelLosses SequenceModel::loss(const TransitionBatch& batch) {
  SequenceBatch one_step{batch.obs.unsqueeze(0),
                         batch.act.unsqueeze(0),
                         batch.next_obs.unsqueeze(0),
                         batch.reward.unsqueeze(0),
                         batch.terminated.unsqueeze(0),
                         batch.truncated.unsqueeze(0),
                         at::Tensor()};
  return sequence_loss(one_step);
}

ModelState SequenceModel::initial_state(const at::Tensor& obs, const RolloutSpec& spec,
                                        at::Generator& gen) {
  MBRL_CHECK_SHAPE(obs, {-1, obs_dim()}, "obs");
  ModelState s;
  s.obs = obs.to(device(), torch::kFloat32);
  s.latent = backbone_->initial_state(obs.size(0), device()).tensors;
  s.spec = spec;
  assign_heads(s, gen);
  return s;
}

ModelState SequenceModel::initial_state_after(const SequenceBatch& history_in,
                                              const RolloutSpec& spec) {
  torch::NoGradGuard no_grad;
  const SequenceBatch history = history_in.to(device());
  const int64_t N = history.batch();
  SequencePrediction p =
      predict(history.obs, history.act, history.is_first, backbone_->initial_state(N, device()));
  ModelState s;
  s.obs = history.next_obs[history.length() - 1].to(torch::kFloat32);
  s.latent = std::move(p.state.tensors);
  s.spec = spec;
  return s;
}

ModelState SequenceModel::initial_state_after(const RolloutStart& start, const RolloutSpec& spec,
                                              at::Generator& gen) {
  MBRL_CHECK_SHAPE(start.obs, {-1, obs_dim()}, "start.obs");
  if (start.history.length() == 0) return initial_state(start.obs, spec, gen);
  const int64_t n = start.rows();
  MBRL_CHECK(start.history.batch() == n, "SequenceModel: a history of ", start.history.batch(),
             " sequences for ", n, " rollout starts");
  ModelState s = initial_state_after(start.history, spec);
  s.obs = start.obs.to(device(), torch::kFloat32);
  assign_heads(s, gen);
  if (start.is_first.defined()) {
    // rows that start an episode begin with the backbone's fresh memory
    const at::Tensor fresh_rows = start.is_first.to(device(), torch::kBool);
    const BackboneState fresh = backbone_->initial_state(n, device());
    for (size_t i = 0; i < s.latent.size(); ++i) {
      std::vector<int64_t> shape(s.latent[i].dim(), 1);
      shape[0] = n;
      s.latent[i] = torch::where(fresh_rows.view(shape), fresh.tensors[i], s.latent[i]);
    }
  }
  return s;
}

std::pair<at::Tensor, BackboneState> SequenceModel::advance(const ModelState& state,
                                                            const at::Tensor& act_in) {
  const at::Tensor act = act_in.to(device(), torch::kFloat32);
  MBRL_CHECK_SHAPE(act, {state.rows(), act_dim()}, "act");
  const at::Tensor x = input_normalizer_->forward(torch::cat({state.obs, act}, -1));
  return backbone_->step(BackboneState{state.latent}, x, at::Tensor());
}

ModelState SequenceModel::next_state(const ModelState& state, const at::Tensor& next_obs,
                                     BackboneState memory) {
  ModelState s;
  s.obs = next_obs;
  s.latent = std::move(memory.tensors);
  s.member = state.member;
  s.groups = state.groups;
  s.spec = state.spec;
  return s;
}

ModelStep SequenceModel::step(const ModelState& state, const at::Tensor& act, at::Generator& gen) {
  if (predictors_ == 1 || state.spec.propagation == Propagation::kExpectation)
    return step_with_all_heads(state, act, gen).step;
  // each row through its own head only: 1/E of the heads' work of step_with_all_heads
  torch::NoGradGuard no_grad;
  auto [y, memory] = advance(state, act);
  const at::Tensor head = row_heads(state, gen);
  const auto groups =
      state.groups
          ? state.groups
          : std::make_shared<MemberAssignment>(group_rows(head, predictors_));  // drawn this step
  ModelStep r = outcome(
      state.obs, unstandardise(draw(heads_of_rows(y, head, *groups), state.spec.sample, gen)));
  r.state = next_state(state, r.next_obs, std::move(memory));
  return r;
}

UncertainModelStep SequenceModel::step_with_all_heads(const ModelState& state,
                                                      const at::Tensor& act, at::Generator& gen) {
  torch::NoGradGuard no_grad;
  auto [y, memory] = advance(state, act);
  const at::Tensor all = heads(y);  // [E, N, W]
  UncertainModelStep r;
  r.member_mean = unstandardise(all.narrow(-1, 0, target_dim_));  // [E, N, target_dim]
  if (options_.probabilistic()) {
    r.member_std =
        target_normalizer_->stddev * (0.5 * all.narrow(-1, target_dim_, target_dim_)).exp();
  }
  // (deterministic: picked among the unstandardised targets, as before there were Gaussian heads)
  r.step = outcome(state.obs,
                   options_.probabilistic()
                       ? unstandardise(draw(rows_targets(all, state, gen), state.spec.sample, gen))
                       : rows_targets(r.member_mean, state, gen));
  r.step.state = next_state(state, r.step.next_obs, std::move(memory));
  return r;
}

UncertainModelStep SequenceModel::step_with_uncertainty(const ModelState& state,
                                                        const at::Tensor& act, at::Generator& gen) {
  require_heads("uncertainty");
  UncertainModelStep r = step_with_all_heads(state, act, gen);
  // a deterministic head's sample is its mean
  const at::Tensor samples = r.member_std.defined() && state.spec.sample
                                 ? at::empty_like(r.member_mean)
                                       .normal_(0.0, 1.0, gen)
                                       .mul_(r.member_std)
                                       .add_(r.member_mean)
                                 : r.member_mean;
  r.uncertainty = ensemble_uncertainty(r.member_mean, r.member_std, samples);
  if (r.member_std.defined()) {
    // the row's own drawn target, as the ensemble scores it
    at::Tensor target = r.step.next_obs - state.obs;
    if (learns_reward()) target = torch::cat({target, r.step.reward.unsqueeze(-1)}, -1);
    r.uncertainty.log_likelihood_var = log_likelihood_variance(r.member_mean, r.member_std, target);
  }
  return r;
}

MemberSamples SequenceModel::sample_members(const at::Tensor& obs_in, const at::Tensor& act_in,
                                            int64_t samples, at::Generator& gen) {
  require_heads("member samples");
  MBRL_CHECK_ARG(samples >= 1, "samples", "expected a positive integer, got ", samples);
  MBRL_CHECK_SHAPE(obs_in, {-1, obs_dim()}, "obs");
  const at::Tensor obs = obs_in.to(device(), torch::kFloat32);
  ModelState fresh =
      initial_state(obs, RolloutSpec{Propagation::kExpectation, obs.size(0), false}, gen);
  const UncertainModelStep u = step_with_all_heads(fresh, act_in, gen);
  // [samples, E, N, target_dim]: draws of each Gaussian head, or each deterministic head repeated
  std::vector<int64_t> shape = u.member_mean.sizes().vec();
  shape.insert(shape.begin(), samples);
  const at::Tensor draws = u.member_std.defined()
                               ? at::empty(shape, u.member_mean.options())
                                     .normal_(0.0, 1.0, gen)
                                     .mul_(u.member_std)
                                     .add_(u.member_mean)
                               : u.member_mean.unsqueeze(0).expand(shape).contiguous();
  const ModelStep heads_step = outcome(obs, draws);
  MemberSamples r;
  r.next_obs = heads_step.next_obs;
  if (learns_reward()) r.reward = heads_step.reward;
  r.rollout_members = torch::arange(predictors_, torch::dtype(torch::kInt64).device(device()));
  r.uncertainty = ensemble_uncertainty(u.member_mean, u.member_std, draws[0]);
  return r;
}

ModelArchitecture SequenceModel::architecture() const {
  const auto& o = options_;
  ModelArchitecture a{{"obs_dim", std::to_string(o.obs_dim())},
                      {"act_dim", std::to_string(o.act_dim())},
                      {"backbone", backbone_->type()},
                      {"backbone_output_size", std::to_string(backbone_->output_size())},
                      {"head_layers", std::to_string(o.head_layers())},
                      {"head_hidden_size", std::to_string(o.head_hidden_size())},
                      {"heads", std::to_string(o.heads())},
                      {"learn_reward", o.learn_reward() ? "true" : "false"}};
  // only where there are several, so files of one-member models stay readable
  if (backbone_->members() > 1)
    a.emplace_back("backbone_members", std::to_string(backbone_->members()));
  if (o.probabilistic()) {
    a.emplace_back("probabilistic", "true");
    a.emplace_back("logvar_bounds",
                   std::to_string(o.min_logvar()) + " " + std::to_string(o.max_logvar()));
  }
  return a;
}

void SequenceModel::save(torch::serialize::OutputArchive& archive) const {
  write_model_state(archive, type(), architecture(), *this);
}

void SequenceModel::load(torch::serialize::InputArchive& archive, const std::string& source) {
  read_model_state(archive, source, type(), architecture(), *this)();
}

SequenceModelOptions sequence_model_options_from_config(const ConfigNode& node, int64_t obs_dim,
                                                        int64_t act_dim) {
  SequenceModelOptions o(obs_dim, act_dim);
  MBRL_READ_OPTION(node, o, head_layers);
  MBRL_READ_OPTION(node, o, head_hidden_size);
  MBRL_READ_OPTION(node, o, heads);
  MBRL_READ_OPTION(node, o, learn_reward);
  MBRL_READ_OPTION(node, o, probabilistic);
  MBRL_READ_OPTION(node, o, nll_beta);
  MBRL_READ_OPTION(node, o, min_logvar);
  MBRL_READ_OPTION(node, o, max_logvar);
  return o;
}

}  // namespace mbrl

// LsseModel: the grouped soft-binning encoding, linear predictions, rollout steps, save/load.
#include "mbrl/models/lsse_model.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "mbrl/config/config_node.h"
#include "mbrl/core/check.h"

namespace mbrl {

LsseModel::LsseModel(const LsseOptions& options, std::optional<at::Generator> init_gen)
    : options_(options) {
  const auto& o = options_;
  MBRL_CHECK_ARG(o.obs_dim() >= 1, "obs_dim", "expected an integer >= 1, got ", o.obs_dim());
  MBRL_CHECK_ARG(o.act_dim() >= 1, "act_dim", "expected an integer >= 1, got ", o.act_dim());
  MBRL_CHECK_ARG(o.num_groups() >= 1, "num_groups", "expected an integer >= 1, got ",
                 o.num_groups());
  MBRL_CHECK_ARG(o.bin_dim() >= 1 && o.bin_dim() <= 8, "bin_dim",
                 "expected an integer in [1, 8], got ", o.bin_dim());
  MBRL_CHECK_ARG(o.num_bins() >= 2, "num_bins", "expected an integer >= 2, got ", o.num_bins());
  MBRL_CHECK_ARG(o.squash() == "tanh" || o.squash() == "clamp", "squash",
                 "expected 'tanh' or 'clamp', got '", o.squash(), "'");
  MBRL_CHECK_ARG(std::isfinite(o.bin_range()) && o.bin_range() > 0, "bin_range",
                 "expected a finite number > 0, got ", o.bin_range());
  // D = G K^k must index a weight row with a 32-bit integer (the sparse solver's column type)
  constexpr double kMaxFeatures = 2147483647.0;
  const double cells = std::pow(static_cast<double>(o.num_bins()), o.bin_dim());
  MBRL_CHECK_ARG(cells * static_cast<double>(o.num_groups()) <= kMaxFeatures, "num_bins",
                 "expected num_groups * num_bins^bin_dim <= 2^31 - 1, got ", o.num_groups(), " * ",
                 o.num_bins(), "^", o.bin_dim());
  std::vector<int64_t> keep;
  for (int64_t d = 0; d < o.obs_dim(); ++d) {
    const auto& a = o.angle_dims();
    const bool angle = std::find(a.begin(), a.end(), d) != a.end();
    if (!angle) keep.push_back(d);
  }
  const auto n_angles = o.obs_dim() - static_cast<int64_t>(keep.size());
  MBRL_CHECK_ARG(n_angles == static_cast<int64_t>(o.angle_dims().size()) &&
                     std::all_of(o.angle_dims().begin(), o.angle_dims().end(),
                                 [&](int64_t d) { return d >= 0 && d < o.obs_dim(); }),
                 "angle_dims", "expected distinct observation dims in [0, ", o.obs_dim(), "), got ",
                 detail::list_text(o.angle_dims()));
  keep_dims_ = torch::tensor(keep, torch::kInt64);
  angle_dims_ = torch::tensor(o.angle_dims(), torch::kInt64);
  input_dim_ = o.obs_dim() + n_angles + o.act_dim();
  std::vector<int64_t> strides(o.bin_dim(), 1), bits;
  for (int64_t i = 1; i < o.bin_dim(); ++i) strides[i] = strides[i - 1] * o.num_bins();
  for (int64_t c = 0; c < (int64_t{1} << o.bin_dim()); ++c) {
    for (int64_t i = 0; i < o.bin_dim(); ++i) bits.push_back((c >> i) & 1);
  }
  axis_strides_ = torch::tensor(strides, torch::kInt64);
  corner_bits_ = torch::tensor(bits, torch::kInt64).view({-1, o.bin_dim()});
  num_features_ = o.num_groups() * strides.back() * o.num_bins();
  target_dim_ = o.obs_dim() + (o.learn_reward() ? 1 : 0);

  at::Tensor p = torch::empty({o.num_groups() * o.bin_dim(), input_dim_});
  if (init_gen) {
    p.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(input_dim_)), *init_gen);
  } else {
    p.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(input_dim_)));
  }
  projection = register_buffer("projection", p);
  weight = register_buffer("weight", torch::zeros({num_features_, target_dim_}));
  normalizer = register_module("normalizer", InputNormalizer(input_dim_));
}

at::Tensor LsseModel::inputs(const at::Tensor& obs_in, const at::Tensor& act) const {
  at::Tensor obs = obs_in.to(torch::kFloat32);
  at::Tensor a = act.to(torch::kFloat32);
  if (options_.angle_dims().empty()) return torch::cat({obs, a}, 1);
  at::Tensor angles = obs.index_select(1, angle_dims_.to(obs.device()));
  return torch::cat(
      {obs.index_select(1, keep_dims_.to(obs.device())), angles.sin(), angles.cos(), a}, 1);
}

SparseFeatures LsseModel::features(const at::Tensor& obs, const at::Tensor& act) const {
  MBRL_CHECK_SHAPE(obs, {-1, obs_dim()}, "obs");
  MBRL_CHECK_SHAPE(act, {obs.size(0), act_dim()}, "act");
  const int64_t n = obs.size(0), g = options_.num_groups(), k = options_.bin_dim();
  const int64_t bins = options_.num_bins();
  const double r = options_.bin_range(), last = static_cast<double>(bins - 1);
  at::Tensor z = at::matmul(normalizer->forward(inputs(obs, act)), projection.t());
  // grid coordinate u of each projection in [0, K - 1]
  at::Tensor u = options_.squash() == "tanh" ? z.div_(r).tanh_().add_(1.0).mul_(0.5 * last)
                                             : z.clamp_(-r, r).add_(r).mul_(last / (2.0 * r));
  // the cell of each group: its lower corner per axis and the fraction inside it
  at::Tensor lower = u.floor().clamp_(0, static_cast<double>(bins - 2));
  at::Tensor frac = (u - lower).view({n, g, 1, k});
  at::Tensor bits = corner_bits_.to(u.device());  // [2^k, k]
  at::Tensor corner = lower.to(torch::kInt64).view({n, g, 1, k}) + bits;
  at::Tensor cell = (corner * axis_strides_.to(u.device())).sum(-1);  // [n, g, 2^k]
  at::Tensor group_base = torch::arange(g, cell.options()).mul_(num_features_ / g).view({1, g, 1});
  // multilinear weight of each corner: prod_i (frac_i if the corner is upper on axis i, else 1 -)
  at::Tensor weight = torch::where(bits.to(torch::kBool), frac, 1.0 - frac).prod(-1);
  SparseFeatures f;
  f.index = (cell + group_base).view({n, -1});
  f.value = weight.view({n, -1});
  return f;
}

at::Tensor LsseModel::dense_features(const at::Tensor& obs, const at::Tensor& act) const {
  SparseFeatures f = features(obs, act);
  return torch::zeros({obs.size(0), num_features_}, f.value.options())
      .scatter_add_(1, f.index, f.value);
}

at::Tensor LsseModel::predict(const at::Tensor& obs, const at::Tensor& act) const {
  SparseFeatures f = features(obs.to(device()), act.to(device()));
  const int64_t n = f.index.size(0), s = f.index.size(1);
  // sum over the active features of value * W[index]: a gather, not a dense product
  at::Tensor rows = weight.index_select(0, f.index.reshape(-1)).view({n, s, target_dim_});
  return (rows * f.value.unsqueeze(-1)).sum(1);
}

at::Tensor LsseModel::targets(const TransitionBatch& data) const {
  at::Tensor delta = data.next_obs.to(torch::kFloat32) - data.obs.to(torch::kFloat32);
  if (!learns_reward()) return delta;
  return torch::cat({delta, data.reward.to(torch::kFloat32).unsqueeze(1)}, 1);
}

void LsseModel::fit_normalizer_once(const TransitionBatch& data) {
  if (normalizer->fitted()) return;
  normalizer->fit(inputs(data.obs.to(device()), data.act.to(device())));
}

void LsseModel::set_weight(const at::Tensor& w) {
  MBRL_CHECK_SHAPE(w, {num_features_, target_dim_}, "weight");
  torch::NoGradGuard no_grad;
  weight.copy_(w);
}

ModelState LsseModel::initial_state(const at::Tensor& obs, const RolloutSpec& spec,
                                    at::Generator&) {
  MBRL_CHECK_SHAPE(obs, {-1, obs_dim()}, "obs");
  ModelState s;
  s.obs = obs.to(device(), torch::kFloat32);
  s.spec = spec;
  return s;
}

ModelStep LsseModel::step(const ModelState& state, const at::Tensor& act, at::Generator&) {
  torch::NoGradGuard no_grad;
  MBRL_CHECK_SHAPE(act, {state.rows(), act_dim()}, "act");
  at::Tensor y = predict(state.obs, act);
  ModelStep t;
  t.next_obs = state.obs + y.narrow(1, 0, obs_dim());
  if (learns_reward()) t.reward = y.select(1, obs_dim()).contiguous();
  t.state.obs = t.next_obs;
  t.state.spec = state.spec;
  return t;
}

ModelLosses LsseModel::loss(const TransitionBatch& batch_in) {
  TransitionBatch batch = batch_in.to(device());
  batch.check(obs_dim(), act_dim());
  at::Tensor mse = (predict(batch.obs, batch.act) - targets(batch)).square().mean();
  return {{"loss", mse}, {"mse", mse}};
}

ModelArchitecture LsseModel::architecture() const {
  const auto& o = options_;
  return {{"obs_dim", std::to_string(o.obs_dim())},
          {"act_dim", std::to_string(o.act_dim())},
          {"num_groups", std::to_string(o.num_groups())},
          {"bin_dim", std::to_string(o.bin_dim())},
          {"num_bins", std::to_string(o.num_bins())},
          {"squash", o.squash()},
          {"bin_range", detail::str(o.bin_range())},
          {"learn_reward", o.learn_reward() ? "true" : "false"},
          {"angle_dims", detail::list_text(o.angle_dims())}};
}

void LsseModel::save(torch::serialize::OutputArchive& archive) const {
  write_model_state(archive, type(), architecture(), *this);
}

void LsseModel::load(torch::serialize::InputArchive& archive, const std::string& source) {
  read_model_state(archive, source, type(), architecture(), *this)();
}

LsseOptions lsse_options_from_config(const ConfigNode& node, int64_t obs_dim, int64_t act_dim) {
  LsseOptions o(obs_dim, act_dim);
  MBRL_READ_OPTION(node, o, num_groups);
  MBRL_READ_OPTION(node, o, bin_dim);
  MBRL_READ_OPTION(node, o, num_bins);
  MBRL_READ_OPTION(node, o, squash);
  MBRL_READ_OPTION(node, o, bin_range);
  MBRL_READ_OPTION(node, o, learn_reward);
  MBRL_READ_OPTION(node, o, angle_dims);
  return o;
}

}  // namespace mbrl

// GaussianMlpEnsemble: input features, targets, the batched forward, the loss, and save/load.
#include "mbrl/models/gaussian_mlp_ensemble.h"

#include <algorithm>
#include <set>
#include <sstream>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/models/ensemble_inference.h"

namespace mbrl {
namespace {

// every entry in [0, obs_dim) and no repeats
bool valid_obs_dims(const std::vector<int64_t>& dims, int64_t obs_dim) {
  std::set<int64_t> seen;
  for (int64_t d : dims) {
    if (d < 0 || d >= obs_dim || !seen.insert(d).second) return false;
  }
  return true;
}

}  // namespace

GaussianMlpEnsemble::GaussianMlpEnsemble(const GaussianMlpEnsembleOptions& options,
                                         std::optional<at::Generator> init_gen)
    : options_(options) {
  check_options();
  const int64_t o = options_.obs_dim();
  const int64_t n_angles = static_cast<int64_t>(options_.angle_dims().size());
  input_dim_ = o + n_angles + options_.act_dim();
  target_dim_ = o + (options_.learn_reward() ? 1 : 0);
  output_columns_ =
      target_dim_ * (options_.deterministic() ? 1 : 2) + (options_.learn_termination() ? 1 : 0);

  // hidden layers, then the output layer
  const int64_t e = options_.ensemble_size();
  int64_t in = input_dim_;
  for (int64_t l = 0; l <= options_.num_layers(); ++l) {
    const bool output = l == options_.num_layers();
    const int64_t out = output ? output_columns_ : options_.hidden_size();
    auto layer = EnsembleLinear(EnsembleLinearOptions(e, in, out));
    layer->reset_parameters(init_gen);
    layers_.push_back(register_module(output ? "output" : "hidden" + std::to_string(l), layer));
    in = out;
  }

  const auto& wd = options_.weight_decay();
  const auto n_layers = static_cast<size_t>(options_.num_layers() + 1);
  layer_decay_ = wd.size() == n_layers ? wd : std::vector<double>(n_layers, wd.empty() ? 0 : wd[0]);

  const bool learn = options_.learn_logvar_bounds();
  min_logvar = register_parameter("min_logvar", torch::full({target_dim_}, options_.min_logvar()),
                                  /*requires_grad=*/learn);
  max_logvar = register_parameter("max_logvar", torch::full({target_dim_}, options_.max_logvar()),
                                  /*requires_grad=*/learn);
  normalizer = register_module("normalizer", InputNormalizer(input_dim_));

  // which observation dims are angles and which targets are differences
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < o; ++i) {
    const auto& a = options_.angle_dims();
    if (std::find(a.begin(), a.end(), i) == a.end()) keep.push_back(i);
  }
  keep_dims_ = torch::tensor(keep, torch::kInt64);
  angle_dims_ = torch::tensor(options_.angle_dims(), torch::kInt64);
  delta_mask_ = torch::ones({o});
  for (int64_t i : options_.no_delta_list()) delta_mask_[i].fill_(0.0);

  elites_.resize(e);
  for (int64_t i = 0; i < e; ++i) elites_[i] = i;
}

void GaussianMlpEnsemble::check_options() const {
  const auto& o = options_;
  MBRL_CHECK_ARG(o.obs_dim() >= 1, "obs_dim", "expected an integer >= 1, got ", o.obs_dim());
  MBRL_CHECK_ARG(o.act_dim() >= 1, "act_dim", "expected an integer >= 1, got ", o.act_dim());
  MBRL_CHECK_ARG(o.ensemble_size() >= 1, "ensemble_size", "expected an integer >= 1, got ",
                 o.ensemble_size());
  MBRL_CHECK_ARG(o.num_layers() >= 1, "num_layers", "expected an integer >= 1, got ",
                 o.num_layers());
  MBRL_CHECK_ARG(o.hidden_size() >= 1, "hidden_size", "expected an integer >= 1, got ",
                 o.hidden_size());
  MBRL_CHECK_ARG(o.min_logvar() < o.max_logvar(), "min_logvar", "expected less than max_logvar (",
                 o.max_logvar(), "), got ", o.min_logvar());
  const size_t n_wd = o.weight_decay().size();
  MBRL_CHECK_ARG(n_wd <= 1 || n_wd == static_cast<size_t>(o.num_layers() + 1), "weight_decay",
                 "expected one number or num_layers + 1 = ", o.num_layers() + 1, " numbers, got ",
                 n_wd);
  for (double wd : o.weight_decay()) {
    MBRL_CHECK_ARG(wd >= 0, "weight_decay", "expected numbers >= 0, got ", wd);
  }
  MBRL_CHECK_ARG(valid_obs_dims(o.no_delta_list(), o.obs_dim()), "no_delta_list",
                 "expected distinct observation dims in [0, ", o.obs_dim(), "), got ",
                 detail::list_text(o.no_delta_list()));
  MBRL_CHECK_ARG(valid_obs_dims(o.angle_dims(), o.obs_dim()), "angle_dims",
                 "expected distinct observation dims in [0, ", o.obs_dim(), "), got ",
                 detail::list_text(o.angle_dims()));
  MBRL_CHECK_ARG(o.num_elites() >= 1 && o.num_elites() <= o.ensemble_size(), "num_elites",
                 "expected an integer in [1, ensemble_size = ", o.ensemble_size(), "], got ",
                 o.num_elites());
  check_sample_weighting_options(o.sample_weighting());
  MBRL_CHECK_ARG(o.vagram_clip_quantile() > 0 && o.vagram_clip_quantile() <= 1,
                 "vagram_clip_quantile", "expected a number in (0, 1], got ",
                 o.vagram_clip_quantile());
}

EnsembleLoss parse_ensemble_loss(const std::string& name) {
  if (name == "nll") return EnsembleLoss::kNll;
  if (name == "mse") return EnsembleLoss::kMse;
  if (name == "vagram") return EnsembleLoss::kVagram;
  throw InvalidArgument("loss", "expected one of nll, mse, vagram, got '" + name + "'");
}

const char* ensemble_loss_name(EnsembleLoss loss) {
  switch (loss) {
    case EnsembleLoss::kNll:
      return "nll";
    case EnsembleLoss::kMse:
      return "mse";
    case EnsembleLoss::kVagram:
      return "vagram";
  }
  return "?";
}

at::Tensor GaussianMlpEnsemble::input_features(const at::Tensor& obs, const at::Tensor& act) const {
  if (options_.angle_dims().empty()) return at::cat({obs, act}, -1);
  const auto dev = obs.device();
  at::Tensor angles = obs.index_select(-1, angle_dims_.to(dev));
  return at::cat({obs.index_select(-1, keep_dims_.to(dev)), angles.sin(), angles.cos(), act}, -1);
}

at::Tensor GaussianMlpEnsemble::normalized_inputs(const at::Tensor& obs,
                                                  const at::Tensor& act) const {
  return normalizer->forward(input_features(obs, act));
}

void GaussianMlpEnsemble::fit_normalizer(const TransitionBatch& data) {
  data.check(obs_dim(), act_dim());
  normalizer->fit(input_features(data.obs.to(device()), data.act.to(device())));
}

at::Tensor GaussianMlpEnsemble::targets(const TransitionBatch& data) const {
  at::Tensor mask = delta_mask_.to(data.obs.device());
  at::Tensor y = data.next_obs - data.obs * mask;
  if (!options_.learn_reward()) return y;
  return at::cat({y, data.reward.to(y.dtype()).unsqueeze(-1)}, -1);
}

at::Tensor GaussianMlpEnsemble::next_obs(const at::Tensor& obs, const at::Tensor& target) const {
  const int64_t o = obs_dim();
  at::Tensor y = target.size(-1) == o ? target : target.narrow(-1, 0, o);
  return y + obs * delta_mask_.to(obs.device());
}

EnsembleOutput GaussianMlpEnsemble::forward(const at::Tensor& x) {
  MBRL_CHECK_SHAPE(x, {ensemble_size(), -1, input_dim_}, "x");
  at::Tensor h = x;
  const auto n = static_cast<int64_t>(layers_.size());
  for (int64_t l = 0; l + 1 < n; ++l) h = apply_activation(options_.activation(), layers_[l](h));
  return split_output(layers_.back()(h));
}

EnsembleOutput GaussianMlpEnsemble::predict(const at::Tensor& obs, const at::Tensor& act) {
  MBRL_CHECK_SHAPE(obs, {-1, obs_dim()}, "obs");
  MBRL_CHECK_SHAPE(act, {obs.size(0), act_dim()}, "act");
  at::Tensor x = normalized_inputs(obs, act);
  return forward(x.unsqueeze(0).expand({ensemble_size(), x.size(0), input_dim_}).contiguous());
}

EnsembleOutput GaussianMlpEnsemble::split_output(const at::Tensor& raw) const {
  const int64_t d = target_dim_;
  EnsembleOutput out;
  out.mean = raw.narrow(-1, 0, d);
  if (!options_.deterministic()) {
    at::Tensor lv = max_logvar - at::softplus(max_logvar - raw.narrow(-1, d, d));
    out.logvar = min_logvar + at::softplus(lv - min_logvar);
  }
  if (options_.learn_termination()) out.termination_logit = raw.select(-1, output_columns_ - 1);
  return out;
}

at::Tensor GaussianMlpEnsemble::loss(const at::Tensor& x, const at::Tensor& y,
                                     const at::Tensor& terminated, const at::Tensor& weights) {
  MBRL_CHECK_SHAPE(y, {ensemble_size(), x.size(1), target_dim_}, "y");
  if (weights.defined())
    MBRL_CHECK_SHAPE(weights, {ensemble_size(), x.size(1), target_dim_}, "weights");
  EnsembleOutput out = forward(x);
  at::Tensor err2 = (out.mean - y).square();
  at::Tensor element = options_.deterministic() ? err2 : err2 * (-out.logvar).exp() + out.logvar;
  if (weights.defined()) element = element * weights;

  // per member: mean over rows and dims; then summed over members
  at::Tensor total = element.mean({1, 2}).sum();
  if (options_.learn_logvar_bounds()) total = total + 0.01 * (max_logvar.sum() - min_logvar.sum());
  if (options_.learn_termination()) {
    MBRL_CHECK(terminated.defined(), "GaussianMlpEnsemble::loss: learn_termination needs targets");
    total = total + at::binary_cross_entropy_with_logits(out.termination_logit, terminated, {}, {},
                                                         at::Reduction::None)
                        .mean(1)
                        .sum();
  }
  return total;
}

at::Tensor GaussianMlpEnsemble::weight_decay_penalty() const {
  at::Tensor total = torch::zeros({}, max_logvar.options().requires_grad(false));
  for (size_t l = 0; l < layers_.size(); ++l) {
    if (layer_decay_[l] > 0)
      total = total + 0.5 * layer_decay_[l] * layers_[l]->weight.square().sum();
  }
  return total;
}

void GaussianMlpEnsemble::set_elites(std::vector<int64_t> elites) {
  std::sort(elites.begin(), elites.end());
  elites.erase(std::unique(elites.begin(), elites.end()), elites.end());
  MBRL_CHECK_ARG(!elites.empty() && elites.front() >= 0 && elites.back() < ensemble_size(),
                 "elites", "expected member indices in [0, ", ensemble_size(), "), got ",
                 detail::list_text(elites));
  elites_ = std::move(elites);
}

std::vector<at::Tensor> GaussianMlpEnsemble::member_parameters() const {
  std::vector<at::Tensor> out;
  for (const auto& layer : layers_) {
    out.push_back(layer->weight);
    out.push_back(layer->bias);
  }
  return out;
}

}  // namespace mbrl

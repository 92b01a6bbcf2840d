// LatentDisagreement: batched heads, their regression step and their spread.
#include "mbrl/models/world/latent_disagreement.h"

#include <cmath>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/core/error.h"
#include "mbrl/io/checkpoint_archive.h"

namespace mbrl {

LatentDisagreement::LatentDisagreement(LatentDisagreementOptions options) : options_(options) {
  const auto& o = options_;
  check_positive(o.feature_size(), "feature_size");
  check_positive(o.act_dim(), "act_dim");
  check_positive(o.target_size(), "target_size");
  MBRL_CHECK_ARG(o.heads() >= 2, "heads", "expected an integer >= 2 (a spread needs two), got ",
                 o.heads());
  check_positive(o.units(), "units");
  check_positive(o.layers(), "layers");
  MBRL_CHECK_ARG(o.lr() > 0, "lr", "expected a number > 0, got ", o.lr());
  MBRL_CHECK_ARG(o.adam_eps() > 0, "adam_eps", "expected a number > 0, got ", o.adam_eps());
  MBRL_CHECK_ARG(o.grad_clip() > 0, "grad_clip", "expected a number > 0, got ", o.grad_clip());
  int64_t in = o.feature_size() + o.act_dim();
  for (int64_t l = 0; l < o.layers(); ++l) {
    const std::string i = std::to_string(l);
    hidden_.push_back(register_module(
        "hidden" + i, EnsembleLinear(EnsembleLinearOptions(o.heads(), in, o.units()))));
    norm_scale_.push_back(
        register_parameter("norm_scale" + i, torch::ones({o.heads(), 1, o.units()})));
    norm_offset_.push_back(
        register_parameter("norm_offset" + i, torch::zeros({o.heads(), 1, o.units()})));
    in = o.units();
  }
  output_ = register_module("output",
                            EnsembleLinear(EnsembleLinearOptions(o.heads(), in, o.target_size())));
  optimizer_ = std::make_unique<torch::optim::Adam>(
      parameters(), torch::optim::AdamOptions(o.lr()).eps(o.adam_eps()));
}

LatentDisagreement::~LatentDisagreement() = default;

at::Tensor LatentDisagreement::predict(const at::Tensor& features, const at::Tensor& action) {
  MBRL_CHECK_SHAPE(features, {-1, options_.feature_size()}, "features");
  MBRL_CHECK_SHAPE(action, {features.size(0), options_.act_dim()}, "action");
  at::Tensor x = torch::cat({features, action}, -1)
                     .unsqueeze(0)
                     .expand({options_.heads(), -1, -1});  // [E, N, F + A]
  for (size_t l = 0; l < hidden_.size(); ++l) {
    x = hidden_[l]->forward(x);
    x = torch::layer_norm(x, {options_.units()}) * norm_scale_[l] + norm_offset_[l];
    x = torch::silu(x);
  }
  return output_->forward(x);
}

at::Tensor LatentDisagreement::disagreement(const at::Tensor& features, const at::Tensor& action) {
  torch::NoGradGuard no_grad;
  return predict(features, action).std(0, /*unbiased=*/false).mean(-1);
}

double LatentDisagreement::train(const at::Tensor& features, const at::Tensor& action,
                                 const at::Tensor& valid) {
  MBRL_CHECK_SHAPE(features, {-1, -1, options_.feature_size()}, "features");
  const int64_t t = features.size(0), b = features.size(1);
  MBRL_CHECK_ARG(t >= 2, "features", "expected at least two steps per sequence, got ", t);
  MBRL_CHECK_SHAPE(action, {t - 1, b, options_.act_dim()}, "action");
  MBRL_CHECK_SHAPE(valid, {t - 1, b}, "valid");
  const int64_t target_size = options_.target_size();
  const at::Tensor mask = valid.reshape({-1}).nonzero().squeeze(1);
  if (mask.numel() == 0) return 0.0;
  // transitions t -> t + 1: inputs [h_t, z_t, a_t], target z_{t+1}, stop-gradient
  const at::Tensor in_features =
      features.narrow(0, 0, t - 1).reshape({-1, features.size(2)}).detach().index_select(0, mask);
  const at::Tensor in_action = action.reshape({-1, action.size(2)}).detach().index_select(0, mask);
  const at::Tensor target = features.narrow(0, 1, t - 1)
                                .narrow(2, features.size(2) - target_size, target_size)
                                .reshape({-1, target_size})
                                .detach()
                                .index_select(0, mask);
  torch::AutoGradMode grad(true);
  const at::Tensor loss =
      (predict(in_features, in_action) - target.unsqueeze(0)).square().sum(-1).mean(-1).sum();
  const double value = loss.item<double>();
  if (!std::isfinite(value)) throw NonFiniteError("dreamer: non-finite disagreement loss");
  optimizer_->zero_grad();
  loss.backward();
  torch::nn::utils::clip_grad_norm_(parameters(), options_.grad_clip());
  optimizer_->step();
  return value;
}

void LatentDisagreement::save_training_state(torch::serialize::OutputArchive& archive) const {
  checkpoint::write_nested(archive, "optimizer",
                           [&](torch::serialize::OutputArchive& a) { optimizer_->save(a); });
}

void LatentDisagreement::load_training_state(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive opt = checkpoint::read_nested(archive, "optimizer");
  optimizer_->load(opt);
}

}  // namespace mbrl

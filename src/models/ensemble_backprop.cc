// EnsembleBackprop: the ensemble's forward, loss and backward by hand, rows split across threads.
#include "mbrl/models/ensemble_backprop.h"

#include <cmath>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "../nn/vector_kernels.h"
#include "mbrl/core/check.h"
#include "mbrl/core/device.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"

namespace mbrl {
namespace {

// as at::softplus (beta 1, threshold 20)
inline float softplus(float x) { return x > 20.0f ? x : std::log1p(std::exp(x)); }
inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace

EnsembleBackprop::EnsembleBackprop(std::shared_ptr<GaussianMlpEnsemble> model)
    : model_(std::move(model)) {
  MBRL_ASSERT(model_ != nullptr, "EnsembleBackprop needs a model");
  MBRL_ASSERT(model_->device().is_cpu(), "EnsembleBackprop runs on the CPU only");
  const auto& layers = model_->layers();
  for (size_t l = 0; l < layers.size(); ++l) {
    params_.push_back(layers[l]->weight);
    decay_.push_back(model_->layer_weight_decay()[l]);
    params_.push_back(layers[l]->bias);
    decay_.push_back(0.0);
  }
  if (model_->options().learn_logvar_bounds()) {
    params_.push_back(model_->max_logvar);
    params_.push_back(model_->min_logvar);
    decay_.insert(decay_.end(), {0.0, 0.0});
  }
}

void EnsembleBackprop::allocate(int64_t batch, int64_t parts) {
  if (batch == batch_ && parts == parts_) return;
  const int64_t e = model_->ensemble_size(), w = model_->options().hidden_size();
  const int64_t cols = model_->output_columns();
  const bool silu = model_->options().activation() == Activation::kSilu;
  hidden_.clear();
  sigmoid_.clear();
  for (int64_t l = 0; l < model_->options().num_layers(); ++l) {
    hidden_.push_back(torch::empty({e, batch, w}));
    sigmoid_.push_back(silu ? torch::empty({e, batch, w}) : at::Tensor());
  }
  out_ = torch::empty({e, batch, cols});
  const int64_t max_rows = (batch + parts - 1) / parts;
  const int64_t width = std::max({w, cols, model_->input_dim()});
  scratch_.assign(parts, at::Tensor());
  grad_parts_.assign(parts, {});
  for (int64_t p = 0; p < parts; ++p) {
    scratch_[p] = torch::empty({2, max_rows * width});
    for (const auto& param : params_) grad_parts_[p].push_back(torch::zeros_like(param));
  }
  batch_ = batch;
  parts_ = parts;
}

double EnsembleBackprop::compute(const at::Tensor& x, const at::Tensor& y,
                                 const at::Tensor& terminated, const at::Tensor& weights,
                                 int64_t total_rows, bool add_bound_term) {
  torch::NoGradGuard no_grad;
  const int64_t e = model_->ensemble_size(), batch = x.size(1);
  MBRL_CHECK_SHAPE(x, {e, -1, model_->input_dim()}, "x");
  MBRL_CHECK_SHAPE(y, {e, batch, model_->target_dim()}, "y");
  MBRL_ASSERT(x.is_contiguous() && y.is_contiguous() && x.is_cpu(), "contiguous CPU inputs");
  const bool learn_term = model_->options().learn_termination();
  if (learn_term) MBRL_CHECK_SHAPE(terminated, {e, batch}, "terminated");
  const at::Tensor term = learn_term ? terminated.contiguous() : at::Tensor();
  if (weights.defined()) MBRL_CHECK_SHAPE(weights, {e, batch, model_->target_dim()}, "weights");
  const at::Tensor w = weights.defined() ? weights.contiguous() : at::Tensor();

  // the run's thread count, not the threads running now (share_cpus): the partial gradients and
  // so the sum of them do not depend on how many threads run the parts
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(configured_threads(), batch));
  allocate(batch, parts);
  // the rows every per-row term is averaged over: this batch, or the minibatch it is a shard of
  const int64_t mean_rows = total_rows > 0 ? total_rows : batch;
  MBRL_CHECK(mean_rows >= batch, "EnsembleBackprop: total_rows ", total_rows, " < batch ", batch);
  const bool bounds = model_->options().learn_logvar_bounds();
  if (bounds) {
    for (auto& g : grad_parts_) {
      g[g.size() - 2].zero_();
      g[g.size() - 1].zero_();
    }
  }

  // every part runs all members on its rows; losses are summed per member afterwards
  std::vector<std::vector<std::pair<double, double>>> sums(
      parts, std::vector<std::pair<double, double>>(e));
  at::parallel_for(0, parts, 1, [&](int64_t p0, int64_t p1) {
    torch::NoGradGuard guard;
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t r0 = p * batch / parts, r1 = (p + 1) * batch / parts;
      for (int64_t m = 0; m < e; ++m)
        sums[p][m] = run_tile(p, m, r0, r1 - r0, mean_rows, x, y, term, w);
    }
  });

  // per-member means; the bound regularizer enters once (through part 0)
  const double inv = 1.0 / static_cast<double>(mean_rows * model_->target_dim());
  double total = 0.0;
  member_losses_.assign(e, 0.0);
  for (int64_t m = 0; m < e; ++m) {
    for (int64_t p = 0; p < parts; ++p) {
      member_losses_[m] +=
          sums[p][m].first * inv + sums[p][m].second / static_cast<double>(mean_rows);
    }
    total += member_losses_[m];
  }
  if (bounds && add_bound_term) {
    auto& g = grad_parts_[0];
    g[g.size() - 2].add_(0.01);
    g[g.size() - 1].sub_(0.01);
    total += 0.01 * (model_->max_logvar.sum() - model_->min_logvar.sum()).item<double>();
  }
  return total;
}

std::pair<double, double> EnsembleBackprop::run_tile(int64_t p, int64_t m, int64_t r0, int64_t n,
                                                     int64_t batch, const at::Tensor& x,
                                                     const at::Tensor& y,
                                                     const at::Tensor& terminated,
                                                     const at::Tensor& weights) {
  const auto& layers = model_->layers();
  const auto n_layers = static_cast<int64_t>(layers.size());
  const Activation act = model_->options().activation();
  const bool silu = act == Activation::kSilu;
  auto weight = [&](int64_t l) { return layers[l]->weight.detach().select(0, m); };
  auto bias = [&](int64_t l) { return layers[l]->bias.detach().select(0, m); };
  auto rows = [&](const at::Tensor& t) { return t.select(0, m).narrow(0, r0, n); };

  // forward, keeping each hidden layer's output (and sigmoid for silu)
  at::Tensor h = rows(x);
  for (int64_t l = 0; l + 1 < n_layers; ++l) {
    at::Tensor z = rows(hidden_[l]);
    at::addmm_out(z, bias(l), h, weight(l));
    at::Tensor s = silu ? rows(sigmoid_[l]) : at::Tensor();
    apply_activation_(act, z, silu ? &s : nullptr);
    h = z;
  }
  at::Tensor o = rows(out_);
  at::addmm_out(o, bias(n_layers - 1), h, weight(n_layers - 1));

  // loss and its gradient with respect to the raw outputs
  const int64_t cols = model_->output_columns();
  at::Tensor buf0 = scratch_[p][0], buf1 = scratch_[p][1];
  at::Tensor dz = buf0.narrow(0, 0, n * cols).view({n, cols});
  const bool bounds = model_->options().learn_logvar_bounds();
  auto& grads = grad_parts_[p];
  const auto sums = output_gradient(
      o.data_ptr<float>(), rows(y).data_ptr<float>(),
      weights.defined() ? rows(weights).data_ptr<float>() : nullptr,
      terminated.defined() ? rows(terminated).data_ptr<float>() : nullptr, n, batch,
      dz.data_ptr<float>(), bounds ? grads[grads.size() - 2].data_ptr<float>() : nullptr,
      bounds ? grads[grads.size() - 1].data_ptr<float>() : nullptr);

  // backward: weight and bias gradients of each layer, then the gradient of its input
  for (int64_t l = n_layers - 1; l >= 0; --l) {
    at::Tensor h_in = l == 0 ? rows(x) : rows(hidden_[l - 1]);
    at::Tensor dw = grads[2 * l].select(0, m), db = grads[2 * l + 1].select(0, m);
    at::mm_out(dw, h_in.t(), dz);
    detail::column_sums(dz.data_ptr<float>(), n, dz.size(1), db.data_ptr<float>());
    if (l == 0) break;
    const int64_t width = h_in.size(1);
    at::Tensor& next = (dz.data_ptr() == buf0.data_ptr()) ? buf1 : buf0;
    at::Tensor dh = next.narrow(0, 0, n * width).view({n, width});
    at::mm_out(dh, dz, weight(l).t());
    activation_backward_inplace(act, dh.data_ptr<float>(), h_in.data_ptr<float>(),
                                silu ? rows(sigmoid_[l - 1]).data_ptr<float>() : nullptr,
                                n * width);
    dz = dh;
  }
  return sums;
}

std::pair<double, double> EnsembleBackprop::output_gradient(const float* o, const float* y,
                                                            const float* w, const float* term,
                                                            int64_t n, int64_t batch, float* d_o,
                                                            float* dmax, float* dmin) const {
  const int64_t d = model_->target_dim(), cols = model_->output_columns();
  const auto inv = static_cast<float>(1.0 / static_cast<double>(batch * d));
  const bool deterministic = model_->options().deterministic();
  const float* max_lv = model_->max_logvar.data_ptr<float>();
  const float* min_lv = model_->min_logvar.data_ptr<float>();
  double loss = 0.0, term_loss = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float* oi = o + i * cols;
    float* gi = d_o + i * cols;
    for (int64_t j = 0; j < d; ++j) {
      const float diff = oi[j] - y[i * d + j];
      const float wj = w != nullptr ? w[i * d + j] : 1.0f;
      if (deterministic) {
        loss += wj * (diff * diff);
        gi[j] = 2.0f * diff * inv * wj;
        continue;
      }
      // logvar = min + softplus(u - min), u = max - softplus(max - raw)
      const float a = max_lv[j] - oi[d + j];
      const float u = max_lv[j] - softplus(a);
      const float c = u - min_lv[j];
      const float lv = min_lv[j] + softplus(c);
      const float inv_var = std::exp(-lv);
      const float e2 = diff * diff * inv_var;
      loss += wj * (e2 + lv);
      gi[j] = 2.0f * diff * inv_var * inv * wj;
      const float d_lv = (1.0f - e2) * inv * wj;
      const float sc = sigmoid(c), sa = sigmoid(a);
      const float d_u = d_lv * sc;
      gi[d + j] = d_u * sa;
      if (dmin != nullptr) {
        dmin[j] += d_lv * (1.0f - sc);
        dmax[j] += d_u * (1.0f - sa);
      }
    }
    if (term != nullptr) {
      // binary cross-entropy with logits, stable form
      const float l = oi[cols - 1], t = term[i];
      term_loss += std::max(l, 0.0f) - l * t + std::log1p(std::exp(-std::abs(l)));
      gi[cols - 1] = (sigmoid(l) - t) / static_cast<float>(batch);
    }
  }
  return {loss, term_loss};
}

}  // namespace mbrl

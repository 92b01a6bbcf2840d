// FusedAdam: the Adam update over all parameters in one parallel pass.
#include "mbrl/models/fused_adam.h"

#include <cmath>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "../nn/vector_kernels.h"
#include "mbrl/core/check.h"

namespace mbrl {

FusedAdam::FusedAdam(std::vector<at::Tensor> params, std::vector<double> weight_decay,
                     FusedAdamOptions options)
    : params_(std::move(params)), decay_(std::move(weight_decay)), options_(options) {
  MBRL_CHECK_ARG(options_.lr() > 0, "lr", "expected a number > 0, got ", options_.lr());
  MBRL_CHECK_ARG(options_.beta1() >= 0 && options_.beta1() < 1, "beta1",
                 "expected a number in [0, 1), got ", options_.beta1());
  MBRL_CHECK_ARG(options_.beta2() >= 0 && options_.beta2() < 1, "beta2",
                 "expected a number in [0, 1), got ", options_.beta2());
  MBRL_CHECK_ARG(options_.eps() > 0, "eps", "expected a number > 0, got ", options_.eps());
  MBRL_ASSERT(decay_.size() == params_.size(), "one weight decay per parameter");
  int64_t start = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    const at::Tensor& p = params_[i];
    MBRL_ASSERT(p.is_cpu() && p.scalar_type() == at::kFloat && p.is_contiguous(),
                "FusedAdam needs contiguous float32 CPU parameters");
    MBRL_CHECK_ARG(decay_[i] >= 0, "weight_decay", "expected numbers >= 0, got ", decay_[i]);
    exp_avg_.push_back(torch::zeros_like(p));
    exp_avg_sq_.push_back(torch::zeros_like(p));
    starts_.push_back(start);
    start += p.numel();
  }
  starts_.push_back(start);
}

void FusedAdam::step(const std::vector<std::vector<at::Tensor>>& grad_parts) {
  ++steps_;
  const auto b1 = static_cast<float>(options_.beta1());
  const auto b2 = static_cast<float>(options_.beta2());
  const auto eps = static_cast<float>(options_.eps());
  const auto step_size =
      static_cast<float>(options_.lr() / (1.0 - std::pow(options_.beta1(), steps_)));
  const auto bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(options_.beta2(), steps_)));
  const size_t parts = grad_parts.size();
  MBRL_ASSERT(parts >= 1, "FusedAdam::step without gradients");

  // element range [begin, end) of the concatenation of all parameters; gradient parts beyond
  // the second are first added into the second
  at::parallel_for(0, starts_.back(), 16384, [&](int64_t begin, int64_t end) {
    for (size_t i = 0; i + 1 < starts_.size(); ++i) {
      const int64_t lo = std::max(begin, starts_[i]), hi = std::min(end, starts_[i + 1]);
      if (lo >= hi) continue;
      const int64_t off = lo - starts_[i], n = hi - lo;
      float* g1 = parts > 1 ? grad_parts[1][i].data_ptr<float>() + off : nullptr;
      for (size_t k = 2; k < parts; ++k) {
        const float* gk = grad_parts[k][i].data_ptr<float>() + off;
        for (int64_t j = 0; j < n; ++j) g1[j] += gk[j];
      }
      detail::adam_update(params_[i].data_ptr<float>() + off, exp_avg_[i].data_ptr<float>() + off,
                          exp_avg_sq_[i].data_ptr<float>() + off,
                          grad_parts[0][i].data_ptr<float>() + off, g1, n,
                          static_cast<float>(decay_[i]), b1, b2, step_size, bc2_sqrt, eps);
    }
  });
}

void FusedAdam::save(torch::serialize::OutputArchive& archive) const {
  archive.write("steps", torch::tensor(steps_, torch::kInt64));
  for (size_t i = 0; i < params_.size(); ++i) {
    archive.write("exp_avg." + std::to_string(i), exp_avg_[i]);
    archive.write("exp_avg_sq." + std::to_string(i), exp_avg_sq_[i]);
  }
}

void FusedAdam::load(torch::serialize::InputArchive& archive) {
  // every tensor is checked before anything is overwritten
  std::vector<at::Tensor> avg(params_.size()), avg_sq(params_.size());
  auto read = [&](const std::string& key, const at::Tensor& like, at::Tensor& out) {
    if (!archive.try_read(key, out) || !out.sizes().equals(like.sizes())) {
      throw DataError("fused adam: state entry '" + key + "' is missing or has another shape");
    }
  };
  for (size_t i = 0; i < params_.size(); ++i) {
    read("exp_avg." + std::to_string(i), params_[i], avg[i]);
    read("exp_avg_sq." + std::to_string(i), params_[i], avg_sq[i]);
  }
  at::Tensor steps;
  if (!archive.try_read("steps", steps))
    throw DataError("fused adam: state entry 'steps' is missing");
  for (size_t i = 0; i < params_.size(); ++i) {
    exp_avg_[i].copy_(avg[i]);
    exp_avg_sq_[i].copy_(avg_sq[i]);
  }
  steps_ = steps.item<int64_t>();
}

}  // namespace mbrl

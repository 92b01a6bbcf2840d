// EliteSet: top-k selection and the CEM refit.
#include "mbrl/planners/elite_set.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {
namespace {

// x where the [S] mask holds, else keep; written into keep
void masked_assign(at::Tensor& keep, const at::Tensor& x, const at::Tensor& mask) {
  if (!mask.defined()) {
    keep.copy_(x);
    return;
  }
  std::vector<int64_t> shape(keep.dim(), 1);
  shape[0] = keep.size(0);
  keep.copy_(torch::where(mask.view(shape), x, keep));
}

}  // namespace

void EliteSet::allocate(int64_t S, int64_t E, int64_t H, int64_t A,
                        const at::TensorOptions& options) {
  values_ = torch::empty({S, E}, options.dtype(torch::kFloat32));
  indices_ = torch::empty({S, E}, options.dtype(torch::kLong));
  elites_ = torch::empty({S, E, H, A}, options.dtype(torch::kFloat32));
}

void EliteSet::select(const at::Tensor& population, const at::Tensor& values) {
  MBRL_ASSERT(elites_.defined() && population.size(0) == elites_.size(0) &&
                  population.size(1) >= elites_.size(1),
              "EliteSet::select before allocate or with fewer candidates than elites");
  const int64_t e = elites_.size(1);
  at::topk_out(values_, indices_, values, e, /*dim=*/1, /*largest=*/true, /*sorted=*/true);
  auto index = indices_.view({indices_.size(0), e, 1, 1}).expand_as(elites_);
  at::gather_out(elites_, population, 1, index);
}

void EliteSet::update(at::Tensor& mean, at::Tensor& var, double alpha,
                      const at::Tensor& active) const {
  auto elite_mean = elites_.mean(1);
  auto elite_var = (elites_ - elite_mean.unsqueeze(1)).square_().mean(1);
  masked_assign(mean, elite_mean.mul_(1.0 - alpha).add_(mean, alpha), active);
  masked_assign(var, elite_var.mul_(1.0 - alpha).add_(var, alpha), active);
}

void EliteSet::track_best(at::Tensor& best, at::Tensor& best_value,
                          const at::Tensor& active) const {
  auto top = values_.select(1, 0);
  auto improved = top.gt(best_value);
  if (active.defined()) improved.logical_and_(active);
  best_value.copy_(torch::where(improved, top, best_value));
  best.copy_(torch::where(improved.view({-1, 1, 1}), elites_.select(1, 0), best));
}

}  // namespace mbrl

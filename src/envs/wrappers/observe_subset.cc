// ObserveSubset wrapper.
#include "mbrl/envs/wrappers/observe_subset.h"

#include <torch/torch.h>

#include <set>

#include "mbrl/core/check.h"

namespace mbrl {

ObserveSubset::ObserveSubset(std::shared_ptr<Env> inner, std::vector<int64_t> indices)
    : EnvWrapper(std::move(inner)), indices_(std::move(indices)), spec_(inner_->spec()) {
  const int64_t dim = spec_.obs_dim();
  MBRL_CHECK_ARG(!indices_.empty(), "observe", "expected a non-empty list of indices");
  std::set<int64_t> seen;
  for (int64_t i : indices_) {
    MBRL_CHECK_ARG(i >= 0 && i < dim, "observe", "expected indices in [0, ", dim, "), got ", i);
    MBRL_CHECK_ARG(seen.insert(i).second, "observe", "expected distinct indices, got ", i,
                   " twice");
  }
  index_ = torch::tensor(indices_, torch::kInt64);
  spec_.observation_space = Box(spec_.observation_space.low.index_select(0, index_),
                                spec_.observation_space.high.index_select(0, index_));
}

at::Tensor ObserveSubset::reset(std::optional<uint64_t> seed) {
  return inner_->reset(seed).index_select(0, index_);
}

StepResult ObserveSubset::step(const at::Tensor& act) {
  StepResult r = inner_->step(act);
  r.obs = r.obs.index_select(0, index_);
  return r;
}

}  // namespace mbrl

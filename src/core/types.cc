// Box, EnvSpec and TransitionBatch helpers.
#include "mbrl/core/types.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

Box::Box(at::Tensor low_, at::Tensor high_)
    : low(low_.to(torch::kFloat32).contiguous()), high(high_.to(torch::kFloat32).contiguous()) {
  MBRL_CHECK(low.dim() == 1 && low.sizes() == high.sizes(),
             "Box: low and high must be 1-D of equal size, got ", low.sizes(), " and ",
             high.sizes());
  MBRL_CHECK(low.le(high).all().item<bool>(), "Box: low must not exceed high");
}

Box Box::uniform(int64_t dim, double lo, double hi) {
  return Box(torch::full({dim}, lo), torch::full({dim}, hi));
}

bool Box::contains(const at::Tensor& x) const {
  auto lo = low.to(x.device());
  auto hi = high.to(x.device());
  return x.ge(lo).logical_and(x.le(hi)).all().item<bool>();
}

at::Tensor Box::clip(const at::Tensor& x) const {
  return torch::max(torch::min(x, high.to(x.device(), x.scalar_type())),
                    low.to(x.device(), x.scalar_type()));
}

Box Box::to(const c10::Device& device) const {
  Box b;
  b.low = low.to(device);
  b.high = high.to(device);
  return b;
}

TransitionBatch TransitionBatch::index(const at::Tensor& idx) const {
  return {obs.index_select(0, idx),        act.index_select(0, idx),
          next_obs.index_select(0, idx),   reward.index_select(0, idx),
          terminated.index_select(0, idx), truncated.index_select(0, idx)};
}

TransitionBatch TransitionBatch::slice(int64_t begin, int64_t end) const {
  return {obs.slice(0, begin, end),        act.slice(0, begin, end),
          next_obs.slice(0, begin, end),   reward.slice(0, begin, end),
          terminated.slice(0, begin, end), truncated.slice(0, begin, end)};
}

TransitionBatch TransitionBatch::to(const c10::Device& device) const {
  return {obs.to(device),    act.to(device),        next_obs.to(device),
          reward.to(device), terminated.to(device), truncated.to(device)};
}

void TransitionBatch::check(int64_t obs_dim, int64_t act_dim) const {
  const int64_t b = size();
  MBRL_CHECK_SHAPE(obs, {b, obs_dim}, "obs");
  MBRL_CHECK_SHAPE(act, {b, act_dim}, "act");
  MBRL_CHECK_SHAPE(next_obs, {b, obs_dim}, "next_obs");
  MBRL_CHECK_SHAPE(reward, {b}, "reward");
  MBRL_CHECK_SHAPE(terminated, {b}, "terminated");
  MBRL_CHECK_SHAPE(truncated, {b}, "truncated");
}

TransitionBatch TransitionBatch::cat(const std::vector<TransitionBatch>& parts) {
  std::vector<at::Tensor> o, a, n, r, te, tr;
  for (const auto& p : parts) {
    o.push_back(p.obs);
    a.push_back(p.act);
    n.push_back(p.next_obs);
    r.push_back(p.reward);
    te.push_back(p.terminated);
    tr.push_back(p.truncated);
  }
  return {torch::cat(o), torch::cat(a),  torch::cat(n),
          torch::cat(r), torch::cat(te), torch::cat(tr)};
}

}  // namespace mbrl

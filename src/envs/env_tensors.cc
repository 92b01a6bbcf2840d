// Env tensor conversions.
#include "mbrl/envs/env_tensors.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

std::vector<double> action_values(const at::Tensor& act, int64_t act_dim, const char* env) {
  if (!(act.defined() && act.dim() == 1 && act.size(0) == act_dim)) {
    throw ShapeError(detail::str(env, ": expected an action of shape [", act_dim, "], got ",
                                 act.defined() ? act.sizes() : at::IntArrayRef{}));
  }
  at::Tensor a = act.device().is_cpu() ? act : act.cpu();
  std::vector<double> out(act_dim);
  if (a.scalar_type() == torch::kFloat32) {
    auto acc = a.accessor<float, 1>();
    for (int64_t i = 0; i < act_dim; ++i) out[i] = acc[i];
  } else {
    auto d = a.to(torch::kFloat64);
    auto acc = d.accessor<double, 1>();
    for (int64_t i = 0; i < act_dim; ++i) out[i] = acc[i];
  }
  for (double v : out) {
    MBRL_CHECK(!std::isnan(v), env, ": action contains NaN");
  }
  return out;
}

at::Tensor one_hot_action(int64_t index, int64_t choices) {
  MBRL_CHECK(index >= 0 && index < choices, "one_hot_action: choice ", index, " of ", choices);
  at::Tensor a = torch::zeros({choices}, torch::kFloat32);
  a[index] = 1.0;
  return a;
}

int64_t discrete_action(const at::Tensor& act, int64_t choices, const char* env) {
  const std::vector<double> values = action_values(act, choices, env);
  return std::max_element(values.begin(), values.end()) - values.begin();
}

at::Tensor observation_tensor(const double* values, int64_t n) {
  at::Tensor obs = torch::empty({n}, torch::kFloat32);
  float* p = obs.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(values[i]);
  return obs;
}

}  // namespace mbrl

// UP-MPC: K policy-guided candidates per state rolled through the ensemble, scored by return
// plus weighted disagreement.
#include "mbrl/agents/up_mpc.h"

#include <algorithm>
#include <limits>
#include <vector>

#include <torch/torch.h>

#include "mbrl/config/config_node.h"
#include "mbrl/core/check.h"
#include "mbrl/models/model_env.h"

namespace mbrl {
namespace {

void check_discount(double value, const char* key) {
  MBRL_CHECK_ARG(value >= 0 && value <= 1, key, "expected a number in [0, 1], got ", value);
}

void check_weight(double value, const char* key) {
  MBRL_CHECK_ARG(std::isfinite(value) && value >= 0, key, "expected a number >= 0, got ", value);
}

}  // namespace

void check_up_mpc_options(const UpMpcOptions& o) {
  check_positive(o.candidates(), "candidates");
  check_positive(o.horizon(), "horizon");
  check_discount(o.reward_discount(), "reward_discount");
  check_discount(o.uncertainty_discount(), "uncertainty_discount");
  MBRL_CHECK_ARG(o.max_rows() >= o.candidates(), "max_rows", "expected an integer >= candidates (",
                 o.candidates(), "), got ", o.max_rows());
}

at::Tensor best_candidate_rows(const at::Tensor& score, int64_t candidates) {
  const int64_t n = score.size(0) / candidates;
  const at::Tensor finite =
      torch::where(torch::isfinite(score), score,
                   torch::full_like(score, -std::numeric_limits<float>::infinity()));
  const at::Tensor best = finite.view({candidates, n}).argmax(0);
  return best * n + torch::arange(n, best.options());
}

UpMpc::UpMpc(UpMpcOptions options) : options_(options) { check_up_mpc_options(options_); }

UpMpcPlan UpMpc::plan(ModelEnv& model_env, const PolicySampler& policy, const at::Tensor& obs,
                      double uncertainty_weight) const {
  torch::NoGradGuard no_grad;
  MBRL_CHECK(model_env.has_uncertainty(), "UP-MPC: model '", model_env.model()->type(),
             "' reports no uncertainty (it is not UncertaintyAware, or has one predictor)");
  MBRL_CHECK_SHAPE(obs, {-1, model_env.model()->obs_dim()}, "obs");
  const int64_t n = obs.size(0);
  const int64_t slice = options_.max_rows() / options_.candidates();
  if (n <= slice) return plan_slice(model_env, policy, obs, uncertainty_weight);
  std::vector<at::Tensor> action, planned_return, planned_uncertainty;
  for (int64_t begin = 0; begin < n; begin += slice) {
    UpMpcPlan part = plan_slice(model_env, policy, obs.slice(0, begin, std::min(n, begin + slice)),
                                uncertainty_weight);
    action.push_back(part.action);
    planned_return.push_back(part.planned_return);
    planned_uncertainty.push_back(part.planned_uncertainty);
  }
  return {torch::cat(action), torch::cat(planned_return), torch::cat(planned_uncertainty)};
}

UpMpcPlan UpMpc::plan_slice(ModelEnv& model_env, const PolicySampler& policy, const at::Tensor& obs,
                            double uncertainty_weight) const {
  const int64_t k = options_.candidates(), n = obs.size(0);
  // candidate-major rows k N + n, each candidate opening with its own policy draw
  at::Tensor state = obs.repeat({k, 1});
  const at::Tensor first_action = policy(state);  // [K N, act_dim]
  at::Tensor action = first_action;
  const auto on_model =
      torch::TensorOptions().dtype(torch::kFloat32).device(model_env.model()->device());
  at::Tensor ret = torch::zeros({k * n}, on_model);
  at::Tensor disagreement = torch::zeros({k * n}, on_model);
  double reward_weight = 1, uncertainty_step_weight = 1;
  for (int64_t i = 0; i < options_.horizon(); ++i) {
    if (i > 0) action = policy(state);
    ModelStepResult step = model_env.step(state, action, /*with_uncertainty=*/true);
    ret += reward_weight * step.reward;
    disagreement += uncertainty_step_weight * step.uncertainty.sample_std;
    reward_weight *= options_.reward_discount();
    uncertainty_step_weight *= options_.uncertainty_discount();
    state = step.next_obs;
  }
  const at::Tensor rows = best_candidate_rows(ret + uncertainty_weight * disagreement, k);
  return {first_action.index_select(0, rows.to(first_action.device())), ret.index_select(0, rows),
          disagreement.index_select(0, rows)};
}

CoplannerOptions coplanner_options_from_config(const ConfigNode& node) {
  return with_config_context(node, [&] {
    UpMpcOptions p;
    MBRL_READ_OPTION(node, p, candidates);
    MBRL_READ_OPTION(node, p, horizon);
    MBRL_READ_OPTION(node, p, reward_discount);
    MBRL_READ_OPTION(node, p, uncertainty_discount);
    MBRL_READ_OPTION(node, p, max_rows);
    check_up_mpc_options(p);
    CoplannerOptions o;
    o.planner(p);
    MBRL_READ_OPTION(node, o, conservative_weight);
    MBRL_READ_OPTION(node, o, optimistic_weight);
    MBRL_READ_OPTION(node, o, conservative_rollouts);
    MBRL_READ_OPTION(node, o, optimistic_exploration);
    check_weight(o.conservative_weight(), "conservative_weight");
    check_weight(o.optimistic_weight(), "optimistic_weight");
    return o;
  });
}

}  // namespace mbrl

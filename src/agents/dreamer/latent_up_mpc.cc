// LatentUpMpc: policy-guided candidates in imagination, scored by reward and disagreement.
#include "mbrl/agents/dreamer/latent_up_mpc.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

LatentUpMpc::LatentUpMpc(UpMpcOptions options) : options_(options) {
  check_up_mpc_options(options_);
}

LatentPlan LatentUpMpc::plan(WorldModel& world_model, LatentDisagreement& disagreement,
                             const LatentState& start, const at::Tensor& first_actions,
                             const LatentPolicy& policy, double uncertainty_weight) const {
  torch::NoGradGuard no_grad;
  const int64_t k = options_.candidates(), n = start.h.size(0);
  MBRL_CHECK_SHAPE(first_actions, {k * n, world_model.options().act_dim()}, "first_actions");
  LatentState state = repeat_rows(start, k);
  at::Tensor action = first_actions.detach();
  at::Tensor features = world_model.features(state);
  at::Tensor ret = torch::zeros({k * n}, features.options());
  at::Tensor uncertainty = torch::zeros({k * n}, features.options());
  double reward_weight = 1, uncertainty_step_weight = 1;
  for (int64_t i = 0; i <= options_.horizon(); ++i) {
    if (i > 0) {
      state = world_model.imagine_step(state, action);
      features = world_model.features(state);
      action = policy(features);
    }
    ret += reward_weight * world_model.predict_reward(features);
    uncertainty += uncertainty_step_weight * disagreement.disagreement(features, action);
    reward_weight *= options_.reward_discount();
    uncertainty_step_weight *= options_.uncertainty_discount();
  }
  LatentPlan plan;
  plan.rows = best_candidate_rows(ret + uncertainty_weight * uncertainty, k);
  plan.candidate_return = ret.view({k, n});
  plan.candidate_uncertainty = uncertainty.view({k, n});
  plan.planned_return = ret.index_select(0, plan.rows);
  plan.planned_uncertainty = uncertainty.index_select(0, plan.rows);
  return plan;
}

}  // namespace mbrl

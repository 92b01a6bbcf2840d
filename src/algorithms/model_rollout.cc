// Branched model rollouts into a replay buffer.
#include "mbrl/algorithms/model_rollout.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/data/replay_buffer.h"

namespace mbrl {

ModelRolloutStats rollout_model(ModelEnv& model_env, const RolloutPolicy& policy,
                                const at::Tensor& start_obs, ReplayBuffer& buffer,
                                const ModelRolloutOptions& options) {
  return rollout_model(model_env, policy, RolloutStart{start_obs, {}, {}}, buffer, options);
}

ModelRolloutStats rollout_model(ModelEnv& model_env, const RolloutPolicy& policy,
                                const RolloutStart& start, ReplayBuffer& buffer,
                                const ModelRolloutOptions& options) {
  torch::NoGradGuard no_grad;
  const int64_t k = options.horizon();
  MBRL_CHECK_ARG(k >= 1, "horizon", "expected an integer >= 1, got ", k);
  MBRL_CHECK_SHAPE(start.obs, {-1, model_env.model()->obs_dim()}, "start_obs");
  const bool filtered = options.transition_score() != nullptr;
  MBRL_CHECK_ARG(options.candidates_per_member() >= 1, "candidates_per_member",
                 "expected an integer >= 1, got ", options.candidates_per_member());
  MBRL_CHECK(!filtered || !model_env.model()->has_memory(),
             "model rollout: the transition filter draws every member's next state from the "
             "observation alone, so it cannot continue the memory of model '",
             model_env.model()->type(), "'");
  ModelRolloutStats stats;
  stats.start_states = start.rows();
  ModelState state = model_env.start(start);
  const auto on_device = state.obs.options();
  const bool with_uncertainty = options.with_uncertainty() || filtered;
  double reward_sum = 0, epistemic_sum = 0;
  int64_t terminated = 0;
  // the filter's sums stay on the device until the end (no host sync per step)
  at::Tensor score_sum = torch::zeros({}, on_device.dtype(torch::kFloat64));
  at::Tensor stopped = torch::zeros({}, on_device.dtype(torch::kInt64));

  for (int64_t step = 0; step < k && state.rows() > 0; ++step) {
    const at::Tensor obs = state.obs;
    at::Tensor act = policy(obs);
    ModelStepResult r;
    if (filtered) {
      // a model without memory: its next state is the chosen candidate's observation
      r = model_env.step_best_of(obs, act, options.candidates_per_member(),
                                 options.transition_score(), options.candidate_choice(),
                                 options.softmax_temperature());
      state.obs = r.next_obs;
    } else {
      r = model_env.step(state, act, options.with_uncertainty());
    }
    if (options.reward_penalty()) r.reward = r.reward - options.reward_penalty()(r);
    if (!(torch::isfinite(r.next_obs).all().item<bool>() &&
          torch::isfinite(r.reward).all().item<bool>())) {
      throw NonFiniteError(detail::str("model rollout: non-finite predicted next observation or ",
                                       "reward at rollout step ", step + 1, " of ", k));
    }

    // store every transition of the step, then continue only the rows that did not terminate
    const int64_t n = obs.size(0);
    if (filtered) {
      const at::Tensor low = r.score < options.stop_below();
      stopped += low.logical_and(r.terminated.logical_not()).sum();
      r.terminated = r.terminated.logical_or(low);
      score_sum += r.score.sum();
    }
    buffer.add_batch(
        {obs, act, r.next_obs, r.reward, r.terminated, torch::zeros({n}, r.terminated.options())});
    stats.transitions += n;
    ++stats.steps;
    reward_sum += r.reward.sum().item<double>();
    if (with_uncertainty) epistemic_sum += r.uncertainty.epistemic_std.sum().item<double>();
    at::Tensor alive = r.terminated.logical_not();
    const int64_t live = alive.sum().item<int64_t>();
    terminated += n - live;
    if (live < n) {
      // the survivors go on as independent rows (Dyna rows are their own particles)
      state = state.select(alive.nonzero().squeeze(1));
      state.spec.particles = std::max<int64_t>(live, 1);
    }
  }
  if (stats.transitions > 0) {
    stats.mean_reward = reward_sum / static_cast<double>(stats.transitions);
    if (with_uncertainty)
      stats.mean_epistemic_std = epistemic_sum / static_cast<double>(stats.transitions);
    if (filtered)
      stats.mean_transition_score =
          score_sum.item<double>() / static_cast<double>(stats.transitions);
  }
  if (filtered && stats.start_states > 0)
    stats.filter_stopped_fraction =
        static_cast<double>(stopped.item<int64_t>()) / static_cast<double>(stats.start_states);
  stats.terminated_fraction =
      stats.start_states > 0 ? static_cast<double>(terminated) / stats.start_states : 0.0;
  return stats;
}

}  // namespace mbrl

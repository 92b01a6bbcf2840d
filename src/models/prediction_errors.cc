// One-step and open-loop prediction errors of any DynamicsModel on whole episodes.
#include "mbrl/models/prediction_errors.h"

#include <torch/torch.h>

#include <limits>

#include "mbrl/core/check.h"
#include "mbrl/models/dynamics_model.h"
#include "mbrl/models/sequence/sequence_model.h"

namespace mbrl {
namespace {

// predictions [T, B, o] and [T, B] (reward undefined when not learned) against the episodes
PredictionErrors errors(const at::Tensor& next_obs, const at::Tensor& reward,
                        const SequenceBatch& truth) {
  PredictionErrors e;
  const auto cpu64 = [](const at::Tensor& t) { return t.to(torch::kCPU, torch::kFloat64); };
  e.obs_mse = (cpu64(next_obs) - cpu64(truth.next_obs)).square().mean({1, 2});
  e.final_reward_r2 = std::numeric_limits<double>::quiet_NaN();
  if (reward.defined()) {
    const at::Tensor err = (cpu64(reward) - cpu64(truth.reward)).square();
    e.reward_mse = err.mean(1);
    const at::Tensor last = cpu64(truth.reward[truth.length() - 1]);
    const double var = last.var(/*unbiased=*/false).item<double>();
    if (var > 0) e.final_reward_r2 = 1.0 - err[truth.length() - 1].mean().item<double>() / var;
  }
  return e;
}

void check_episodes(const DynamicsModel& model, const SequenceBatch& episodes) {
  MBRL_CHECK_SHAPE(episodes.obs, {-1, -1, model.obs_dim()}, "episodes.obs");
  MBRL_CHECK_SHAPE(episodes.act, {episodes.length(), episodes.batch(), model.act_dim()},
                   "episodes.act");
}

RolloutSpec mean_prediction(int64_t rows) {
  RolloutSpec spec;
  spec.propagation = Propagation::kExpectation;
  spec.particles = rows;
  spec.sample = false;
  return spec;
}

}  // namespace

PredictionErrors one_step_errors(DynamicsModel& model, const SequenceBatch& episodes_in,
                                 at::Generator& gen) {
  torch::NoGradGuard no_grad;
  check_episodes(model, episodes_in);
  const SequenceBatch episodes = episodes_in.to(model.device());
  const int64_t T = episodes.length(), B = episodes.batch();
  if (auto* seq = dynamic_cast<SequenceModel*>(&model)) {
    SequencePrediction p = seq->predict(episodes.obs, episodes.act, episodes.is_first,
                                        seq->backbone().initial_state(B, model.device()));
    return errors(p.next_obs, p.reward, episodes);
  }
  const ModelState s = model.initial_state(episodes.obs.reshape({T * B, model.obs_dim()}),
                                           mean_prediction(T * B), gen);
  ModelStep step = model.step(s, episodes.act.reshape({T * B, model.act_dim()}), gen);
  return errors(step.next_obs.view({T, B, model.obs_dim()}),
                step.reward.defined() ? step.reward.view({T, B}) : at::Tensor(), episodes);
}

PredictionErrors open_loop_errors(DynamicsModel& model, const SequenceBatch& episodes_in,
                                  int64_t context, at::Generator& gen) {
  torch::NoGradGuard no_grad;
  check_episodes(model, episodes_in);
  const SequenceBatch episodes = episodes_in.to(model.device());
  const int64_t T = episodes.length(), B = episodes.batch();
  MBRL_CHECK_ARG(context >= 1 && context < T, "context", "expected 1 <= context < ", T,
                 " (the episode length), got ", context);
  const RolloutSpec spec = mean_prediction(B);
  ModelState state;
  if (auto* seq = dynamic_cast<SequenceModel*>(&model)) {
    auto first = [&](const at::Tensor& t) { return t.narrow(0, 0, context); };
    state = seq->initial_state_after(
        {first(episodes.obs), first(episodes.act), first(episodes.next_obs), first(episodes.reward),
         first(episodes.terminated), first(episodes.truncated), first(episodes.is_first)},
        spec);
  } else {
    state = model.initial_state(episodes.obs[context], spec, gen);
  }
  std::vector<at::Tensor> obs, reward;
  for (int64_t t = context; t < T; ++t) {
    ModelStep step = model.step(state, episodes.act[t], gen);
    obs.push_back(step.next_obs);
    if (step.reward.defined()) reward.push_back(step.reward);
    state = std::move(step.state);
  }
  const auto rest = [&](const at::Tensor& t) { return t.narrow(0, context, T - context); };
  const SequenceBatch truth{rest(episodes.obs),        rest(episodes.act),
                            rest(episodes.next_obs),   rest(episodes.reward),
                            rest(episodes.terminated), rest(episodes.truncated),
                            rest(episodes.is_first)};
  return errors(torch::stack(obs), reward.empty() ? at::Tensor() : torch::stack(reward), truth);
}

}  // namespace mbrl

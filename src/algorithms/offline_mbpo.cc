// The offline loop: one model fit on the dataset, then penalised rollouts and policy updates.
#include "mbrl/algorithms/offline_mbpo.h"

#include <cmath>

#include <torch/torch.h>

#include "mbrl/agents/sac_agent.h"
#include "mbrl/algorithms/model_rollout.h"
#include "mbrl/algorithms/run_clock.h"
#include "mbrl/algorithms/run_schedule.h"
#include "mbrl/core/check.h"
#include "mbrl/data/mixed_sampler.h"
#include "mbrl/io/d4rl_dataset.h"
#include "mbrl/io/run_dir.h"
#include "mbrl/log/log.h"
#include "mbrl/log/metrics.h"
#include "mbrl/log/progress.h"

namespace mbrl {
namespace {

constexpr const char* kTrainGroup = "train";
constexpr const char* kEvalGroup = "eval";
constexpr const char* kModelGroup = "model";

const std::vector<std::pair<std::string, PenaltyKind>>& penalty_names() {
  static const std::vector<std::pair<std::string, PenaltyKind>> names = {
      {"none", PenaltyKind::kNone},
      {"max_aleatoric", PenaltyKind::kMaxAleatoric},
      {"max_pairwise_diff", PenaltyKind::kMaxPairwiseDiff},
      {"max_deviation", PenaltyKind::kMaxDeviation},
      {"ensemble_std", PenaltyKind::kEnsembleStd},
      {"log_likelihood_var", PenaltyKind::kLogLikelihoodVar},
      {"bellman_inconsistency", PenaltyKind::kBellmanInconsistency}};
  return names;
}

// A number that changes when the dataset's transitions change (a resumed run must train on the
// data it started with).
double checksum(const ReplayBuffer& buffer) {
  const TransitionBatch all = buffer.all();
  return all.obs.to(torch::kDouble).sum().item<double>() +
         all.act.to(torch::kDouble).sum().item<double>() * 3.0 +
         all.reward.to(torch::kDouble).sum().item<double>() * 7.0 +
         all.terminated.sum().item<double>() * 11.0;
}

}  // namespace

PenaltyKind penalty_kind(const std::string& name) {
  std::string known;
  for (const auto& [n, kind] : penalty_names()) {
    if (n == name) return kind;
    known += (known.empty() ? "" : ", ") + n;
  }
  throw InvalidArgument("penalty", "expected one of " + known + ", got '" + name + "'");
}

std::string penalty_name(PenaltyKind kind) {
  for (const auto& [n, k] : penalty_names())
    if (k == kind) return n;
  MBRL_ASSERT(false, "penalty_name: unknown kind");
  return "";
}

at::Tensor penalty_uncertainty(const Uncertainty& u, PenaltyKind kind) {
  switch (kind) {
    case PenaltyKind::kMaxAleatoric:
      return u.aleatoric_max_norm;
    case PenaltyKind::kMaxPairwiseDiff:
      return u.epistemic_max_pairwise;
    case PenaltyKind::kMaxDeviation:
      return u.epistemic_max_deviation;
    case PenaltyKind::kEnsembleStd:
      return u.epistemic_std;
    case PenaltyKind::kLogLikelihoodVar:
      MBRL_CHECK(u.log_likelihood_var.defined(),
                 "penalty log_likelihood_var: the model's step drew no target (a deterministic "
                 "model, or MOREC's filter)");
      return u.log_likelihood_var;
    case PenaltyKind::kNone:
    case PenaltyKind::kBellmanInconsistency:
      break;
  }
  MBRL_ASSERT(false, "penalty_uncertainty: penalty '", penalty_name(kind),
              "' reads no field of the Uncertainty");
  return {};
}

OfflineMbpo::OfflineMbpo(OfflineMbpoOptions options, std::shared_ptr<Env> env,
                         std::shared_ptr<PolicyLearner> agent, std::shared_ptr<DynamicsModel> model,
                         std::shared_ptr<ModelLearner> learner,
                         std::shared_ptr<const TaskFunctions> task, OfflineMbpoGenerators gens,
                         uint64_t eval_seed)
    : options_(std::move(options)),
      env_(std::move(env)),
      agent_(std::move(agent)),
      model_(std::move(model)),
      learner_(std::move(learner)),
      gens_(std::move(gens)),
      eval_seed_(eval_seed),
      update_names_(agent_->metric_names()),
      update_sums_(update_names_.size(), 0.0) {
  const auto& o = options_;
  MBRL_CHECK_ARG(!o.dataset().empty(), "dataset", "expected the path of a D4RL HDF5 file");
  check_positive(o.num_steps(), "num_steps");
  check_positive(o.rollout_freq(), "rollout_freq");
  check_positive(o.rollout_batch_size(), "rollout_batch_size");
  check_positive(o.rollout_length(), "rollout_length");
  check_non_negative(o.rollout_history(), "rollout_history");
  check_positive(o.model_retain_epochs(), "model_retain_epochs");
  check_positive(o.eval_every(), "eval_every");
  check_positive(o.eval_episodes(), "eval_episodes");
  MBRL_CHECK_ARG(o.checkpoint_every() >= 0, "checkpoint_every",
                 "expected an integer >= 0 (0: only at the end), got ", o.checkpoint_every());
  MBRL_CHECK_ARG(o.real_ratio() >= 0 && o.real_ratio() <= 1, "real_ratio",
                 "expected a number in [0, 1], got ", o.real_ratio());
  MBRL_CHECK_ARG(o.penalty_coef() >= 0 && std::isfinite(o.penalty_coef()), "penalty_coef",
                 "expected a finite number >= 0, got ", o.penalty_coef());
  if (model_) {
    MBRL_CHECK(model_->learns_reward(),
               "offline: the model must learn the reward (learn_reward: true)");
    MBRL_CHECK(learner_ && learner_->model() == model_,
               "offline: the learner must train the model");
    MBRL_CHECK_ARG(o.rollout_history() == 0 || model_->has_memory(), "rollout_history", "model '",
                   model_->type(), "' has no memory to read a history into; expected 0");
    model_env_.emplace(ModelEnvOptions().propagation(Propagation::kRandomModel).sample(true),
                       model_, std::move(task), gens_.model_env);
  } else {
    MBRL_CHECK(o.penalty() == PenaltyKind::kNone && !o.dynamics_reward(),
               "offline: a penalty or a dynamics reward needs a model");
  }
  MBRL_CHECK_ARG(o.penalty() == PenaltyKind::kNone || model_env_->has_uncertainty(), "penalty",
                 "model '", model_ ? model_->type() : "",
                 "' reports no uncertainty; use penalty: none");
  MBRL_CHECK_ARG(o.num_next_samples() >= 2, "num_next_samples", "expected an integer >= 2, got ",
                 o.num_next_samples());
  if (o.penalty() == PenaltyKind::kBellmanInconsistency) {
    sac_ = dynamic_cast<SacAgent*>(agent_.get());
    aware_ = uncertainty_aware(*model_);
    MBRL_CHECK_ARG(sac_ != nullptr, "penalty",
                   "bellman_inconsistency needs agent type sac (it reads its target critics)");
  }

  // the dataset, checked against the env it is evaluated in
  const D4rlDataset data = read_d4rl(o.dataset());
  const EnvSpec& spec = env_->spec();
  if (data.obs_dim() != spec.obs_dim() || data.act_dim() != spec.act_dim()) {
    throw DataError(detail::str(o.dataset(), ": observations x actions are ", data.obs_dim(), " x ",
                                data.act_dim(), ", but env '", spec.name, "' has ", spec.obs_dim(),
                                " x ", spec.act_dim()));
  }
  const TransitionBatch transitions = d4rl_transitions(data);
  if (transitions.size() < 2)
    throw DataError(o.dataset() + ": fewer than 2 transitions to learn from");
  real_ = std::make_unique<ReplayBuffer>(transitions.size(), spec.obs_dim(), spec.act_dim());
  real_->add_batch(transitions);
  dataset_checksum_ = checksum(*real_);
  MBRL_CHECK_ARG(o.model_file().empty() || model_, "model_file",
                 "there is no model to read (this loop learns from the dataset alone)");
  if (!o.model_file().empty()) read_model_file(o.model_file());
  reference_ = o.reference() ? o.reference() : reference_returns(spec.name);

  if (o.dynamics_reward()) {
    check_positive(o.candidates_per_member(), "candidates_per_member");
    MBRL_CHECK_ARG(std::isfinite(o.stop_below()), "stop_below", "expected a finite number, got ",
                   o.stop_below());
    MBRL_CHECK_ARG(std::isfinite(o.softmax_temperature()) && o.softmax_temperature() > 0,
                   "softmax_temperature", "expected a number > 0, got ", o.softmax_temperature());
    MBRL_CHECK_ARG(model_env_->has_uncertainty(), "dynamics_reward", "model '", model_->type(),
                   "' has no members to draw candidates from; MOREC needs an ensemble");
    MBRL_CHECK(gens_.dynamics_reward.defined(),
               "offline: dynamics_reward needs its generator (OfflineMbpoGenerators)");
    MBRL_CHECK_ARG(o.penalty() != PenaltyKind::kLogLikelihoodVar, "penalty",
                   "log_likelihood_var reads the step's own draw; MOREC's filter chooses among "
                   "several (use another penalty with dynamics_reward)");
    dynamics_reward_.emplace(*o.dynamics_reward(), spec.obs_dim(), spec.act_dim());
    (*dynamics_reward_)->to(model_->device());
  }
}

void OfflineMbpo::roll_out(int64_t t, MetricsWriter& metrics) {
  const RunClock timer;
  const RolloutStart starts = real_->sample_rollout_starts(
      options_.rollout_batch_size(), options_.rollout_history(), gens_.rollout);
  const PenaltyKind kind = options_.penalty();
  const bool penalised = kind != PenaltyKind::kNone && kind != PenaltyKind::kBellmanInconsistency;
  double penalty_sum = 0;
  int64_t penalty_rows = 0;
  RewardPenalty penalty = nullptr;
  if (penalised) {
    penalty = [&, coef = options_.penalty_coef()](const ModelStepResult& step) {
      const at::Tensor u = penalty_uncertainty(step.uncertainty, kind);
      penalty_sum += u.sum().item<double>();
      penalty_rows += u.size(0);
      return coef * u;
    };
  }
  ModelRolloutOptions rollout = ModelRolloutOptions()
                                    .horizon(options_.rollout_length())
                                    .with_uncertainty(penalised)
                                    .reward_penalty(penalty);
  if (dynamics_reward_) {
    rollout
        .transition_score([r = *dynamics_reward_](const at::Tensor& obs, const at::Tensor& act,
                                                  const at::Tensor& next_obs) {
          return r->score(obs, act, next_obs);
        })
        .candidates_per_member(options_.candidates_per_member())
        .candidate_choice(options_.candidate_choice())
        .softmax_temperature(options_.softmax_temperature())
        .stop_below(options_.stop_below());
  }
  ModelRolloutStats stats;
  try {
    stats = rollout_model(
        *model_env_, [this](const at::Tensor& obs) { return agent_->act_batch(obs, false); },
        starts, *model_buffer_, rollout);
  } catch (const NonFiniteError& e) {
    throw NonFiniteError(detail::str("offline: gradient step ", t, ": ", e.what()));
  }
  metrics.log(kModelGroup, "gradient_steps", static_cast<double>(t - 1));
  metrics.log(kModelGroup, "rollout_transitions", static_cast<double>(stats.transitions));
  metrics.log(kModelGroup, "model_buffer_size", static_cast<double>(model_buffer_->size()));
  metrics.log(kModelGroup, "rollout_reward", stats.mean_reward);
  if (penalty_rows > 0)
    metrics.log(kModelGroup, "rollout_penalty", penalty_sum / static_cast<double>(penalty_rows));
  metrics.log(kModelGroup, "rollout_terminated", stats.terminated_fraction);
  if (dynamics_reward_) {
    metrics.log(kModelGroup, "rollout_dynamics_reward", stats.mean_transition_score);
    metrics.log(kModelGroup, "rollout_filter_stops", stats.filter_stopped_fraction);
  }
  metrics.log(kModelGroup, "rollout_s", timer.seconds());
  metrics.dump(kModelGroup);
}

at::Tensor OfflineMbpo::bellman_inconsistency(const at::Tensor& obs, const at::Tensor& act,
                                              at::Generator& gen) {
  MBRL_CHECK(sac_ != nullptr && aware_ != nullptr,
             "offline: bellman_inconsistency needs a sac agent and an uncertainty-aware model");
  torch::NoGradGuard no_grad;
  const int64_t m = options_.num_next_samples();
  // every member draws (one stream for every ensemble); the elites' draws count
  const MemberSamples members = aware_->sample_members(obs, act, m, gen);
  const at::Tensor next = members.next_obs.index_select(1, members.rollout_members);
  const at::Tensor rows = next.reshape({-1, next.size(-1)}).to(sac_->device());
  const PolicySample pi = sac_->policy()->sample(rows, gen);
  const at::Tensor q = sac_->target_critic()->min_q(rows, pi.action);  // [M * elites * N]
  // T_b: the mean over the M draws of elite b; u: their (unbiased) std over the elites
  return q.reshape({m, next.size(1), next.size(2)}).mean(0).std(0, /*unbiased=*/true);
}

void OfflineMbpo::log_train_row(int64_t t, MetricsWriter& metrics, double elapsed_s) {
  metrics.log(kTrainGroup, "gradient_steps", static_cast<double>(t));
  for (size_t i = 0; i < update_names_.size() && updates_in_row_ > 0; ++i) {
    metrics.log(kTrainGroup, update_names_[i],
                update_sums_[i] / static_cast<double>(updates_in_row_));
  }
  if (sac_ != nullptr && updates_in_row_ > 0)
    metrics.log(kTrainGroup, "bellman_penalty",
                bellman_penalty_sum_ / static_cast<double>(updates_in_row_));
  bellman_penalty_sum_ = 0;
  metrics.log(kTrainGroup, "elapsed_s", elapsed_s);
  metrics.dump(kTrainGroup);
  for (double& s : update_sums_) s = 0;
  updates_in_row_ = 0;
}

void OfflineMbpo::evaluate(int64_t t, MetricsWriter& metrics, double elapsed_s) {
  const Evaluation e = evaluate_agent(*env_, *agent_, options_.eval_episodes(), eval_seed_, t);
  evaluations_.push_back(e);
  metrics.log(kEvalGroup, "gradient_steps", static_cast<double>(t));
  metrics.log(kEvalGroup, "eval_return", e.mean_return);
  metrics.log(kEvalGroup, "eval_return_std", e.std_return);
  if (reference_)
    metrics.log(kEvalGroup, "normalized_score", normalized_score(e.mean_return, *reference_));
  metrics.log(kEvalGroup, "elapsed_s", elapsed_s);
  metrics.dump(kEvalGroup);
}

void OfflineMbpo::run(RunContext& run) {
  MetricsWriter& metrics = *run.metrics;
  std::vector<MetricColumn> train{{"gradient_steps", MetricFormat::kInt}};
  for (const auto& name : update_names_) train.push_back({name});
  if (sac_ != nullptr) train.push_back({"bellman_penalty"});
  train.push_back({"elapsed_s", MetricFormat::kSeconds});
  metrics.add_group(kTrainGroup, "metrics.csv", train);
  std::vector<MetricColumn> eval{
      {"gradient_steps", MetricFormat::kInt}, {"eval_return"}, {"eval_return_std"}};
  if (reference_) eval.push_back({"normalized_score"});
  eval.push_back({"elapsed_s", MetricFormat::kSeconds});
  metrics.add_group(kEvalGroup, "eval.csv", eval);
  if (model_)
    metrics.add_group(kModelGroup, "model.csv",
                      {{"gradient_steps", MetricFormat::kInt},
                       {"rollout_transitions", MetricFormat::kInt},
                       {"model_buffer_size", MetricFormat::kInt},
                       {"rollout_reward"},
                       {"rollout_penalty"},
                       {"rollout_terminated"},
                       {"rollout_dynamics_reward"},
                       {"rollout_filter_stops"},
                       {"rollout_s", MetricFormat::kSeconds}});

  RunSchedule schedule({options_.num_steps(), options_.eval_every(), options_.checkpoint_every()},
                       steps_);
  RunClock clock;
  if (!run.resumed) {
    // the model, once, on every transition of the dataset; a checkpoint keeps it
    steps_ = 0;
    evaluations_.clear();
    for (double& s : update_sums_) s = 0;
    updates_in_row_ = 0;
    bellman_penalty_sum_ = 0;
  }
  if (!run.resumed && model_) {
    const RunClock timer;
    if (!options_.model_file().empty()) {  // read when the loop was built
      log::logger("offline")->info("model read from {}", options_.model_file());
    } else {
      try {
        torch::AutoGradMode grad(true);
        learner_->train(*real_, gens_.model, &metrics);
      } catch (const NonFiniteError& e) {
        throw NonFiniteError(detail::str("offline: model training: ", e.what()));
      }
      log::logger("offline")->info("model trained on {} transitions in {:.1f} s", real_->size(),
                                   timer.seconds());
      if (run.run_dir != nullptr) write_model_file(run.run_dir->path() / "model.pt");
    }
    if (dynamics_reward_) {
      DynamicsRewardFit fit;
      try {
        fit = (*dynamics_reward_)->fit(real_->all(), gens_.dynamics_reward, &metrics);
      } catch (const NonFiniteError& e) {
        throw NonFiniteError(detail::str("offline: ", e.what()));
      }
      log::logger("offline")->info(
          "dynamics reward: {} discriminators in {:.1f} s; mean r_D {:.3f} on the data, {:.3f} on "
          "its generator's transitions",
          fit.snapshots, fit.seconds, fit.data_reward, fit.generated_reward);
    }
    const EnvSpec& spec = env_->spec();
    model_buffer_ = std::make_unique<ReplayBuffer>(
        options_.model_retain_epochs() * options_.rollout_batch_size() * options_.rollout_length(),
        spec.obs_dim(), spec.act_dim());
  }
  if (!run.resumed) {
    elapsed_s_ = clock.seconds();
    take_checkpoint(run, schedule, 0, "offline", "gradient step");
  }
  MBRL_ASSERT(!model_ || model_buffer_ != nullptr, "offline: resumed without a loaded checkpoint");
  clock.restart_from(elapsed_s_);

  Progress progress("gradient steps", options_.num_steps(), steps_);
  while (steps_ < options_.num_steps()) {
    const int64_t t = steps_ + 1;
    if (model_ && (t - 1) % options_.rollout_freq() == 0) roll_out(t, metrics);
    TransitionBatch batch = model_ ? sample_mixed(*real_, *model_buffer_, agent_->batch_size(),
                                                  options_.real_ratio(), gens_.replay)
                                   : real_->sample(agent_->batch_size(), gens_.replay);
    if (sac_ != nullptr) {  // MOBILE: the model rows' rewards, lowered in the critic's target
      const int64_t real = real_rows(agent_->batch_size(), options_.real_ratio());
      const int64_t n = batch.size() - real;
      if (n > 0) {
        const at::Tensor u = bellman_inconsistency(batch.obs.narrow(0, real, n),
                                                   batch.act.narrow(0, real, n), gens_.model_env)
                                 .to(batch.reward.device());
        batch.reward = batch.reward.clone();
        batch.reward.narrow(0, real, n).sub_(options_.penalty_coef() * u);
        bellman_penalty_sum_ += u.mean().item<double>();
      }
    }
    try {
      const UpdateMetrics m = agent_->update(batch);
      for (size_t i = 0; i < m.size(); ++i) update_sums_[i] += m[i];
      ++updates_in_row_;
    } catch (const NonFiniteError& e) {
      throw NonFiniteError(detail::str("offline: gradient step ", t, ": ", e.what()));
    }
    steps_ = t;
    const RunEvents due = schedule.after_step(t, /*at_boundary=*/true);
    if (due.evaluate) {
      log_train_row(t, metrics, clock.seconds());
      evaluate(t, metrics, clock.seconds());
    }
    progress.update(t, evaluation_status(evaluations_));
    if (due.checkpoint) {
      elapsed_s_ = clock.seconds();
      take_checkpoint(run, schedule, t, "offline", "gradient step");
    }
  }
  if (schedule.final_checkpoint_due(steps_)) {
    elapsed_s_ = clock.seconds();
    take_checkpoint(run, schedule, steps_, "offline", "gradient step");
  }
}

}  // namespace mbrl

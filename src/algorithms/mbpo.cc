// The MBPO loop: real steps, periodic model training and branched rollouts, SAC on a mix.
#include "mbrl/algorithms/mbpo.h"

#include <chrono>
#include <filesystem>
#include <numeric>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/core/cpu_share.h"
#include "mbrl/data/mixed_sampler.h"
#include "mbrl/io/checkpoint_archive.h"
#include "mbrl/io/run_dir.h"
#include "mbrl/log/metrics.h"
#include "mbrl/log/progress.h"
#include "mbrl/models/dynamics_model.h"

namespace mbrl {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

constexpr const char* kModelGroup = "model";

void declare_model_group(MetricsWriter& metrics, bool coplanner) {
  std::vector<MetricColumn> columns{{"env_steps", MetricFormat::kInt},
                                    {"epoch", MetricFormat::kInt},
                                    {"rollout_length", MetricFormat::kInt},
                                    {"model_epochs", MetricFormat::kInt},
                                    {"model_train_loss"},
                                    {"model_holdout_score"},
                                    {"model_members_not_better", MetricFormat::kInt},
                                    {"rollout_transitions", MetricFormat::kInt},
                                    {"model_buffer_size", MetricFormat::kInt},
                                    {"model_buffer_capacity", MetricFormat::kInt},
                                    {"rollout_reward"},
                                    {"rollout_epistemic_std"},
                                    {"rollout_terminated"},
                                    {"model_train_s", MetricFormat::kSeconds},
                                    {"rollout_s", MetricFormat::kSeconds},
                                    {"sac_update_s", MetricFormat::kSeconds},
                                    {"elapsed_s", MetricFormat::kSeconds}};
  if (coplanner) {
    columns.insert(columns.end(), {{"coplanner_rollout_return"},
                                   {"coplanner_rollout_uncertainty"},
                                   {"coplanner_explore_uncertainty"},
                                   {"coplanner_explore_s", MetricFormat::kSeconds}});
  }
  metrics.add_group(kModelGroup, "model.csv", columns);
}

// a NonFiniteError of a component, rethrown with the env step it happened at
[[noreturn]] void rethrow_at_step(const NonFiniteError& e, int64_t t) {
  throw NonFiniteError(detail::str("mbpo: env step ", t, ": ", e.what()));
}

// mean over the elites of each member's best holdout score
double elite_holdout(const ModelTrainResult& r) {
  if (r.elites.empty() || r.best_holdout_score.empty()) return 0.0;
  double sum = 0;
  for (int64_t m : r.elites) sum += r.best_holdout_score[m];
  return sum / static_cast<double>(r.elites.size());
}

}  // namespace

Mbpo::Mbpo(MbpoOptions options, std::shared_ptr<Env> env, std::shared_ptr<Env> eval_env,
           std::shared_ptr<PolicyLearner> agent, std::shared_ptr<DynamicsModel> model,
           std::shared_ptr<ModelLearner> learner, std::shared_ptr<const TaskFunctions> task,
           MbpoGenerators gens, uint64_t train_seed, uint64_t eval_seed)
    : options_(std::move(options)),
      agent_(std::move(agent)),
      model_(std::move(model)),
      learner_(std::move(learner)),
      eval_env_(std::move(eval_env)),
      gens_(std::move(gens)),
      model_env_(ModelEnvOptions().propagation(Propagation::kRandomModel).sample(true), model_,
                 std::move(task), gens_.model_env),
      episodes_(std::move(env), train_seed, agent_->metric_names()),
      eval_seed_(eval_seed) {
  const auto& o = options_;
  check_positive(o.num_steps(), "num_steps");
  check_positive(o.epoch_length(), "epoch_length");
  check_positive(o.model_train_freq(), "model_train_freq");
  check_positive(o.rollout_batch_size(), "rollout_batch_size");
  check_positive(o.model_retain_epochs(), "model_retain_epochs");
  check_positive(o.eval_every(), "eval_every");
  check_positive(o.eval_episodes(), "eval_episodes");
  check_positive(o.replay_capacity(), "replay_capacity");
  check_non_negative(o.initial_random_steps(), "initial_random_steps");
  check_non_negative(o.sac_updates_per_step(), "sac_updates_per_step");
  check_non_negative(o.rollout_history(), "rollout_history");
  MBRL_CHECK_ARG(o.rollout_history() == 0 || model_->has_memory(), "rollout_history", "model '",
                 model_->type(), "' has no memory to read a history into; expected 0");
  MBRL_CHECK_ARG(o.checkpoint_every() >= 0, "checkpoint_every",
                 "expected an integer >= 0 (0: only at the end), got ", o.checkpoint_every());
  MBRL_CHECK_ARG(o.real_ratio() >= 0 && o.real_ratio() <= 1, "real_ratio",
                 "expected a number in [0, 1], got ", o.real_ratio());
  RolloutSchedule::from_vector(o.rollout_schedule().to_vector());  // validates
  MBRL_CHECK(model_->learns_reward(), "mbpo: the model must learn the reward (learn_reward: true)");
  MBRL_CHECK(learner_ && learner_->model() == model_, "mbpo: the learner must train the model");
  MBRL_CHECK(!o.rollout_uncertainty() || model_env_.has_uncertainty(), "mbpo: model '",
             model_->type(), "' reports no uncertainty; set rollout_uncertainty: false");
  if (o.coplanner()) {
    MBRL_CHECK(model_env_.has_uncertainty(), "mbpo: coplanner needs a model that reports ",
               "uncertainty; model '", model_->type(), "' does not");
    up_mpc_.emplace(o.coplanner()->planner());
  }
  const Box& box = episodes_.env().spec().action_space;
  act_low_ = box.low;
  act_range_ = box.high - box.low;
}

int64_t Mbpo::model_buffer_capacity(const MbpoOptions& o, int64_t k) {
  // rollouts per epoch (one batch per model training) times k transitions each, kept for
  // model_retain_epochs epochs
  const int64_t trainings_per_epoch = std::max<int64_t>(1, o.epoch_length() / o.model_train_freq());
  return o.model_retain_epochs() * o.rollout_batch_size() * k * trainings_per_epoch;
}

void Mbpo::resize_model_buffer(int64_t k) {
  const int64_t capacity = model_buffer_capacity(options_, k);
  if (model_buffer_ && model_buffer_->capacity() == capacity) return;
  const EnvSpec& spec = episodes_.env().spec();
  auto fresh = std::make_unique<ReplayBuffer>(capacity, spec.obs_dim(), spec.act_dim());
  if (model_buffer_ && model_buffer_->size() > 0) fresh->add_batch(model_buffer_->all());
  model_buffer_ = std::move(fresh);
}

at::Tensor Mbpo::behaviour_action(int64_t t, const at::Tensor& obs) {
  if (t <= options_.initial_random_steps())
    return act_low_ + act_range_ * torch::rand({act_low_.size(0)}, gens_.explore);
  const auto& coplanner = options_.coplanner();
  if (!coplanner || !coplanner->optimistic_exploration() || rollout_length_ == 0)
    return agent_->act(obs, ActMode::kExplore);
  // COPlanner's optimistic exploration, once there is a model to plan in
  const auto start = Clock::now();
  UpMpcPlan plan;
  try {
    plan = up_mpc_->plan(
        model_env_, [this](const at::Tensor& o) { return agent_->act_batch(o, false); },
        obs.unsqueeze(0), coplanner->optimistic_weight());
  } catch (const NonFiniteError& e) {
    rethrow_at_step(e, t);
  }
  ++explore_plans_;
  explore_uncertainty_sum_ += plan.planned_uncertainty.item<double>();
  explore_plan_s_ += seconds_since(start);
  return plan.action.squeeze(0).to(torch::kCPU);
}

StepResult Mbpo::env_step(int64_t t) {
  // SAC's updates do not depend on the running threads; the model's training may
  if (learner_->shares_cpus()) share_cpus();
  if (!episodes_.in_episode()) agent_->reset();
  at::Tensor obs = episodes_.observation();
  at::Tensor act = behaviour_action(t, obs);
  StepResult step = episodes_.step(act);
  replay_->add(obs, act, step.obs, step.reward, step.terminated, step.truncated);
  return step;
}

void Mbpo::train_model_and_roll_out(int64_t t, MetricsWriter& metrics, double elapsed_s) {
  // the ensemble on every real transition
  auto start = Clock::now();
  ModelTrainResult trained;
  try {
    torch::AutoGradMode grad(true);
    trained = learner_->train(*replay_, gens_.model, &metrics);
  } catch (const NonFiniteError& e) {
    rethrow_at_step(e, t);
  }
  const double train_s = seconds_since(start);

  // rollout length of this epoch, the buffer sized for it, then k steps from real states
  // epochs counted from 0 after the random steps, as jannerm/mbpo's self._epoch
  const int64_t epoch = (t - options_.initial_random_steps()) / options_.epoch_length();
  rollout_length_ = options_.rollout_schedule().length(epoch);
  resize_model_buffer(rollout_length_);
  start = Clock::now();
  const RolloutStart starts = replay_->sample_rollout_starts(
      options_.rollout_batch_size(), options_.rollout_history(), gens_.rollout);
  const RolloutPolicy sample = [this](const at::Tensor& obs) {
    return agent_->act_batch(obs, false);
  };
  // COPlanner's conservative rollouts: every rollout action is UP-MPC's, penalising disagreement
  const auto& coplanner = options_.coplanner();
  const bool conservative = coplanner && coplanner->conservative_rollouts();
  double planned_return_sum = 0, planned_uncertainty_sum = 0;
  int64_t planned_rows = 0;
  const RolloutPolicy plan = [&](const at::Tensor& obs) {
    UpMpcPlan p = up_mpc_->plan(model_env_, sample, obs, -coplanner->conservative_weight());
    planned_return_sum += p.planned_return.sum().item<double>();
    planned_uncertainty_sum += p.planned_uncertainty.sum().item<double>();
    planned_rows += obs.size(0);
    return p.action;
  };
  ModelRolloutStats stats;
  try {
    stats = rollout_model(model_env_, conservative ? plan : sample, starts, *model_buffer_,
                          ModelRolloutOptions()
                              .horizon(rollout_length_)
                              .with_uncertainty(options_.rollout_uncertainty()));
  } catch (const NonFiniteError& e) {
    rethrow_at_step(e, t);
  }
  const double rollout_s = seconds_since(start);

  metrics.log(kModelGroup, "env_steps", static_cast<double>(t));
  metrics.log(kModelGroup, "epoch", static_cast<double>(epoch));
  metrics.log(kModelGroup, "rollout_length", static_cast<double>(rollout_length_));
  metrics.log(kModelGroup, "model_epochs", static_cast<double>(trained.epochs));
  if (!trained.train_loss.empty())
    metrics.log(kModelGroup, "model_train_loss", trained.train_loss.back());
  metrics.log(kModelGroup, "model_holdout_score", elite_holdout(trained));
  metrics.log(kModelGroup, "model_members_not_better",
              static_cast<double>(trained.members_not_better_than_before));
  metrics.log(kModelGroup, "rollout_transitions", static_cast<double>(stats.transitions));
  metrics.log(kModelGroup, "model_buffer_size", static_cast<double>(model_buffer_->size()));
  metrics.log(kModelGroup, "model_buffer_capacity", static_cast<double>(model_buffer_->capacity()));
  metrics.log(kModelGroup, "rollout_reward", stats.mean_reward);
  if (options_.rollout_uncertainty())
    metrics.log(kModelGroup, "rollout_epistemic_std", stats.mean_epistemic_std);
  metrics.log(kModelGroup, "rollout_terminated", stats.terminated_fraction);
  metrics.log(kModelGroup, "model_train_s", train_s);
  metrics.log(kModelGroup, "rollout_s", rollout_s);
  metrics.log(kModelGroup, "sac_update_s", sac_time_s_);
  metrics.log(kModelGroup, "elapsed_s", elapsed_s);
  if (coplanner) {
    // a column without plans behind it (that half switched off, or no plan yet) stays empty
    if (planned_rows > 0) {
      metrics.log(kModelGroup, "coplanner_rollout_return",
                  planned_return_sum / static_cast<double>(planned_rows));
      metrics.log(kModelGroup, "coplanner_rollout_uncertainty",
                  planned_uncertainty_sum / static_cast<double>(planned_rows));
    }
    if (explore_plans_ > 0) {
      metrics.log(kModelGroup, "coplanner_explore_uncertainty",
                  explore_uncertainty_sum_ / static_cast<double>(explore_plans_));
    }
    metrics.log(kModelGroup, "coplanner_explore_s", explore_plan_s_);
  }
  metrics.dump(kModelGroup);
  sac_time_s_ = 0;
  explore_plans_ = 0;
  explore_uncertainty_sum_ = explore_plan_s_ = 0;
}

void Mbpo::update_agent(int64_t t) {
  const auto start = Clock::now();
  const int64_t batch_size = agent_->batch_size();
  for (int64_t u = 0; u < options_.sac_updates_per_step(); ++u) {
    TransitionBatch batch =
        sample_mixed(*replay_, *model_buffer_, batch_size, options_.real_ratio(), gens_.replay);
    try {
      episodes_.add_update(agent_->update(batch));
    } catch (const NonFiniteError& e) {
      rethrow_at_step(e, t);
    }
  }
  sac_time_s_ += seconds_since(start);
}

void Mbpo::run(RunContext& run) {
  MetricsWriter& metrics = *run.metrics;
  episodes_.declare_metrics(metrics);
  declare_evaluation_metrics(metrics);
  declare_model_group(metrics, options_.coplanner().has_value());
  if (!run.resumed) {
    const EnvSpec& spec = episodes_.env().spec();
    replay_ =
        std::make_unique<ReplayBuffer>(options_.replay_capacity(), spec.obs_dim(), spec.act_dim());
    model_buffer_.reset();
    rollout_length_ = 0;
    evaluations_.clear();
    elapsed_s_ = 0;
  }
  MBRL_ASSERT(replay_ != nullptr, "mbpo: resumed without a loaded checkpoint");
  RunSchedule schedule({options_.num_steps(), options_.eval_every(), options_.checkpoint_every()},
                       episodes_.env_steps());
  RunClock clock;
  clock.restart_from(elapsed_s_);
  const EvaluationPlan evaluation{*eval_env_, *agent_, options_.eval_episodes(), eval_seed_};

  const int64_t initial = options_.initial_random_steps();
  Progress progress("env steps", options_.num_steps(), episodes_.env_steps());
  while (episodes_.env_steps() < options_.num_steps()) {
    const int64_t t = episodes_.env_steps() + 1;
    StepResult step = env_step(t);
    if (t >= initial && (t - initial) % options_.model_train_freq() == 0 && replay_->size() >= 2)
      train_model_and_roll_out(t, metrics, clock.seconds());
    if (model_buffer_ && model_buffer_->size() > 0) update_agent(t);
    const size_t evaluations_before = evaluations_.size();
    const bool checkpoint_due =
        after_online_step(t, step, episodes_, schedule, clock, metrics, evaluation, evaluations_);
    if (options_.keep_models() && run.run_dir != nullptr &&
        evaluations_.size() > evaluations_before) {
      const auto dir = run.run_dir->path() / "models";
      std::filesystem::create_directories(dir);
      save_model(*learner_->model(), dir / ("step_" + std::to_string(t) + ".pt"));
    }
    progress.update(t, evaluation_status(evaluations_));
    if (checkpoint_due) {
      elapsed_s_ = clock.seconds();
      take_checkpoint(run, schedule, t, "mbpo");
    }
  }
  if (schedule.final_checkpoint_due(episodes_.env_steps())) {
    elapsed_s_ = clock.seconds();
    take_checkpoint(run, schedule, episodes_.env_steps(), "mbpo");
  }
}

}  // namespace mbrl

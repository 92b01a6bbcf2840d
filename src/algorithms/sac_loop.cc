// SacLoop: step the env one step at a time, update SAC from replay, evaluate periodically.
#include "mbrl/algorithms/sac_loop.h"

#include <cmath>

#include <torch/torch.h>

#include "mbrl/agents/agent_registry.h"
#include "mbrl/core/check.h"
#include "mbrl/core/cpu_share.h"
#include "mbrl/core/rng.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/io/checkpoint_archive.h"
#include "mbrl/log/log.h"
#include "mbrl/log/metrics.h"
#include "mbrl/log/progress.h"

namespace mbrl {

SacLoop::SacLoop(SacLoopOptions options, std::shared_ptr<Env> env, std::shared_ptr<Env> eval_env,
                 std::shared_ptr<PolicyLearner> agent, at::Generator random_gen,
                 at::Generator replay_gen, uint64_t train_seed, uint64_t eval_seed)
    : options_(options),
      eval_env_(std::move(eval_env)),
      agent_(std::move(agent)),
      random_gen_(random_gen),
      random_agent_(env->spec().action_space, std::move(random_gen), env->spec().discrete_actions),
      replay_gen_(std::move(replay_gen)),
      episodes_(std::move(env), train_seed, agent_->metric_names()),
      eval_seed_(eval_seed) {
  check_positive(options_.num_steps(), "num_steps");
  check_positive(options_.eval_every(), "eval_every");
  check_positive(options_.eval_episodes(), "eval_episodes");
  check_positive(options_.replay_capacity(), "replay_capacity");
  MBRL_CHECK_ARG(!options_.stop_at_eval_return() || std::isfinite(*options_.stop_at_eval_return()),
                 "stop_at_eval_return", "expected a finite number, got ",
                 *options_.stop_at_eval_return());
  check_non_negative(options_.initial_random_steps(), "initial_random_steps");
  check_non_negative(options_.updates_per_step(), "updates_per_step");
  MBRL_CHECK_ARG(options_.checkpoint_every() >= 0, "checkpoint_every",
                 "expected an integer >= 0 (0: only at the end), got ",
                 options_.checkpoint_every());
}

void SacLoop::run(RunContext& run) {
  MetricsWriter& metrics = *run.metrics;
  episodes_.declare_metrics(metrics);
  declare_evaluation_metrics(metrics);
  if (!run.resumed) {
    const EnvSpec& spec = episodes_.env().spec();
    replay_ =
        std::make_unique<ReplayBuffer>(options_.replay_capacity(), spec.obs_dim(), spec.act_dim());
    evaluations_.clear();
    elapsed_s_ = 0;
  }
  MBRL_ASSERT(replay_ != nullptr, "sac: resumed without a loaded checkpoint");
  const int64_t batch_size = agent_->batch_size();
  RunSchedule schedule({options_.num_steps(), options_.eval_every(), options_.checkpoint_every()},
                       episodes_.env_steps());
  RunClock clock;
  clock.restart_from(elapsed_s_);
  const EvaluationPlan evaluation{*eval_env_, *agent_, options_.eval_episodes(), eval_seed_};

  Progress progress("env steps", options_.num_steps(), episodes_.env_steps());
  while (episodes_.env_steps() < options_.num_steps() && !stop_return_reached()) {
    const int64_t t = episodes_.env_steps() + 1;

    // act (random at first), step, store
    if (!episodes_.in_episode()) agent_->reset();
    at::Tensor obs = episodes_.observation();
    at::Tensor act = t <= options_.initial_random_steps() ? random_agent_.act(obs)
                                                          : agent_->act(obs, ActMode::kExplore);
    StepResult step = episodes_.step(act);
    share_cpus();  // SAC's updates do not depend on the threads running them
    replay_->add(obs, act, step.obs, step.reward, step.terminated, step.truncated);

    // learn
    if (replay_->size() >= batch_size) {
      try {
        for (int64_t u = 0; u < options_.updates_per_step(); ++u) {
          episodes_.add_update(agent_->update(replay_->sample(batch_size, replay_gen_)));
        }
      } catch (const NonFiniteError& e) {
        // stop before any checkpoint of the broken state; name the env step
        throw NonFiniteError(detail::str("sac loop: env step ", t, ": ", e.what()));
      }
    }
    const bool checkpoint_due =
        after_online_step(t, step, episodes_, schedule, clock, metrics, evaluation, evaluations_);
    progress.update(t, evaluation_status(evaluations_));
    if (checkpoint_due) {
      elapsed_s_ = clock.seconds();
      take_checkpoint(run, schedule, t, "sac");
    }
  }
  if (stop_return_reached()) {
    log::logger("sac")->info(
        "stopped at env step {}: evaluation return {:.2f} reached "
        "stop_at_eval_return {:.2f}",
        episodes_.env_steps(), evaluations_.back().mean_return, *options_.stop_at_eval_return());
  }
  if (schedule.final_checkpoint_due(episodes_.env_steps())) {
    elapsed_s_ = clock.seconds();
    take_checkpoint(run, schedule, episodes_.env_steps(), "sac");
  }
}

bool SacLoop::stop_return_reached() const {
  return options_.stop_at_eval_return() && !evaluations_.empty() &&
         evaluations_.back().mean_return >= *options_.stop_at_eval_return();
}

void SacLoop::save_checkpoint(torch::serialize::OutputArchive& archive) const {
  using torch::serialize::OutputArchive;
  checkpoint::write_nested(archive, "episodes", [&](OutputArchive& a) { episodes_.save(a); });
  checkpoint::write_double(archive, "elapsed_s", elapsed_s_);
  write_evaluations(archive, "evaluations", evaluations_);
  checkpoint::write_nested(archive, "agent", [&](OutputArchive& a) { agent_->save(a); });
  checkpoint::write_int(archive, "replay_capacity", replay_->capacity());
  checkpoint::write_nested(archive, "replay", [&](OutputArchive& a) { replay_->save(a); });
  checkpoint::write_generator(archive, "gen_random", random_gen_);
  checkpoint::write_generator(archive, "gen_replay", replay_gen_);
}

void SacLoop::load_checkpoint(torch::serialize::InputArchive& archive) {
  using torch::serialize::InputArchive;
  InputArchive episodes = checkpoint::read_nested(archive, "episodes");
  episodes_.load(episodes);
  elapsed_s_ = checkpoint::read_double(archive, "elapsed_s");
  evaluations_ = read_evaluations(archive, "evaluations");
  InputArchive agent = checkpoint::read_nested(archive, "agent");
  agent_->load(agent);
  const EnvSpec& spec = episodes_.env().spec();
  replay_ = std::make_unique<ReplayBuffer>(checkpoint::read_int(archive, "replay_capacity"),
                                           spec.obs_dim(), spec.act_dim());
  InputArchive replay = checkpoint::read_nested(archive, "replay");
  replay_->load(replay, "checkpoint entry 'replay'");
  checkpoint::read_generator(archive, "gen_random", random_gen_);
  checkpoint::read_generator(archive, "gen_replay", replay_gen_);
}

std::shared_ptr<Algorithm> make_sac_loop(const ConfigNode& node, const BuildContext& ctx,
                                         const ConfigNode& agent_node) {
  SacLoopOptions o;
  MBRL_READ_OPTION(node, o, num_steps);
  MBRL_READ_OPTION(node, o, initial_random_steps);
  MBRL_READ_OPTION(node, o, updates_per_step);
  MBRL_READ_OPTION(node, o, eval_every);
  MBRL_READ_OPTION(node, o, eval_episodes);
  MBRL_READ_OPTION(node, o, replay_capacity);
  MBRL_READ_OPTION(node, o, checkpoint_every);
  if (node.has("stop_at_eval_return"))
    o.stop_at_eval_return(node.get<double>("stop_at_eval_return"));

  const auto& env = ctx.built.env;
  const auto& maker = ctx.built.env_maker;
  MBRL_ASSERT(env && maker, "algorithm 'sac' built before the env");
  auto agent = make_policy_learner(agent_node, ctx, "sac");
  return std::make_shared<SacLoop>(o, env, maker->make("eval"), agent,
                                   ctx.cpu_generator("initial_random"), ctx.cpu_generator("replay"),
                                   derive_seed(ctx.seed, "train_episodes"),
                                   derive_seed(ctx.seed, "eval"));
}

}  // namespace mbrl

// DreamerLoop: step the env with the Dreamer agent, keep the steps in a sequence replay, train
// at the configured ratio of replayed to collected steps, evaluate periodically.
#include "mbrl/algorithms/dreamer_loop.h"

#include <cmath>
#include <filesystem>
#include <string>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/core/rng.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/io/checkpoint_archive.h"
#include "mbrl/io/run_dir.h"
#include "mbrl/log/metrics.h"
#include "mbrl/log/progress.h"

namespace mbrl {

DreamerLoop::DreamerLoop(DreamerLoopOptions options, std::shared_ptr<Env> env,
                         std::shared_ptr<Env> eval_env, std::shared_ptr<DreamerAgent> agent,
                         at::Generator random_gen, at::Generator replay_gen, uint64_t train_seed,
                         uint64_t eval_seed)
    : options_(options),
      eval_env_(std::move(eval_env)),
      agent_(std::move(agent)),
      random_gen_(random_gen),
      random_agent_(env->spec().action_space, std::move(random_gen), env->spec().discrete_actions),
      replay_gen_(std::move(replay_gen)),
      episodes_(std::move(env), train_seed, agent_->metric_names()),
      eval_seed_(eval_seed) {
  check_positive(options_.num_steps(), "num_steps");
  check_non_negative(options_.initial_random_steps(), "initial_random_steps");
  MBRL_CHECK_ARG(options_.train_ratio() > 0 && std::isfinite(options_.train_ratio()), "train_ratio",
                 "expected a number > 0 (replayed steps per env step), got ",
                 options_.train_ratio());
  check_positive(options_.batch_size(), "batch_size");
  check_positive(options_.sequence_length(), "sequence_length");
  check_positive(options_.eval_every(), "eval_every");
  check_positive(options_.eval_episodes(), "eval_episodes");
  MBRL_CHECK_ARG(options_.replay_capacity() >= options_.sequence_length(), "replay_capacity",
                 "expected at least sequence_length = ", options_.sequence_length(), " steps, got ",
                 options_.replay_capacity());
  MBRL_CHECK_ARG(options_.checkpoint_every() >= 0, "checkpoint_every",
                 "expected an integer >= 0 (0: only at the end), got ",
                 options_.checkpoint_every());
}

int64_t DreamerLoop::updates_due(int64_t t) const {
  const int64_t trained_steps = t - options_.initial_random_steps();
  if (trained_steps <= 0) return 0;
  const double replayed_per_update =
      static_cast<double>(options_.batch_size() * options_.sequence_length());
  return static_cast<int64_t>(std::floor(static_cast<double>(trained_steps) *
                                         options_.train_ratio() / replayed_per_update));
}

void DreamerLoop::run(RunContext& run) {
  MetricsWriter& metrics = *run.metrics;
  episodes_.declare_metrics(metrics);
  declare_evaluation_metrics(metrics);
  if (!run.resumed) {
    const EnvSpec& spec = episodes_.env().spec();
    replay_ =
        std::make_unique<StepReplay>(options_.replay_capacity(), spec.obs_dim(), spec.act_dim());
    evaluations_.clear();
    updates_ = 0;
    elapsed_s_ = 0;
  }
  MBRL_ASSERT(replay_ != nullptr, "dreamer: resumed without a loaded checkpoint");
  RunSchedule schedule({options_.num_steps(), options_.eval_every(), options_.checkpoint_every()},
                       episodes_.env_steps());
  RunClock clock;
  clock.restart_from(elapsed_s_);
  const EvaluationPlan evaluation{*eval_env_, *agent_, options_.eval_episodes(), eval_seed_};

  Progress progress("env steps", options_.num_steps(), episodes_.env_steps());
  while (episodes_.env_steps() < options_.num_steps()) {
    const int64_t t = episodes_.env_steps() + 1;

    // act (random during the prefill), step, store the step as the world model sees it
    if (!episodes_.in_episode()) {
      agent_->reset();
      replay_->add_first(episodes_.observation());
    }
    const at::Tensor obs = episodes_.observation();
    at::Tensor act, stored_act;
    if (t <= options_.initial_random_steps()) {
      act = random_agent_.act(obs);
      stored_act = agent_->normalize(act).clamp(-1.0, 1.0);
    } else {
      act = agent_->act(obs, ActMode::kExplore);
      stored_act = agent_->last_normalized_action();
    }
    const StepResult step = episodes_.step(act);
    replay_->add(step.obs, stored_act, step.reward, step.terminated);

    // learn: as many updates as the ratio has earned, once the replay holds one chunk
    if (replay_->size() >= options_.sequence_length()) {
      try {
        for (const int64_t due = updates_due(t); updates_ < due; ++updates_) {
          const StepBatch chunks =
              replay_->sample(options_.batch_size(), options_.sequence_length(), replay_gen_);
          episodes_.add_update(agent_->train(chunks));
        }
      } catch (const NonFiniteError& e) {
        // stop before any checkpoint of the broken state; name the env step and the update
        throw NonFiniteError(
            detail::str("dreamer loop: env step ", t, ": update ", updates_ + 1, ": ", e.what()));
      }
    }
    // an evaluation inside the training episode must not cost the episode its acting memory
    const DreamerAgent::Memory memory = agent_->memory();
    const size_t evaluations_before = evaluations_.size();
    const bool checkpoint_due =
        after_online_step(t, step, episodes_, schedule, clock, metrics, evaluation, evaluations_);
    if (episodes_.in_episode()) agent_->restore(memory);
    if (options_.keep_models() && run.run_dir != nullptr &&
        evaluations_.size() > evaluations_before) {
      const auto dir = run.run_dir->path() / "models";
      std::filesystem::create_directories(dir);
      save_world_model(agent_->world_model(), dir / ("step_" + std::to_string(t) + ".pt"));
    }
    progress.update(t, evaluation_status(evaluations_));
    if (checkpoint_due) {
      elapsed_s_ = clock.seconds();
      take_checkpoint(run, schedule, t, "dreamer");
    }
  }
  if (schedule.final_checkpoint_due(episodes_.env_steps())) {
    elapsed_s_ = clock.seconds();
    take_checkpoint(run, schedule, episodes_.env_steps(), "dreamer");
  }
}

void DreamerLoop::save_checkpoint(torch::serialize::OutputArchive& archive) const {
  using torch::serialize::OutputArchive;
  checkpoint::write_nested(archive, "episodes", [&](OutputArchive& a) { episodes_.save(a); });
  checkpoint::write_double(archive, "elapsed_s", elapsed_s_);
  checkpoint::write_int(archive, "updates", updates_);
  write_evaluations(archive, "evaluations", evaluations_);
  checkpoint::write_nested(archive, "agent", [&](OutputArchive& a) { agent_->save(a); });
  checkpoint::write_int(archive, "replay_capacity", replay_->capacity());
  checkpoint::write_nested(archive, "replay", [&](OutputArchive& a) { replay_->save(a); });
  checkpoint::write_generator(archive, "gen_random", random_gen_);
  checkpoint::write_generator(archive, "gen_replay", replay_gen_);
}

void DreamerLoop::load_checkpoint(torch::serialize::InputArchive& archive) {
  using torch::serialize::InputArchive;
  InputArchive episodes = checkpoint::read_nested(archive, "episodes");
  episodes_.load(episodes);
  elapsed_s_ = checkpoint::read_double(archive, "elapsed_s");
  updates_ = checkpoint::read_int(archive, "updates");
  evaluations_ = read_evaluations(archive, "evaluations");
  InputArchive agent = checkpoint::read_nested(archive, "agent");
  agent_->load(agent);
  const EnvSpec& spec = episodes_.env().spec();
  replay_ = std::make_unique<StepReplay>(checkpoint::read_int(archive, "replay_capacity"),
                                         spec.obs_dim(), spec.act_dim());
  InputArchive replay = checkpoint::read_nested(archive, "replay");
  replay_->load(replay, "checkpoint entry 'replay'");
  checkpoint::read_generator(archive, "gen_random", random_gen_);
  checkpoint::read_generator(archive, "gen_replay", replay_gen_);
}

std::shared_ptr<Algorithm> make_dreamer_loop(const ConfigNode& node, const BuildContext& ctx,
                                             const ConfigNode& agent_node) {
  DreamerLoopOptions o;
  MBRL_READ_OPTION(node, o, num_steps);
  MBRL_READ_OPTION(node, o, initial_random_steps);
  MBRL_READ_OPTION(node, o, train_ratio);
  MBRL_READ_OPTION(node, o, batch_size);
  MBRL_READ_OPTION(node, o, sequence_length);
  MBRL_READ_OPTION(node, o, eval_every);
  MBRL_READ_OPTION(node, o, eval_episodes);
  MBRL_READ_OPTION(node, o, replay_capacity);
  MBRL_READ_OPTION(node, o, checkpoint_every);
  MBRL_READ_OPTION(node, o, keep_models);

  const auto& env = ctx.built.env;
  const auto& maker = ctx.built.env_maker;
  MBRL_ASSERT(env && maker, "algorithm 'dreamer' built before the env");
  const std::string agent_type = agent_node.get<std::string>("type");
  if (agent_type != "dreamer") {
    throw agent_node.error(
        "type", "algorithm 'dreamer' needs an agent of type 'dreamer', got '" + agent_type + "'");
  }
  auto agent = make_dreamer_agent(agent_node, ctx);
  return std::make_shared<DreamerLoop>(
      o, env, maker->make("eval"), agent, ctx.cpu_generator("initial_random"),
      ctx.cpu_generator("replay"), derive_seed(ctx.seed, "train_episodes"),
      derive_seed(ctx.seed, "eval"));
}

}  // namespace mbrl

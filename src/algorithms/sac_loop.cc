// SacLoop: step the env one step at a time, update SAC from replay, evaluate periodically.
#include "mbrl/algorithms/sac_loop.h"

#include <chrono>

#include <torch/torch.h>

#include "mbrl/algorithms/episode.h"
#include "mbrl/core/check.h"
#include "mbrl/core/rng.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/log/metrics.h"

namespace mbrl {
namespace {

constexpr const char* kUpdateColumns[] = {"critic_loss", "actor_loss", "alpha", "entropy",
                                          "q_mean"};

// sums of the update metrics of one episode, for its metrics row
struct UpdateTotals {
  int64_t count = 0;
  double sums[5] = {0, 0, 0, 0, 0};

  void add(const SacUpdateMetrics& m) {
    const double v[5] = {m.critic_loss, m.actor_loss, m.alpha, m.entropy, m.q_mean};
    for (int i = 0; i < 5; ++i) sums[i] += v[i];
    ++count;
  }
};

void declare_groups(MetricsWriter& metrics) {
  std::vector<MetricColumn> episode{{"episode", MetricFormat::kInt},
                                    {"env_steps", MetricFormat::kInt},
                                    {"episode_return", MetricFormat::kFloat},
                                    {"episode_length", MetricFormat::kInt}};
  for (const char* c : kUpdateColumns) episode.push_back({c, MetricFormat::kFloat});
  episode.push_back({"elapsed_s", MetricFormat::kSeconds});
  metrics.add_group("episode", "metrics.csv", episode);
  metrics.add_group("eval", "eval.csv",
                    {{"env_steps", MetricFormat::kInt},
                     {"eval_return", MetricFormat::kFloat},
                     {"eval_return_std", MetricFormat::kFloat},
                     {"elapsed_s", MetricFormat::kSeconds}});
}

}  // namespace

SacLoop::SacLoop(SacLoopOptions options, std::shared_ptr<Env> env, std::shared_ptr<Env> eval_env,
                 std::shared_ptr<SacAgent> agent, at::Generator random_gen,
                 at::Generator replay_gen, uint64_t eval_seed)
    : options_(options),
      env_(std::move(env)),
      eval_env_(std::move(eval_env)),
      agent_(std::move(agent)),
      random_agent_(env_->spec().action_space, std::move(random_gen)),
      replay_gen_(std::move(replay_gen)),
      eval_seed_(eval_seed) {
  auto positive = [](int64_t v, const char* key) {
    MBRL_CHECK_ARG(v >= 1, key, "expected a positive integer, got ", v);
  };
  positive(options_.num_steps(), "num_steps");
  positive(options_.eval_every(), "eval_every");
  positive(options_.eval_episodes(), "eval_episodes");
  positive(options_.replay_capacity(), "replay_capacity");
  MBRL_CHECK_ARG(options_.initial_random_steps() >= 0, "initial_random_steps",
                 "expected an integer >= 0, got ", options_.initial_random_steps());
  MBRL_CHECK_ARG(options_.updates_per_step() >= 0, "updates_per_step",
                 "expected an integer >= 0, got ", options_.updates_per_step());
}

SacEvaluation SacLoop::evaluate(int64_t env_steps) {
  std::vector<double> returns;
  for (int64_t i = 0; i < options_.eval_episodes(); ++i) {
    returns.push_back(
        run_episode(*eval_env_, *agent_, ActMode::kEval, nullptr, eval_seed_ + i).episode_return);
  }
  auto [mean, std] = mean_std(returns);
  return {env_steps, mean, std};
}

void SacLoop::run(RunContext& run) {
  MetricsWriter& metrics = *run.metrics;
  declare_groups(metrics);
  evaluations_.clear();
  const EnvSpec& spec = env_->spec();
  ReplayBuffer replay(options_.replay_capacity(), spec.obs_dim(), spec.act_dim());
  const int64_t batch_size = agent_->options().batch_size();
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  int64_t episode = 0, episode_length = 0;
  double episode_return = 0;
  UpdateTotals totals;
  agent_->reset();
  at::Tensor obs = env_->reset();
  for (int64_t t = 1; t <= options_.num_steps(); ++t) {
    // act (random at first), step, store
    at::Tensor act = t <= options_.initial_random_steps() ? random_agent_.act(obs)
                                                          : agent_->act(obs, ActMode::kExplore);
    StepResult step = env_->step(act);
    replay.add(obs, act, step.obs, step.reward, step.terminated, step.truncated);
    episode_return += step.reward;
    ++episode_length;
    obs = step.obs;

    // learn
    if (replay.size() >= batch_size) {
      for (int64_t u = 0; u < options_.updates_per_step(); ++u) {
        totals.add(agent_->update(replay.sample(batch_size, replay_gen_)));
      }
    }

    // episode end: one metrics row, then a fresh episode
    if (step.terminated || step.truncated) {
      ++episode;
      metrics.log("episode", "episode", episode);
      metrics.log("episode", "env_steps", t);
      metrics.log("episode", "episode_return", episode_return);
      metrics.log("episode", "episode_length", episode_length);
      for (int i = 0; i < 5 && totals.count > 0; ++i)
        metrics.log("episode", kUpdateColumns[i], totals.sums[i] / totals.count);
      metrics.log("episode", "elapsed_s", elapsed());
      metrics.dump("episode");
      episode_return = 0, episode_length = 0, totals = UpdateTotals{};
      agent_->reset();
      obs = env_->reset();
    }

    if (t % options_.eval_every() == 0 || t == options_.num_steps()) {
      evaluations_.push_back(evaluate(t));
      metrics.log("eval", "env_steps", t);
      metrics.log("eval", "eval_return", evaluations_.back().mean_return);
      metrics.log("eval", "eval_return_std", evaluations_.back().std_return);
      metrics.log("eval", "elapsed_s", elapsed());
      metrics.dump("eval");
    }
  }
}

std::shared_ptr<Algorithm> make_sac_loop(const ConfigNode& node, const BuildContext& ctx) {
  SacLoopOptions o;
  o.num_steps(node.get_or("num_steps", o.num_steps()));
  o.initial_random_steps(node.get_or("initial_random_steps", o.initial_random_steps()));
  o.updates_per_step(node.get_or("updates_per_step", o.updates_per_step()));
  o.eval_every(node.get_or("eval_every", o.eval_every()));
  o.eval_episodes(node.get_or("eval_episodes", o.eval_episodes()));
  o.replay_capacity(node.get_or("replay_capacity", o.replay_capacity()));

  auto env = ctx.get<Env>();
  if (!env) throw node.error("algorithm 'sac' needs an 'env' section");
  auto agent = std::dynamic_pointer_cast<SacAgent>(ctx.get<Agent>());
  if (!agent) throw node.error("algorithm 'sac' needs an agent of type 'sac'");
  auto maker = ctx.get<EnvMaker>();
  MBRL_ASSERT(maker, "algorithm 'sac' built without an EnvMaker");
  return std::make_shared<SacLoop>(o, env, maker->make("eval"), agent,
                                   ctx.cpu_generator("initial_random"), ctx.cpu_generator("replay"),
                                   derive_seed(ctx.seed, "eval"));
}

}  // namespace mbrl

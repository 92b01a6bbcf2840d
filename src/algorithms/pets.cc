// The PETS loop: random trials, then train the ensemble and run one MPC episode per trial.
#include "mbrl/algorithms/pets.h"

#include <chrono>
#include <filesystem>
#include <string>

#include <torch/torch.h>

#include "mbrl/agents/random_agent.h"
#include "mbrl/algorithms/episode.h"
#include "mbrl/config/config_node.h"
#include "mbrl/core/cpu_share.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/io/run_dir.h"
#include "mbrl/log/log.h"
#include "mbrl/log/metrics.h"
#include "mbrl/log/progress.h"
#include "mbrl/models/dynamics_model.h"

namespace mbrl {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

const char* kGroup = "trial";

void declare_metrics(MetricsWriter& m) {
  m.add_group(kGroup, "metrics.csv",
              {{"trial", MetricFormat::kInt},
               {"env_steps", MetricFormat::kInt},
               {"episode_return"},
               {"episode_length", MetricFormat::kInt},
               {"model_train_loss"},
               {"model_holdout_score"},
               {"model_epochs", MetricFormat::kInt},
               {"plan_ms"},
               {"trial_s", MetricFormat::kSeconds},
               {"elapsed_s", MetricFormat::kSeconds},
               {"eta_s", MetricFormat::kSeconds}});
}

}  // namespace

PetsAlgorithm::PetsAlgorithm(PetsOptions options, std::shared_ptr<Env> env,
                             std::shared_ptr<MpcAgent> agent, std::shared_ptr<ModelLearner> learner,
                             at::Generator gen)
    : options_(std::move(options)),
      env_(std::move(env)),
      agent_(std::move(agent)),
      learner_(std::move(learner)),
      gen_(std::move(gen)) {
  MBRL_CHECK_ARG(options_.num_trials() >= 1, "num_trials", "expected a positive integer, got ",
                 options_.num_trials());
  MBRL_CHECK_ARG(options_.initial_random_trials() >= 1, "initial_random_trials",
                 "expected a positive integer, got ", options_.initial_random_trials());
  MBRL_CHECK_ARG(options_.train_every() >= 0, "train_every",
                 "expected 0 (once per trial) or a positive step count, got ",
                 options_.train_every());
  MBRL_CHECK_ARG(options_.replay_capacity() >= 1, "replay_capacity",
                 "expected a positive integer, got ", options_.replay_capacity());
}

void PetsAlgorithm::run(RunContext& run) {
  MetricsWriter& metrics = *run.metrics;
  declare_metrics(metrics);
  auto logger = log::logger("pets");
  const EnvSpec& spec = env_->spec();
  ReplayBuffer buffer(options_.replay_capacity(), spec.obs_dim(), spec.act_dim());
  RandomAgent explorer(spec.action_space, gen_.clone());
  const int64_t total = options_.initial_random_trials() + options_.num_trials();
  const auto start = Clock::now();
  double mpc_time = 0.0;  // seconds spent in MPC trials, for the ETA

  ModelTrainResult last_training;
  auto train_model = [&] {
    torch::AutoGradMode grad(true);
    last_training = learner_->train(buffer, gen_, &metrics);
  };

  Progress progress("trials", total);
  for (int64_t trial = 1; trial <= total; ++trial) {
    const bool random = trial <= options_.initial_random_trials();
    const auto trial_start = Clock::now();
    const double plan_time_before = agent_->acting_planning_time_s();
    const int64_t plans_before = agent_->num_plans();
    EpisodeResult episode;

    if (random) {
      episode = run_episode(*env_, explorer, ActMode::kExplore, &buffer);
    } else {
      train_model();
      if (options_.keep_models() && run.run_dir != nullptr) {
        const auto dir = run.run_dir->path() / "models";
        std::filesystem::create_directories(dir);
        save_model(
            *learner_->model(),
            dir / ("trial_" + std::to_string(trial - options_.initial_random_trials()) + ".pt"));
      }
      const int64_t every = options_.train_every();
      episode = run_episode(*env_, *agent_, ActMode::kExplore, &buffer, std::nullopt, 0,
                            [&](int64_t steps) {
                              // planning does not depend on the running threads; training may
                              if (learner_->shares_cpus()) share_cpus();
                              if (every > 0 && steps % every == 0) train_model();
                            });
      mpc_time += seconds_since(trial_start);
    }
    const double plan_time = agent_->acting_planning_time_s() - plan_time_before;

    // one progress row per episode
    const int64_t mpc_done = trial - options_.initial_random_trials();
    const double eta = mpc_done > 0 ? mpc_time / mpc_done * (total - trial) : 0.0;
    const int64_t plans = agent_->num_plans() - plans_before;
    metrics.log(kGroup, "trial", trial - options_.initial_random_trials());
    metrics.log(kGroup, "env_steps", static_cast<double>(buffer.num_added()));
    metrics.log(kGroup, "episode_return", episode.episode_return);
    metrics.log(kGroup, "episode_length", static_cast<double>(episode.length));
    if (!random) {
      if (!last_training.train_loss.empty()) {
        metrics.log(kGroup, "model_train_loss", last_training.train_loss.back());
      }
      if (!last_training.holdout_score.empty()) {  // learners without a holdout split report none
        metrics.log(kGroup, "model_holdout_score", last_training.holdout_score.back());
      }
      metrics.log(kGroup, "model_epochs", static_cast<double>(last_training.epochs));
      if (plans > 0) metrics.log(kGroup, "plan_ms", 1000.0 * plan_time / plans);
    }
    metrics.log(kGroup, "trial_s", seconds_since(trial_start));
    metrics.log(kGroup, "elapsed_s", seconds_since(start));
    metrics.log(kGroup, "eta_s", eta);
    metrics.dump(kGroup);
    progress.update(trial, detail::str("return ", episode.episode_return));
  }
  logger->info("PETS finished {} trials in {:.1f} s", options_.num_trials(), seconds_since(start));
}

std::shared_ptr<Algorithm> make_pets(const ConfigNode& node, const BuildContext& ctx,
                                     const ConfigNode& agent) {
  PetsOptions o;
  MBRL_READ_OPTION(node, o, num_trials);
  MBRL_READ_OPTION(node, o, initial_random_trials);
  MBRL_READ_OPTION(node, o, train_every);
  MBRL_READ_OPTION(node, o, replay_capacity);
  MBRL_READ_OPTION(node, o, keep_models);
  const ConfigNode training = node.section("model_training");
  const auto& model = ctx.built.model;
  if (!model) throw node.error("algorithm 'pets' needs a 'model' section");
  const std::string agent_type = agent.get<std::string>("type");
  if (agent_type != "mpc") {
    throw agent.error("type",
                      "algorithm 'pets' needs an agent of type 'mpc', got '" + agent_type + "'");
  }
  auto mpc = with_config_context(agent, [&] { return make_mpc_agent(agent, ctx); });
  auto learner =
      model_learner_registry().create(training, model, o.model_training(), ctx.data_parallel);
  refuse_value_gradient_loss(*learner, node, "pets");
  return std::make_shared<PetsAlgorithm>(o, ctx.built.env, mpc, learner, ctx.cpu_generator("pets"));
}

}  // namespace mbrl

// FitModel: collect, then train and evaluate the model round by round.
#include "mbrl/algorithms/fit_model.h"

#include <torch/torch.h>

#include <algorithm>

#include "mbrl/agents/agent_registry.h"
#include "mbrl/algorithms/episode.h"
#include "mbrl/algorithms/run_clock.h"
#include "mbrl/config/config_node.h"
#include "mbrl/core/check.h"
#include "mbrl/core/error.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/io/d4rl_dataset.h"
#include "mbrl/io/run_dir.h"
#include "mbrl/log/log.h"
#include "mbrl/log/metrics.h"
#include "mbrl/log/progress.h"
#include "mbrl/models/dynamics_model.h"
#include "mbrl/models/model_trainer.h"
#include "mbrl/models/prediction_errors.h"

namespace mbrl {
namespace {

const char* kGroup = "fit";
const char* kOpenLoopGroup = "open_loop";

void declare_metrics(MetricsWriter& m) {
  m.add_group(kGroup, "metrics.csv",
              {{"round", MetricFormat::kInt},
               {"gradient_steps", MetricFormat::kInt},
               {"env_steps", MetricFormat::kInt},
               {"train_loss"},
               {"one_step_obs_mse"},
               {"one_step_reward_mse"},
               {"one_step_final_reward_r2"},
               {"open_loop_obs_mse"},
               {"open_loop_final_obs_mse"},
               {"open_loop_reward_mse"},
               {"open_loop_final_reward_r2"},
               {"round_s", MetricFormat::kSeconds},
               {"elapsed_s", MetricFormat::kSeconds}});
  m.add_group(
      kOpenLoopGroup, "open_loop.csv",
      {{"round", MetricFormat::kInt}, {"horizon", MetricFormat::kInt}, {"obs_mse"}, {"reward_mse"}},
      /*print=*/false);
}

// every complete episode in `buffer` from its first step, cut to the shortest: [T, E]
SequenceBatch whole_episodes(const ReplayBuffer& buffer) {
  const auto episodes = buffer.episodes();
  MBRL_CHECK(!episodes.empty(), "fit_model: no complete evaluation episode was stored");
  int64_t T = episodes.front().second - episodes.front().first;
  for (const auto& [begin, end] : episodes) T = std::min(T, end - begin);
  std::vector<int64_t> first;
  for (const auto& e : episodes) first.push_back(e.first);
  return buffer.sequences_at(torch::tensor(first, torch::kInt64), T);
}

double mean_or_nan(const at::Tensor& t) {
  return t.defined() ? t.mean().item<double>() : std::numeric_limits<double>::quiet_NaN();
}
double last_or_nan(const at::Tensor& t) {
  return t.defined() ? t[-1].item<double>() : std::numeric_limits<double>::quiet_NaN();
}

// the episodes of a D4RL file in a replay buffer, in file order (their bounds kept)
std::unique_ptr<ReplayBuffer> read_episodes(const std::string& file, const EnvSpec& spec) {
  const D4rlDataset data = read_d4rl(file);
  data.check_dims(file, spec.obs_dim(), spec.act_dim(), spec.name);
  const std::vector<TransitionBatch> episodes = d4rl_episodes(data);
  auto buffer = std::make_unique<ReplayBuffer>(std::max<int64_t>(1, data.size()), spec.obs_dim(),
                                               spec.act_dim());
  for (const auto& ep : episodes) buffer->add_batch(ep);
  log::logger("fit_model")
      ->info("read {} episodes ({} transitions) from {}", episodes.size(), buffer->size(), file);
  return buffer;
}

}  // namespace

FitModelAlgorithm::FitModelAlgorithm(FitModelOptions options, std::shared_ptr<Env> env,
                                     std::shared_ptr<Agent> agent,
                                     std::shared_ptr<ModelLearner> learner, at::Generator gen)
    : options_(options),
      env_(std::move(env)),
      agent_(std::move(agent)),
      learner_(std::move(learner)),
      gen_(std::move(gen)) {
  MBRL_CHECK_ARG(options_.train_episodes() >= 1, "train_episodes",
                 "expected a positive integer, got ", options_.train_episodes());
  MBRL_CHECK_ARG(options_.eval_episodes() >= 1, "eval_episodes",
                 "expected a positive integer, got ", options_.eval_episodes());
  MBRL_CHECK_ARG(options_.rounds() >= 1, "rounds", "expected a positive integer, got ",
                 options_.rounds());
  const int64_t limit = env_->spec().max_episode_steps;  // episodes are at most this long
  MBRL_CHECK_ARG(options_.context() >= 1 && (limit == 0 || options_.context() < limit), "context",
                 "expected 1 <= context < ",
                 limit == 0 ? "the episode length" : std::to_string(limit),
                 " (the env's episode limit), got ", options_.context());
}

void FitModelAlgorithm::run(RunContext& run) {
  MetricsWriter& metrics = *run.metrics;
  declare_metrics(metrics);
  auto logger = log::logger("fit_model");
  const EnvSpec& spec = env_->spec();
  const RunClock run_clock;

  // collect: training episodes, then evaluation episodes into their own buffer
  auto collect = [&](int64_t episodes, const char* what) {
    const int64_t per_episode = spec.max_episode_steps > 0 ? spec.max_episode_steps : 1000;
    auto buffer =
        std::make_unique<ReplayBuffer>(episodes * per_episode, spec.obs_dim(), spec.act_dim());
    Progress progress(what, episodes);
    for (int64_t e = 1; e <= episodes; ++e) {
      run_episode(*env_, *agent_, ActMode::kExplore, buffer.get());
      progress.update(e);
    }
    return buffer;
  };
  const auto train_data = options_.dataset().empty()
                              ? collect(options_.train_episodes(), "train episodes")
                              : read_episodes(options_.dataset(), spec);
  const auto eval_data = collect(options_.eval_episodes(), "eval episodes");
  const SequenceBatch eval = whole_episodes(*eval_data);
  MBRL_CHECK_ARG(options_.context() < eval.length(), "context", "expected a context below ",
                 eval.length(), " (the evaluation episodes' length), got ", options_.context());
  logger->info("collected {} training transitions and {} evaluation episodes of {} steps",
               train_data->size(), eval.batch(), eval.length());

  DynamicsModel& model = *learner_->model();
  int64_t gradient_steps = 0;
  Progress progress("rounds", options_.rounds());
  for (int64_t round = 1; round <= options_.rounds(); ++round) {
    const RunClock round_clock;
    const ModelTrainResult trained = learner_->train(*train_data, gen_, &metrics);
    gradient_steps += trained.gradient_steps;
    model.eval();
    const PredictionErrors one = one_step_errors(model, eval, gen_);
    const PredictionErrors open = open_loop_errors(model, eval, options_.context(), gen_);

    metrics.log(kGroup, "round", static_cast<double>(round));
    metrics.log(kGroup, "gradient_steps", static_cast<double>(gradient_steps));
    metrics.log(kGroup, "env_steps", static_cast<double>(train_data->size()));
    if (!trained.train_loss.empty()) metrics.log(kGroup, "train_loss", trained.train_loss.back());
    metrics.log(kGroup, "one_step_obs_mse", mean_or_nan(one.obs_mse));
    metrics.log(kGroup, "one_step_reward_mse", mean_or_nan(one.reward_mse));
    metrics.log(kGroup, "one_step_final_reward_r2", one.final_reward_r2);
    metrics.log(kGroup, "open_loop_obs_mse", mean_or_nan(open.obs_mse));
    metrics.log(kGroup, "open_loop_final_obs_mse", last_or_nan(open.obs_mse));
    metrics.log(kGroup, "open_loop_reward_mse", mean_or_nan(open.reward_mse));
    metrics.log(kGroup, "open_loop_final_reward_r2", open.final_reward_r2);
    metrics.log(kGroup, "round_s", round_clock.seconds());
    metrics.log(kGroup, "elapsed_s", run_clock.seconds());
    metrics.dump(kGroup);
    for (int64_t k = 0; k < open.obs_mse.size(0); ++k) {
      metrics.log(kOpenLoopGroup, "round", static_cast<double>(round));
      metrics.log(kOpenLoopGroup, "horizon", static_cast<double>(k + 1));
      metrics.log(kOpenLoopGroup, "obs_mse", open.obs_mse[k].item<double>());
      if (open.reward_mse.defined()) {
        metrics.log(kOpenLoopGroup, "reward_mse", open.reward_mse[k].item<double>());
      }
      metrics.dump(kOpenLoopGroup);
    }
    progress.update(round, detail::str("open-loop final reward r2 ", open.final_reward_r2));
  }
  if (run.run_dir) save_model(model, run.run_dir->path() / "model.pt");
  logger->info("fit_model finished {} rounds ({} gradient steps) in {:.1f} s", options_.rounds(),
               gradient_steps, run_clock.seconds());
}

std::shared_ptr<Algorithm> make_fit_model(const ConfigNode& node, const BuildContext& ctx,
                                          const ConfigNode& agent) {
  FitModelOptions o;
  MBRL_READ_OPTION(node, o, train_episodes);
  MBRL_READ_OPTION(node, o, dataset);
  MBRL_READ_OPTION(node, o, eval_episodes);
  MBRL_READ_OPTION(node, o, rounds);
  MBRL_READ_OPTION(node, o, context);
  const ConfigNode training = node.section("model_training");
  const auto& model = ctx.built.model;
  if (!model) throw node.error("algorithm 'fit_model' needs a 'model' section");
  auto learner =
      model_learner_registry().create(training, model, ModelTrainerOptions(), ctx.data_parallel);
  refuse_value_gradient_loss(*learner, node, "fit_model");
  return std::make_shared<FitModelAlgorithm>(o, ctx.built.env, agent_registry().create(agent, ctx),
                                             learner, ctx.cpu_generator("fit_model"));
}

}  // namespace mbrl

// Online loop helpers: seeded episodes, episode and evaluation rows.
#include "mbrl/algorithms/online_loop.h"

#include <torch/torch.h>

#include "mbrl/algorithms/checkpoint_archive.h"
#include "mbrl/algorithms/episode.h"
#include "mbrl/core/check.h"
#include "mbrl/log/log.h"
#include "mbrl/log/metrics.h"

namespace mbrl {

OnlineEpisodes::OnlineEpisodes(std::shared_ptr<Env> env, uint64_t reset_seed,
                               std::vector<std::string> update_metrics)
    : env_(std::move(env)),
      reset_seed_(reset_seed),
      update_names_(std::move(update_metrics)),
      update_sums_(update_names_.size(), 0.0) {
  MBRL_ASSERT(env_ != nullptr, "OnlineEpisodes needs an env");
}

void OnlineEpisodes::declare_metrics(MetricsWriter& metrics) const {
  std::vector<MetricColumn> episode{{"episode", MetricFormat::kInt},
                                    {"env_steps", MetricFormat::kInt},
                                    {"episode_return", MetricFormat::kFloat},
                                    {"episode_length", MetricFormat::kInt}};
  for (const auto& c : update_names_) episode.push_back({c, MetricFormat::kFloat});
  episode.push_back({"elapsed_s", MetricFormat::kSeconds});
  metrics.add_group("episode", "metrics.csv", episode);
  metrics.add_group("eval", "eval.csv",
                    {{"env_steps", MetricFormat::kInt},
                     {"eval_return", MetricFormat::kFloat},
                     {"eval_return_std", MetricFormat::kFloat},
                     {"elapsed_s", MetricFormat::kSeconds}});
}

const at::Tensor& OnlineEpisodes::observation() {
  if (!in_episode_) {
    obs_ = env_->reset(reset_seed_ + static_cast<uint64_t>(episodes_));
    ++episodes_;
    in_episode_ = true;
    episode_return_ = 0, episode_length_ = 0, updates_ = 0;
    for (double& s : update_sums_) s = 0;
  }
  return obs_;
}

StepResult OnlineEpisodes::step(const at::Tensor& act) {
  MBRL_ASSERT(in_episode_, "OnlineEpisodes::step outside an episode");
  StepResult r = env_->step(act);
  ++env_steps_;
  ++episode_length_;
  episode_return_ += r.reward;
  obs_ = r.obs;
  return r;
}

void OnlineEpisodes::add_update(const UpdateMetrics& m) {
  MBRL_ASSERT(m.size() == update_sums_.size(), "OnlineEpisodes::add_update: ", m.size(),
              " values for ", update_sums_.size(), " metrics");
  for (size_t i = 0; i < m.size(); ++i) update_sums_[i] += m[i];
  ++updates_;
}

void OnlineEpisodes::end_episode(MetricsWriter& metrics, double elapsed_s) {
  MBRL_ASSERT(in_episode_, "OnlineEpisodes::end_episode outside an episode");
  metrics.log("episode", "episode", static_cast<double>(episodes_));
  metrics.log("episode", "env_steps", static_cast<double>(env_steps_));
  metrics.log("episode", "episode_return", episode_return_);
  metrics.log("episode", "episode_length", static_cast<double>(episode_length_));
  for (size_t i = 0; i < update_sums_.size() && updates_ > 0; ++i)
    metrics.log("episode", update_names_[i], update_sums_[i] / static_cast<double>(updates_));
  metrics.log("episode", "elapsed_s", elapsed_s);
  metrics.dump("episode");
  in_episode_ = false;
}

void OnlineEpisodes::save(torch::serialize::OutputArchive& archive) const {
  checkpoint::write_int(archive, "env_steps", env_steps_);
  checkpoint::write_int(archive, "episodes", episodes_);
}

void OnlineEpisodes::load(torch::serialize::InputArchive& archive) {
  env_steps_ = checkpoint::read_int(archive, "env_steps");
  episodes_ = checkpoint::read_int(archive, "episodes");
  in_episode_ = false;
}

Evaluation evaluate_agent(Env& env, Agent& agent, int64_t episodes, uint64_t seed,
                          int64_t env_steps) {
  std::vector<double> returns;
  for (int64_t i = 0; i < episodes; ++i) {
    returns.push_back(
        run_episode(env, agent, ActMode::kEval, nullptr, seed + static_cast<uint64_t>(i))
            .episode_return);
  }
  auto [mean, std] = mean_std(returns);
  return {env_steps, mean, std};
}

void log_evaluation(MetricsWriter& metrics, const Evaluation& e, double elapsed_s) {
  metrics.log("eval", "env_steps", static_cast<double>(e.env_steps));
  metrics.log("eval", "eval_return", e.mean_return);
  metrics.log("eval", "eval_return_std", e.std_return);
  metrics.log("eval", "elapsed_s", elapsed_s);
  metrics.dump("eval");
}

void write_evaluations(torch::serialize::OutputArchive& archive, const std::string& key,
                       const std::vector<Evaluation>& evaluations) {
  at::Tensor t = torch::zeros({static_cast<int64_t>(evaluations.size()), 3}, torch::kFloat64);
  auto* v = t.data_ptr<double>();
  for (const auto& e : evaluations) {
    *v++ = static_cast<double>(e.env_steps);
    *v++ = e.mean_return;
    *v++ = e.std_return;
  }
  archive.write(key, t);
}

std::vector<Evaluation> read_evaluations(torch::serialize::InputArchive& archive,
                                         const std::string& key) {
  at::Tensor t;
  if (!archive.try_read(key, t) || t.dim() != 2 || t.size(1) != 3)
    throw DataError("checkpoint entry '" + key + "' is missing or malformed");
  t = t.to(torch::kFloat64).contiguous();
  const double* v = t.data_ptr<double>();
  std::vector<Evaluation> out;
  for (int64_t i = 0; i < t.size(0); ++i, v += 3)
    out.push_back({static_cast<int64_t>(v[0]), v[1], v[2]});
  return out;
}

OnlineRunSchedule::OnlineRunSchedule(RunContext& run, const std::string& name, Options options,
                                     Env& eval_env, Agent& agent,
                                     std::vector<Evaluation>& evaluations, double& elapsed_s,
                                     int64_t env_steps)
    : run_(run),
      name_(name),
      options_(options),
      eval_env_(eval_env),
      agent_(agent),
      evaluations_(evaluations),
      elapsed_s_(elapsed_s),
      timer_(options.checkpoint_every) {
  MBRL_ASSERT(run_.metrics != nullptr, "OnlineRunSchedule needs a metrics writer");
  clock_.restart_from(elapsed_s_);
  timer_.taken(env_steps);
}

void OnlineRunSchedule::after_step(int64_t t, const StepResult& step, OnlineEpisodes& episodes) {
  MetricsWriter& metrics = *run_.metrics;
  if (step.terminated || step.truncated) episodes.end_episode(metrics, clock_.seconds());
  if (t % options_.eval_every == 0 || t == options_.num_steps) {
    evaluations_.push_back(
        evaluate_agent(eval_env_, agent_, options_.eval_episodes, options_.eval_seed, t));
    log_evaluation(metrics, evaluations_.back(), clock_.seconds());
  }
  if (timer_.due(t, !episodes.in_episode())) {
    checkpoint(t);
    timer_.taken(t);
  }
}

void OnlineRunSchedule::checkpoint(int64_t t) {
  if (!run_.checkpoint || last_checkpoint_ == t) return;
  elapsed_s_ = clock_.seconds();
  run_.checkpoint();
  last_checkpoint_ = t;
  log::logger(name_)->info("checkpoint at env step {}", t);
}

}  // namespace mbrl

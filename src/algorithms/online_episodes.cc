// OnlineEpisodes: seeded episodes and their metrics rows.
#include "mbrl/algorithms/online_episodes.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/io/checkpoint_archive.h"
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

bool after_online_step(int64_t t, const StepResult& step, OnlineEpisodes& episodes,
                       RunSchedule& schedule, const RunClock& clock, MetricsWriter& metrics,
                       const EvaluationPlan& evaluation, std::vector<Evaluation>& evaluations) {
  if (step.terminated || step.truncated) episodes.end_episode(metrics, clock.seconds());
  const RunEvents due = schedule.after_step(t, !episodes.in_episode());
  if (due.evaluate) {
    evaluate_and_log(evaluation.env, evaluation.agent, evaluation.episodes, evaluation.seed, t,
                     metrics, clock.seconds(), evaluations);
  }
  return due.checkpoint;
}

}  // namespace mbrl

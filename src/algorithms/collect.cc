// Collect loop.
#include "mbrl/algorithms/collect.h"

#include <chrono>

#include "mbrl/algorithms/episode.h"
#include "mbrl/core/check.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/io/run_dir.h"
#include "mbrl/log/log.h"
#include "mbrl/log/metrics.h"
#include "mbrl/log/progress.h"

namespace mbrl {

CollectAlgorithm::CollectAlgorithm(CollectOptions options, std::shared_ptr<Env> env,
                                   std::shared_ptr<Agent> agent)
    : options_(options), env_(std::move(env)), agent_(std::move(agent)) {
  MBRL_CHECK_ARG(options_.episodes() >= 1, "episodes", "expected a positive integer, got ",
                 options_.episodes());
}

void CollectAlgorithm::run(RunContext& run) {
  run.metrics->add_group("episode", "metrics.csv",
                         {{"episode", MetricFormat::kInt},
                          {"env_steps", MetricFormat::kInt},
                          {"episode_return", MetricFormat::kFloat},
                          {"episode_length", MetricFormat::kInt},
                          {"elapsed_s", MetricFormat::kSeconds}});
  const EnvSpec& spec = env_->spec();
  std::unique_ptr<ReplayBuffer> buffer;
  if (options_.save_buffer()) {
    const int64_t per_episode = spec.max_episode_steps > 0 ? spec.max_episode_steps : 1000;
    buffer = std::make_unique<ReplayBuffer>(options_.episodes() * per_episode, spec.obs_dim(),
                                            spec.act_dim());
  }
  const auto start = std::chrono::steady_clock::now();
  int64_t env_steps = 0;
  Progress progress("episodes", options_.episodes());
  for (int64_t ep = 0; ep < options_.episodes(); ++ep) {
    EpisodeResult r = run_episode(*env_, *agent_, ActMode::kExplore, buffer.get());
    env_steps += r.length;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    run.metrics->log("episode", "episode", ep + 1);
    run.metrics->log("episode", "env_steps", env_steps);
    run.metrics->log("episode", "episode_return", r.episode_return);
    run.metrics->log("episode", "episode_length", r.length);
    run.metrics->log("episode", "elapsed_s", elapsed);
    run.metrics->dump("episode");
    progress.update(ep + 1, detail::str("return ", r.episode_return));
  }
  if (buffer && run.run_dir) {
    buffer->save(run.run_dir->path() / "replay_buffer.pt");
    log::logger("collect")->info("saved {} transitions to {}", buffer->size(),
                                 (run.run_dir->path() / "replay_buffer.pt").string());
  }
}

}  // namespace mbrl

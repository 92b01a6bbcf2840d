// OnlineEpisodes: the training env of an online loop (sac, mbpo) and its episode bookkeeping:
// seeded resets, per-episode returns and the means of the learner's update metrics.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "mbrl/agents/learner.h"
#include "mbrl/algorithms/evaluation.h"
#include "mbrl/algorithms/run_clock.h"
#include "mbrl/algorithms/run_schedule.h"
#include "mbrl/envs/env.h"
#include "mbrl/io/archive_fwd.h"

namespace mbrl {

class MetricsWriter;

/// The training env of an online loop and its episode bookkeeping.
///
/// Episode i of the run (0-based) starts with `env.reset(reset_seed + i)`, so the env's state at
/// an episode boundary is a function of the counters alone: a loop that checkpoints at episode
/// boundaries resumes exactly without saving the simulator (whose internals, e.g. a MuJoCo
/// mjData or a time-limit counter, the Env interface does not expose).
///
/// Metrics: group `episode` (metrics.csv), one row per finished episode: episode, env_steps,
/// episode_return, episode_length, the means over the episode of the learner's update metrics
/// (its metric_names(), e.g. SAC's critic_loss, actor_loss, alpha, entropy, q_mean; empty
/// before the first update), elapsed_s.
class OnlineEpisodes {
 public:
  /// update_metrics: the names of the update metrics added with add_update (a Learner's
  /// metric_names()).
  OnlineEpisodes(std::shared_ptr<Env> env, uint64_t reset_seed,
                 std::vector<std::string> update_metrics);

  /// Declares the group `episode` (metrics.csv).
  void declare_metrics(MetricsWriter& metrics) const;

  /// The observation to act on, [obs_dim]; starts the next episode first when none is running.
  const at::Tensor& observation();
  /// Steps the env with `act` ([act_dim]) from observation(); counts the step, its reward and
  /// length. When the step ends the episode, call end_episode before the next observation().
  StepResult step(const at::Tensor& act);
  /// Adds one update's metrics (one value per update_metrics name) to the episode's means.
  void add_update(const UpdateMetrics& m);
  /// Writes the row of the episode that just ended; the next observation() starts a new one.
  void end_episode(MetricsWriter& metrics, double elapsed_s);

  /// Whether an episode is running (false at a boundary, where save/load is exact).
  bool in_episode() const { return in_episode_; }
  int64_t env_steps() const { return env_steps_; }
  /// Episodes started so far.
  int64_t episodes() const { return episodes_; }
  Env& env() { return *env_; }

  /// Writes the counters. Exact at an episode boundary; a save taken inside an episode restores
  /// to the start of the next one.
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  std::shared_ptr<Env> env_;
  uint64_t reset_seed_;
  at::Tensor obs_;
  bool in_episode_ = false;
  int64_t env_steps_ = 0, episodes_ = 0;
  double episode_return_ = 0;
  int64_t episode_length_ = 0;
  std::vector<std::string> update_names_;
  int64_t updates_ = 0;
  std::vector<double> update_sums_;  // one per update_names_
};

/// How an online loop evaluates its agent: `episodes` deterministic episodes on `env` from
/// seeds seed, seed + 1, ...
struct EvaluationPlan {
  Env& env;
  Agent& agent;
  int64_t episodes;
  uint64_t seed;
};

/// The bookkeeping of an online loop (sac, mbpo) after env step t with result `step`: the
/// episode's row when the step ended it, then what `schedule` says is due; a due evaluation is
/// run and logged here (appended to `evaluations`). Returns whether a checkpoint is due; the
/// loop takes it (take_checkpoint), since only it knows what its checkpoint holds.
bool after_online_step(int64_t t, const StepResult& step, OnlineEpisodes& episodes,
                       RunSchedule& schedule, const RunClock& clock, MetricsWriter& metrics,
                       const EvaluationPlan& evaluation, std::vector<Evaluation>& evaluations);

}  // namespace mbrl

// The real-environment side of the online policy loops (sac, mbpo): episodes with seeded resets,
// per-episode and evaluation metrics, the run clock and checkpoint timing, all resumable.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "mbrl/agents/agent.h"
#include "mbrl/agents/learner.h"
#include "mbrl/algorithms/algorithm.h"
#include "mbrl/envs/env.h"

namespace torch::serialize {
class InputArchive;
class OutputArchive;
}  // namespace torch::serialize

namespace mbrl {

class MetricsWriter;

/// One evaluation: mean and (population) std of deterministic returns.
struct Evaluation {
  int64_t env_steps = 0;
  double mean_return = 0;
  double std_return = 0;
};

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

  /// Declares the groups `episode` (metrics.csv) and `eval` (eval.csv: env_steps, eval_return,
  /// eval_return_std, elapsed_s).
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

/// Mean and std of `episodes` deterministic (ActMode::kEval) returns of `agent` on `env`; episode
/// i is reset with seed + i, so every evaluation sees the same start states.
Evaluation evaluate_agent(Env& env, Agent& agent, int64_t episodes, uint64_t seed,
                          int64_t env_steps);
/// Writes one row of the `eval` group.
void log_evaluation(MetricsWriter& metrics, const Evaluation& e, double elapsed_s);
/// Writes / reads a list of evaluations under `key` of a checkpoint (DataError when missing).
void write_evaluations(torch::serialize::OutputArchive& archive, const std::string& key,
                       const std::vector<Evaluation>& evaluations);
std::vector<Evaluation> read_evaluations(torch::serialize::InputArchive& archive,
                                         const std::string& key);

/// Wall time of a run in seconds, continued across resumes.
class RunClock {
 public:
  RunClock() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return offset_ +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  /// Continues from `seconds` already elapsed (the value a checkpoint recorded).
  void restart_from(double seconds) {
    offset_ = seconds;
    start_ = std::chrono::steady_clock::now();
  }

 private:
  double offset_ = 0;
  std::chrono::steady_clock::time_point start_;
};

/// When an online loop checkpoints: at the first episode boundary at or after every multiple of
/// `every` env steps (0: never; loops also checkpoint at the end).
class CheckpointTimer {
 public:
  explicit CheckpointTimer(int64_t every) : every_(every) {}
  /// True when a checkpoint is due after `env_steps` steps, at an episode boundary or not.
  bool due(int64_t env_steps, bool at_boundary) const {
    return every_ > 0 && at_boundary && env_steps >= next_;
  }
  /// Records a checkpoint taken after `env_steps` steps.
  void taken(int64_t env_steps) { next_ = every_ > 0 ? (env_steps / every_ + 1) * every_ : 0; }

 private:
  int64_t every_;
  int64_t next_ = every_;
};

/// The bookkeeping both online loops (sac, mbpo) do after every env step, and their run clock:
/// the episode row when the step ended an episode, an evaluation every `eval_every` env steps
/// and after the last one (appended to `evaluations` and logged), and a checkpoint at the first
/// episode boundary at or after every `checkpoint_every` steps and at the end (never twice at one
/// step). Before each checkpoint `elapsed_s` (the loop's member that its save_checkpoint writes)
/// is set to the run clock, which starts from `elapsed_s` (0, or a loaded checkpoint's value).
class OnlineRunSchedule {
 public:
  struct Options {
    int64_t num_steps, eval_every, eval_episodes, checkpoint_every;
    uint64_t eval_seed;
  };
  /// name: the loop's logger; env_steps: steps already taken (a resumed run's counter).
  OnlineRunSchedule(RunContext& run, const std::string& name, Options options, Env& eval_env,
                    Agent& agent, std::vector<Evaluation>& evaluations, double& elapsed_s,
                    int64_t env_steps);

  /// Seconds since the run started, resumes included.
  double seconds() const { return clock_.seconds(); }
  /// After env step t (1-based) of `episodes` with result `step`.
  void after_step(int64_t t, const StepResult& step, OnlineEpisodes& episodes);
  /// The final checkpoint, after env step t.
  void finish(int64_t t) { checkpoint(t); }

 private:
  void checkpoint(int64_t t);

  RunContext& run_;
  std::string name_;
  Options options_;
  Env& eval_env_;
  Agent& agent_;
  std::vector<Evaluation>& evaluations_;
  double& elapsed_s_;
  RunClock clock_;
  CheckpointTimer timer_;
  int64_t last_checkpoint_ = -1;
};

}  // namespace mbrl

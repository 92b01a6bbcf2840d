// Experiment: builds every component of a config, then runs it in a run folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mbrl/agents/agent.h"
#include "mbrl/algorithms/algorithm.h"
#include "mbrl/config/config_node.h"
#include "mbrl/core/build_context.h"
#include "mbrl/envs/env.h"
#include "mbrl/io/run_dir.h"
#include "mbrl/log/learning_curves.h"

namespace mbrl {

class DynamicsModel;

/// The top-level keys of an experiment config (besides the component sections env, model,
/// agent, algorithm).
struct ExperimentOptions {
  std::string name;             // runs/<name>/...; default: the config path below configs/
  uint64_t seed = 0;            // the run seed; every component derives its own from it
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
  int threads = 0;              // LibTorch and pool threads; 0: usable_cpus()
  std::string log_level = "info";
  std::string run_root = "runs";  // parent of the run folders
  /// `published: {metric, source, env_steps: [...], values: [...]}`: reference points drawn on
  /// the run's curves.png and by `mbrl plot` when they plot that metric.
  std::optional<PublishedPoints> published;
  std::string published_metric;
};

/// A fully built experiment. Construction parses the whole config and builds every component
/// (env, model, agent, algorithm), then rejects keys no component read; any bad input throws
/// ConfigError before anything is written.
class Experiment {
 public:
  /// `default_name` is used when the config has no `name` key.
  Experiment(ConfigNode config, const std::string& default_name);

  const ExperimentOptions& options() const { return options_; }
  const BuildContext& context() const { return ctx_; }
  const std::shared_ptr<Env>& env() const { return env_; }
  /// The agent the algorithm built and trains (owned by the algorithm).
  const std::shared_ptr<Agent>& agent() const { return agent_; }
  /// The learned model of the `model` section, or null when the config has none.
  const std::shared_ptr<DynamicsModel>& model() const { return model_; }
  const std::shared_ptr<Algorithm>& algorithm() const { return algorithm_; }
  /// The resolved config as YAML: every key that was read, defaults filled in. Loading it
  /// reproduces this experiment.
  std::string resolved_yaml() const;

  /// Creates the run folder (`path` exactly, or `<run_root>/<name>/<UTC time>-s<seed>/`) and
  /// writes config.yaml into it.
  RunDir create_run_dir(const std::optional<std::filesystem::path>& path = std::nullopt) const;
  /// Runs the algorithm, writing metrics into `run_dir` (CSVs and a TensorBoard event file with
  /// the resolved config as text), then saves the agent to agent.pt (save_agent) and draws
  /// curves.png (write_curves).
  /// The algorithm may write checkpoints/checkpoint.pt as it goes (see RunContext::checkpoint).
  void run(const RunDir& run_dir);
  /// Continues the run in `run_dir` (built from its config.yaml) from its last checkpoint: the
  /// metrics rows written after the checkpoint are dropped and the loop picks up exactly where
  /// the checkpoint was taken. Throws DataError when there is no usable checkpoint.
  void resume(const RunDir& run_dir);

  /// Returns of `episodes` evaluation episodes (ActMode::kEval) on a fresh env; episode i is
  /// reset with seed derive_seed(seed, "eval") + i.
  std::vector<double> evaluate(int64_t episodes);

  /// Writes what acting needs to `path` atomically: the agent's learned state under `agent` and,
  /// when the config has a model, the model under `model` (an MPC agent plans on it).
  void save_agent(const std::filesystem::path& path) const;
  /// Draws `<run_dir>/curves.png`: eval_return (eval.csv) when the run evaluates, else
  /// episode_return (metrics.csv), against env_steps, with the config's published points. Does
  /// nothing without gnuplot; a failure to draw is a warning, never an error of the run.
  void write_curves(const RunDir& run_dir) const;
  /// Reads what save_agent wrote into this experiment's agent and model; DataError naming the
  /// path when the file is missing, unreadable or holds another agent or model.
  void load_agent(const std::filesystem::path& path);

 private:
  void run_algorithm(const RunDir& run_dir, bool resumed,
                     std::optional<std::map<std::string, size_t>> metrics_rows);

  ConfigNode config_;
  ExperimentOptions options_;
  BuildContext ctx_;
  std::shared_ptr<Env> env_;
  std::shared_ptr<DynamicsModel> model_;
  std::shared_ptr<Agent> agent_;
  std::shared_ptr<Algorithm> algorithm_;
};

/// Brings the run folder `dir` to its end: a finished run (agent.pt) is left as it is, an
/// interrupted one with a checkpoint resumes from it (with its own config.yaml), and anything
/// else (no folder, or one without a checkpoint) is removed and starts afresh from
/// `config_path` with `overrides` (`--set` syntax). `before_run` is called with the run folder
/// before the run starts or resumes (the CLI adds its log.txt); `name` is the Experiment's
/// default name (used when the config has no `name` key) and names the run in the log.
enum class RunCompletion { kAlreadyDone, kResumed, kStarted };
RunCompletion complete_run(const std::filesystem::path& config_path,
                           const std::vector<std::string>& overrides,
                           const std::filesystem::path& dir, const std::string& name,
                           const std::function<void(const RunDir&)>& before_run = {});

/// The checkpoint file of a run folder.
std::filesystem::path checkpoint_path(const RunDir& run_dir);

/// The run name of a config file: its path below a `configs/` folder without the extension
/// (configs/pets/cartpole.yaml -> pets/cartpole), else the file's stem.
std::string default_run_name(const std::string& config_path);

/// A trained run, ready to act: the experiment rebuilt from `<run_dir>/config.yaml` (with
/// `overrides`, `--set` syntax, e.g. "device=cpu") and the agent of `<run_dir>/agent.pt` loaded
/// into it. Deploy with `trained.agent()->reset()` at each episode start and
/// `trained.agent()->act(obs, ActMode::kEval)` at each step. Throws IoError when the folder or
/// its config.yaml is missing, DataError naming agent.pt when that is missing or does not match.
Experiment load_trained_run(const std::filesystem::path& run_dir,
                            const std::vector<std::string>& overrides = {});

}  // namespace mbrl

// Algorithm: a training loop (PETS, MBPO, ...) that owns the schedule of collecting, model
// training and policy updates.
#pragma once

#include <functional>
#include <memory>

#include "mbrl/core/registry.h"
#include "mbrl/io/archive_fwd.h"

namespace mbrl {

class Agent;
class ConfigNode;
class MetricsWriter;
class RunDir;

/// Where a running algorithm writes. `run_dir` is null when nothing may be written (tests that
/// only need the loop); `metrics` is always set (console-only when there is no run folder).
struct RunContext {
  const RunDir* run_dir = nullptr;
  MetricsWriter* metrics = nullptr;
  /// Writes a checkpoint (the algorithm's save_checkpoint plus the metrics rows so far) into
  /// the run folder, atomically; set by Experiment, empty when nothing may be written. Loops
  /// call it at their own checkpoint interval and at the end.
  std::function<void()> checkpoint;
  /// True when `run` continues from a checkpoint loaded with load_checkpoint.
  bool resumed = false;
};

/// A training loop built from the `algorithm:` section. Its factory gets that section, the
/// BuildContext (env, env maker and model in `ctx.built`) and the `agent:` section, from which
/// it builds the agent it trains, typed as it needs it (PETS an MpcAgent, MBPO a PolicyLearner):
/// the algorithm owns its agent and learners; the experiment owns the env and the model.
class Algorithm {
 public:
  virtual ~Algorithm() = default;

  /// The agent this loop acts with and trains; the experiment evaluates it and saves it.
  virtual std::shared_ptr<Agent> agent() const = 0;

  /// Runs the loop to the end; declares its metrics groups on `run.metrics` first. After
  /// load_checkpoint, continues where the checkpoint was taken.
  virtual void run(RunContext& run) = 0;

  /// Writes everything `run` needs to continue exactly: counters, buffers, networks, optimizer
  /// states and generators. The default throws Error: the algorithm cannot resume.
  virtual void save_checkpoint(torch::serialize::OutputArchive& archive) const;
  /// Restores what save_checkpoint wrote; throws DataError when it does not match.
  virtual void load_checkpoint(torch::serialize::InputArchive& archive);
  /// Whether save_checkpoint/load_checkpoint are implemented.
  virtual bool supports_checkpoints() const { return false; }
};

/// Registered algorithm types (`mbrl list algorithms`); a factory's extra argument is the
/// config's `agent:` section.
using AlgorithmRegistry = Registry<Algorithm, const ConfigNode&>;
AlgorithmRegistry& algorithm_registry();

/// Adds the built-in algorithms; called by register_builtins().
void register_algorithms();

}  // namespace mbrl

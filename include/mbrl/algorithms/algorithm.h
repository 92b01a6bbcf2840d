// Algorithm: a training loop (PETS, MBPO, ...) that owns the schedule of collecting, model
// training and policy updates.
#pragma once

#include <memory>

#include "mbrl/core/registry.h"

namespace mbrl {

class MetricsWriter;
class RunDir;

/// Where a running algorithm writes. `run_dir` is null when nothing may be written (tests that
/// only need the loop); `metrics` is always set (console-only when there is no run folder).
struct RunContext {
  const RunDir* run_dir = nullptr;
  MetricsWriter* metrics = nullptr;
};

/// A training loop built from the `algorithm:` section. Its factory takes the env, agent and
/// model built before it from BuildContext (`ctx.get<Env>()`, ...).
class Algorithm {
 public:
  virtual ~Algorithm() = default;

  /// Runs the loop to the end; declares its metrics groups on `run.metrics` first.
  virtual void run(RunContext& run) = 0;
};

/// Registered algorithm types (`mbrl list algorithms`).
Registry<Algorithm>& algorithm_registry();

/// Adds the built-in algorithms; called by register_builtins().
void register_algorithms();

}  // namespace mbrl

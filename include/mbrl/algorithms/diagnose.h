// `mbrl diagnose RUN_DIR`: the model diagnostics of a trained run on episodes it never saw.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/arg.h>

#include "mbrl/models/model_diagnostics.h"

namespace mbrl {

struct DiagnoseOptions {
  /// Held-out episodes, >= 1: collected with the run's agent (ActMode::kEval) on a fresh env,
  /// episode i reset with seed derive_seed(seed, "diagnose") + i, a stream no training or
  /// evaluation episode draws from.
  TORCH_ARG(int64_t, episodes) = 10;
  /// See ModelDiagnosticsOptions.
  TORCH_ARG(int64_t, horizon) = 10;
  TORCH_ARG(int64_t, samples) = 100;
  TORCH_ARG(uint64_t, seed) = 0;
};

/// Loads the trained run in `run_dir` (load_trained_run, with `overrides` in --set syntax),
/// collects the held-out episodes, runs diagnose_model on the run's model and writes into
/// `<run_dir>/diagnostics/` (each file atomically):
///   kstep_error.csv   k, then the mean squared open-loop error of each obs dim (obs_0, ...) and
///                     their mean (all), k = 1..horizon;
///   calibration.csv   level, then the coverage of each obs dim and their mean (when measured);
///   disagreement.csv  k, spearman (when measured);
///   summary.txt       the figures of the three tables in a few lines (also returned);
///   kstep_error.png   the k-step error of each dim and their mean (when gnuplot is installed).
/// Throws ConfigError naming the option on a bad value, DataError when the run has no model.
ModelDiagnostics diagnose_run(const std::filesystem::path& run_dir, const DiagnoseOptions& options,
                              const std::vector<std::string>& overrides, std::string* summary);

/// The short text summary of `d` that diagnose_run prints and writes.
std::string diagnostics_summary(const ModelDiagnostics& d);

}  // namespace mbrl

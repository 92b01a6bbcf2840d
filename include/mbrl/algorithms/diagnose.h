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
  /// Held-out episodes from this D4RL-layout file instead (d4rl_episodes: e.g. a dataset the
  /// run never trained on, or `mbrl collect` rollouts of another agent), in file order until
  /// `max_transitions`; `episodes` is then unused. Its obs and act dims must be the run's env's.
  TORCH_ARG(std::string, episodes_file) = "";
  TORCH_ARG(int64_t, max_transitions) = 100000;
  /// See ModelDiagnosticsOptions.
  TORCH_ARG(int64_t, horizon) = 10;
  TORCH_ARG(int64_t, samples) = 100;
  TORCH_ARG(int64_t, history) = 0;
  TORCH_ARG(uint64_t, seed) = 0;
};

/// One saved model of a run against the return it is paired with: the return of the PETS trial
/// that planned on it, or the MBPO evaluation after the policy last trained on its rollouts.
struct MismatchRow {
  int64_t step = 0;  // the PETS trial, or the MBPO env step
  // on the held-out transitions: the model's "nll" when it reports one, else its "loss"
  double holdout_loss = 0;
  double holdout_mse = 0;  // its one-step MSE ("mse") there
  double episode_return = 0;
};

/// What diagnose_run measured.
struct RunDiagnostics {
  std::string held_out;    // where the held-out episodes came from, in words
  ModelDiagnostics model;  // of the run's final model
  /// The objective-mismatch table (Lambert et al., L4DC 2020): one row per model the run kept
  /// (`keep_models: true` of PETS, MBPO or Dreamer), empty when it kept none.
  std::vector<MismatchRow> mismatch;
  std::string mismatch_step = "trial";  // what MismatchRow::step counts: trial, env_steps
  std::string mismatch_return = "episode_return";  // the return column: episode_return, eval_return
  /// Spearman correlation over those rows of holdout_loss (and of holdout_mse) with the return:
  /// strongly negative when a better likelihood means better control; NaN with fewer than 2.
  double loss_return_spearman = 0;
  double mse_return_spearman = 0;
};

/// Loads the trained run in `run_dir` (load_trained_run, with `overrides` in --set syntax),
/// collects the held-out episodes (or reads them from `episodes_file`), runs diagnose_model on the
/// run's model (a Dreamer run's world model: diagnose_world_model, each prediction after the
/// episode's whole history, `history` unused) and writes into
/// `<run_dir>/diagnostics/` (each file atomically):
///   kstep_error.csv   k, then the mean squared open-loop error of each obs dim (obs_0, ...) and
///                     their mean (all), k = 1..horizon;
///   calibration.csv   level, then the coverage of each obs dim and their mean (when measured);
///   disagreement.csv  k, spearman (when measured), heads_spearman (a Dreamer agent with
///                     COPlanner's disagreement heads);
///   summary.txt       the figures of the three tables in a few lines (also returned);
///   kstep_error.png   the k-step error of each dim and their mean (when gnuplot is installed);
///   mismatch.csv      trial, holdout_loss, holdout_mse, episode_return of every model in
///                     `<run_dir>/models/trial_<i>.pt` (PETS), or env_steps, ..., eval_return of
///                     every `models/step_<t>.pt` (MBPO), all scored on the held-out transitions
///                     (when the run kept its models); for Dreamer's kept world models
///                     holdout_loss is the world-model loss (holdout_world_model_losses) and
///                     holdout_mse the one-step MSE of the mean of `samples` decoded draws;
///   mismatch.png      the return against the held-out loss of those models (with gnuplot).
/// Throws ConfigError naming the option on a bad value, DataError when the run has no model (nor a
/// Dreamer world model) or the episodes file does not fit it (IoError/DataError naming the file
/// when it is unreadable).
RunDiagnostics diagnose_run(const std::filesystem::path& run_dir, const DiagnoseOptions& options,
                            const std::vector<std::string>& overrides, std::string* summary);

/// The short text summary that diagnose_run prints and writes.
std::string diagnostics_summary(const RunDiagnostics& d);

}  // namespace mbrl

// Sweeps: one base config run over a grid (or a list) of `--set` overrides and a list of seeds.
// Each (variant, seed) is a job whose run folder is an ordinary run (`mbrl train --resume` works
// on it); a sweep folder holds the resolved sweep, the jobs' states and their runs:
//
//   <sweep_dir>/sweep.yaml                   the sweep, resolved (config path absolute, grid
//                                            expanded into variants): the folder's identity
//   <sweep_dir>/runs/<variant>/s<seed>/      job runs
//   <sweep_dir>/tasks/<index>.state          last state a job's task wrote (running/done/failed)
//   <sweep_dir>/logs/, slurm/                backend logs and submissions
//   <sweep_dir>/results.{csv,md}, curves.png what `collect` writes
//
// The backends that run the jobs are in sweep_local.h (this machine) and sweep_slurm.h (a Slurm
// job array); both run `mbrl sweep task <sweep_dir> <index>` (run_sweep_task) for each job.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mbrl {

class RunDir;

/// What one job may use. `cpus_per_task` is also each run's `threads`, so a job computes the
/// same numbers on every backend.
struct SweepResources {
  int64_t cpus_per_task = 1;             // local: cores pinned per job; slurm: --cpus-per-task
  std::string mem;                       // slurm --mem (e.g. 4G); empty: the cluster's default
  std::string time;                      // slurm --time (e.g. 02:00:00); empty: the default
  std::string partition;                 // slurm --partition; empty: the default
  int64_t max_parallel = 0;              // slurm array throttle (--array=...%N); 0: none
  std::vector<std::string> sbatch_args;  // further sbatch options, verbatim
};

/// One point of the sweep: a name (its folder under runs/) and its `key=value` overrides.
struct SweepVariant {
  std::string name;
  std::vector<std::string> overrides;
};

struct SweepSpec {
  std::string name;                    // default: the sweep file's stem
  std::filesystem::path config;        // the base config, absolute
  std::vector<uint64_t> seeds;         // >= 1
  std::vector<SweepVariant> variants;  // >= 1 (a sweep of seeds alone has one, named "base")
  std::vector<std::string> common;     // `set:` overrides of every job, before the variant's
  SweepResources resources;
  std::string metric;              // collect: the column summarised; empty: the runs' default
  std::string x;                   // collect: its step column; empty: the runs' default
  std::string statistic = "last";  // collect: last | max of the metric, one number per run
};

/// One (variant, seed) of a sweep.
struct SweepJob {
  int64_t index = 0;  // 0-based: variant-major, seeds inner (the Slurm array index)
  std::string variant;
  uint64_t seed = 0;
  std::vector<std::string> overrides;  // common, variant, threads, seed: what `--set` gets
  std::filesystem::path run_dir;       // relative to the sweep folder: runs/<variant>/s<seed>
};

/// Reads a sweep file:
///   config: ../configs/sac/pendulum.yaml   # relative to the sweep file
///   seeds: [0, 1, 2]                        # or a count: seeds: 3 (0, 1, 2)
///   grid: {agent.actor_lr: [1e-4, 3e-4]}   # the product of the lists (of scalars); or
///   variants: {small: {agent.hidden_size: 64}, big: {...}}  # named override sets
///   set: {algorithm.num_steps: 20000}      # every job; values are scalars or lists
///   resources: {cpus_per_task, mem, time, partition, max_parallel, sbatch_args}
///   name, metric, x, statistic
/// A missing file, an unknown key, a wrong type or a bad value is a ConfigError naming
/// file:line:col and the key.
SweepSpec load_sweep(const std::filesystem::path& path);

/// The jobs of `spec`, in array-index order.
std::vector<SweepJob> sweep_jobs(const SweepSpec& spec);

/// Creates `dir` for `spec` (or opens it when it holds the same sweep): checks every variant's
/// config by building its experiment (a misspelt key fails here, not in a hundred tasks), then
/// writes sweep.yaml. ConfigError when `dir` holds a different sweep.
void create_sweep_dir(const SweepSpec& spec, const std::filesystem::path& dir);

/// The sweep of a sweep folder (its sweep.yaml); IoError when `dir` is not one.
SweepSpec open_sweep_dir(const std::filesystem::path& dir);

/// Runs job `index` of the sweep in `dir` in this process: a finished run (agent.pt) is left as
/// it is, an interrupted one resumes from its checkpoint, any other starts afresh. Writes the
/// task's state (running, then done or failed) to tasks/<index>.state. `before_run` is called
/// with the run folder before it starts or resumes (the CLI adds its log.txt).
void run_sweep_task(const std::filesystem::path& dir, int64_t index,
                    const std::function<void(const RunDir&)>& before_run = {});

enum class JobState {
  kNotStarted,   // no task has run it yet
  kQueued,       // waiting in the scheduler's queue
  kRunning,      // its task is alive (a live pid on this host, or running in the scheduler)
  kDone,         // the run finished (agent.pt)
  kFailed,       // its task stopped on an error (the state file has the message)
  kInterrupted,  // its task died without a word (killed, preempted, node lost): resumable
};
std::string to_string(JobState state);

struct JobStatus {
  SweepJob job;
  JobState state = JobState::kNotStarted;
  std::string detail;  // the error of a failed task; host and pid of a running one
};

/// The state of every job of the sweep in `dir`. `queued` maps array indices to the scheduler's
/// state names (PENDING, RUNNING, ...) for the jobs it still holds (sweep_slurm.h reads them).
std::vector<JobStatus> sweep_status(const std::filesystem::path& dir,
                                    const std::map<int64_t, std::string>& queued = {});

/// One line per job state with its count, e.g. "4 done, 1 running, 1 interrupted".
std::string summarize(const std::vector<JobStatus>& status);

struct SweepResults {
  std::string metric, x;
  std::filesystem::path csv, markdown, plot;  // plot empty without gnuplot
  std::string markdown_text;
};

/// Summarises the finished runs of the sweep in `dir`: results.csv (one row per job: variant,
/// seed, state, the statistic of the metric and the step it was read at), results.md (per
/// variant: mean +- std over its finished seeds) and curves.png (one band per variant).
/// DataError when no job has finished.
SweepResults collect_sweep(const std::filesystem::path& dir);

}  // namespace mbrl

// The local sweep backend: the jobs of a sweep folder run on this machine, a few at a time, each
// in its own `mbrl sweep task` process pinned to its own cores.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace mbrl {

struct LocalSweepOptions {
  /// The mbrl program whose `mbrl sweep task DIR INDEX` runs one job (the CLI passes itself).
  std::filesystem::path executable;
  /// Jobs at once; 0: the usable cores over resources.cpus_per_task (at least 1). Job slot k is
  /// pinned to cores k*c .. k*c+c-1 of the usable ones (c = cpus_per_task), wrapping around
  /// when there are more slots than cores allow.
  int64_t jobs = 0;
  /// Jobs a scheduler still holds (sweep_slurm.h's slurm_queue): left to it, not run here.
  std::map<int64_t, std::string> queued;
};

struct LocalSweepReport {
  int64_t done_before = 0;      // jobs finished by an earlier call, left as they were
  int64_t skipped_running = 0;  // jobs a live task or the scheduler has (left to them)
  int64_t finished = 0;         // jobs this call brought to the end
  int64_t failed = 0;           // tasks that exited non-zero (logs/<index>.log says why)
};

/// Runs every job of the sweep in `dir` that is not done or running elsewhere: a new job starts,
/// an interrupted one resumes from its checkpoint (run_sweep_task). Each task's output goes to
/// logs/<index>.log. Returns when all have ended.
LocalSweepReport run_sweep_local(const std::filesystem::path& dir,
                                 const LocalSweepOptions& options);

}  // namespace mbrl

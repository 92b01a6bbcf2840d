// The local sweep backend: a pool of `mbrl sweep task` child processes, each pinned to its cores.
#include "mbrl/algorithms/sweep_local.h"

#include <sys/wait.h>

#include <map>
#include <string>
#include <vector>

#include "mbrl/algorithms/sweep.h"
#include "mbrl/core/error.h"
#include "mbrl/core/subprocess.h"
#include "mbrl/log/log.h"

namespace fs = std::filesystem;

namespace mbrl {

LocalSweepReport run_sweep_local(const fs::path& dir, const LocalSweepOptions& options) {
  auto logger = log::logger("sweep");
  const SweepSpec spec = open_sweep_dir(dir);
  std::error_code ec;
  if (!fs::is_regular_file(options.executable, ec))
    throw IoError(options.executable.string(), "no mbrl program to run the sweep's tasks");
  if (options.jobs < 0) throw ConfigError("--jobs", "", "expected 0 (as many as fit) or more");

  LocalSweepReport report;
  std::vector<SweepJob> todo;
  for (const auto& s : sweep_status(dir, options.queued)) {
    if (s.state == JobState::kDone) {
      ++report.done_before;
    } else if (s.state == JobState::kRunning || s.state == JobState::kQueued) {
      ++report.skipped_running;
      logger->warn("job {} ({}, seed {}) is running elsewhere ({}): left to it", s.job.index,
                   s.job.variant, s.job.seed, s.detail);
    } else {
      todo.push_back(s.job);
    }
  }
  const std::vector<int> cores = affinity_cpu_ids();
  const int64_t per_job = spec.resources.cpus_per_task;
  const int64_t slots = options.jobs > 0
                            ? options.jobs
                            : std::max<int64_t>(1, static_cast<int64_t>(cores.size()) / per_job);
  logger->info("sweep {}: {} job(s) to run, {} at a time, {} core(s) each ({} done before)",
               spec.name, todo.size(), slots, per_job, report.done_before);
  fs::create_directories(dir / "logs");

  std::vector<bool> slot_busy(slots, false);
  std::map<pid_t, std::pair<SweepJob, int64_t>> running;  // pid -> job, slot
  size_t next = 0;
  while (next < todo.size() || !running.empty()) {
    while (next < todo.size() && static_cast<int64_t>(running.size()) < slots) {
      const int64_t slot = std::find(slot_busy.begin(), slot_busy.end(), false) - slot_busy.begin();
      std::vector<int> slot_cores;
      for (int64_t c = 0; c < per_job; ++c)
        slot_cores.push_back(cores[(slot * per_job + c) % cores.size()]);
      const SweepJob& job = todo[next++];
      const fs::path log = dir / "logs" / (std::to_string(job.index) + ".log");
      const pid_t pid = start_process(
          {options.executable.string(), "sweep", "task", dir.string(), std::to_string(job.index)},
          log, slot_cores);
      slot_busy[slot] = true;
      running.emplace(pid, std::make_pair(job, slot));
      logger->info("job {} ({}, seed {}) started on core(s) {}{}", job.index, job.variant, job.seed,
                   slot_cores.front(),
                   slot_cores.size() > 1 ? "-" + std::to_string(slot_cores.back()) : "");
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) break;
    const auto it = running.find(pid);
    if (it == running.end()) continue;  // not one of ours
    const auto [job, slot] = it->second;
    running.erase(it);
    slot_busy[slot] = false;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      ++report.finished;
      logger->info("job {} ({}, seed {}) done", job.index, job.variant, job.seed);
    } else {
      ++report.failed;
      logger->error("job {} ({}, seed {}) failed ({} {}): see {}", job.index, job.variant, job.seed,
                    WIFEXITED(status) ? "exit" : "signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                    (dir / "logs" / (std::to_string(job.index) + ".log")).string());
    }
  }
  return report;
}

}  // namespace mbrl

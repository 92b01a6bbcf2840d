// The Slurm sweep backend: the jobs of a sweep folder as one Slurm job array (sbatch --array),
// one array task per job, each running `mbrl sweep task DIR $SLURM_ARRAY_TASK_ID`. The sweep
// folder and the mbrl program must be on a file system the compute nodes share.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mbrl {

struct SlurmSweepOptions {
  /// The mbrl program the array tasks run (the CLI passes itself).
  std::filesystem::path executable;
  std::string sbatch = "sbatch";  // Slurm's client programs, found on PATH unless absolute
  std::string squeue = "squeue";
};

struct SlurmSubmission {
  std::string job_id;            // the array's job id
  std::vector<int64_t> indices;  // the array indices (= job indices) submitted
  std::filesystem::path script;  // slurm/array.sbatch
};

/// Submits every job of the sweep in `dir` that is neither done nor still in Slurm's queue
/// (new, failed or interrupted ones: a task resumes its run from the checkpoint) as one job
/// array with the sweep's resources; records it in slurm/submissions.csv. nullopt when there is
/// nothing to submit. IoError naming sbatch when it is missing or refuses the array.
std::optional<SlurmSubmission> submit_sweep_slurm(const std::filesystem::path& dir,
                                                  const SlurmSweepOptions& options);

/// Array index -> Slurm state (PENDING, RUNNING, ...) of this sweep's tasks still in Slurm's
/// queue (squeue); empty when the sweep was never submitted. IoError when squeue fails.
std::map<int64_t, std::string> slurm_queue(const std::filesystem::path& dir,
                                           const std::string& squeue = "squeue");

/// "0-3,5,7-8": the indices (sorted, distinct) in sbatch's --array syntax.
std::string array_ranges(const std::vector<int64_t>& indices);

}  // namespace mbrl

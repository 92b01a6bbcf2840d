// Child processes of this program: started with their output in a log file, pinned to given
// cores and with extra environment variables (the sweep's local backend, `mbrl train --nproc`).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace mbrl {

/// The ids of the CPUs in this process's affinity mask, ascending (at least one).
std::vector<int> affinity_cpu_ids();

/// Starts `argv` (argv[0]: the program's path) as a child process: stdout and stderr to `log`
/// (truncated), pinned to `cores` (empty: this process's mask), with this process's environment
/// plus `env` (name, value; a name given again replaces its value). The child is killed when this
/// process ends (PR_SET_PDEATHSIG), so a killed launcher leaves no orphans. Returns the child's
/// pid; IoError when it cannot be started. A program that cannot be run exits with code 127.
pid_t start_process(const std::vector<std::string>& argv, const std::filesystem::path& log,
                    const std::vector<int>& cores = {},
                    const std::vector<std::pair<std::string, std::string>>& env = {});

/// Waits for the child `pid`; returns its exit code, or 128 + the signal that ended it.
int wait_process(pid_t pid);

}  // namespace mbrl

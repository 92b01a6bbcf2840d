// The mbrl program as a child process, for tests that run it as a user would: to completion, or
// killed with SIGKILL once a file it writes appears (a checkpoint), to test resuming.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mbrl::test {

/// The built `mbrl` program (a test failure when it is missing).
std::filesystem::path cli();

/// Runs `mbrl args...` to completion with stdout and stderr in `log`; returns the exit code.
int run_cli(const std::vector<std::string>& args, const std::filesystem::path& log);

/// Starts `mbrl args...`, waits (up to 120 s) for `wait_for` to appear and a little longer, so
/// the kill lands between checkpoints, then SIGKILLs it; returns whether it died by the signal.
bool run_cli_and_kill(const std::vector<std::string>& args, const std::filesystem::path& wait_for,
                      const std::filesystem::path& log);

/// The contents of a file ("" when it cannot be read).
std::string slurp(const std::filesystem::path& path);

}  // namespace mbrl::test

#include "mbrl/core/subprocess.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "mbrl/core/error.h"

extern char** environ;

namespace mbrl {

std::vector<int> affinity_cpu_ids() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(mask), &mask) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &mask)) cpus.push_back(c);
    }
  }
  if (cpus.empty()) cpus.push_back(0);
  return cpus;
}

pid_t start_process(const std::vector<std::string>& argv, const std::filesystem::path& log,
                    const std::vector<int>& cores,
                    const std::vector<std::pair<std::string, std::string>>& env) {
  // everything the child needs is built before fork: after it, only system calls
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::map<std::string, std::string> overrides(env.begin(), env.end());
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (!overrides.count(entry.substr(0, entry.find('=')))) environment.push_back(entry);
  }
  for (const auto& [name, value] : overrides) environment.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (const auto& e : environment) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  cpu_set_t mask;
  CPU_ZERO(&mask);
  for (int c : cores) CPU_SET(c, &mask);
  const std::string log_path = log.string();
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) throw IoError(argv.at(0), std::string("cannot start it: ") + std::strerror(errno));
  if (pid == 0) {
    // ends with this process (killed or not), and not after it has already gone
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    if (!cores.empty()) sched_setaffinity(0, sizeof(mask), &mask);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  return pid;
}

int wait_process(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 128;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace mbrl

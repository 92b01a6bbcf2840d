// The Slurm sweep backend: the array script, sbatch to submit it, squeue to read the queue.
#include "mbrl/algorithms/sweep_slurm.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "mbrl/algorithms/sweep.h"
#include "mbrl/core/error.h"
#include "mbrl/io/atomic_file.h"
#include "mbrl/io/run_dir.h"

namespace fs = std::filesystem;

namespace mbrl {
namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// runs `args` through the shell; returns its exit code and its output (stdout and stderr)
std::pair<int, std::string> run_program(const std::vector<std::string>& args) {
  std::string command;
  for (const auto& a : args) command += (command.empty() ? "" : " ") + shell_quote(a);
  command += " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw IoError(args.front(), "cannot start it (popen failed)");
  std::string output;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) output.append(buf, n);
  const int status = pclose(pipe);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return {code, output};
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string program_error(const std::string& program, int code, const std::string& output) {
  if (code == 127) {
    return "not found: the slurm backend needs Slurm's client programs on PATH (Debian: "
           "slurm-client)";
  }
  return "failed (exit " + std::to_string(code) + "): " + first_line(output);
}

// the batch script of the sweep's array: resources as #SBATCH lines, one task per job index
std::string array_script(const SweepSpec& spec, const fs::path& dir, const fs::path& executable) {
  const SweepResources& r = spec.resources;
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# Written by `mbrl sweep --backend slurm`: one array task per job of this sweep folder.\n"
    << "#SBATCH --job-name=mbrl-" << spec.name << "\n"
    << "#SBATCH --output=" << (dir / "slurm" / "%A_%a.out").string() << "\n"
    << "#SBATCH --cpus-per-task=" << r.cpus_per_task << "\n";
  if (!r.mem.empty()) s << "#SBATCH --mem=" << r.mem << "\n";
  if (!r.time.empty()) s << "#SBATCH --time=" << r.time << "\n";
  if (!r.partition.empty()) s << "#SBATCH --partition=" << r.partition << "\n";
  for (const auto& a : r.sbatch_args) s << "#SBATCH " << a << "\n";
  s << "exec " << shell_quote(executable.string()) << " sweep task " << shell_quote(dir.string())
    << " \"$SLURM_ARRAY_TASK_ID\"\n";
  return s.str();
}

// job ids of the sweep's earlier submissions (slurm/submissions.txt: "<job id> <utc> <array>")
std::set<std::string> submitted_job_ids(const fs::path& dir) {
  std::set<std::string> ids;
  std::ifstream in(dir / "slurm" / "submissions.txt");
  std::string id, rest;
  while (in >> id && std::getline(in, rest)) ids.insert(id);
  return ids;
}

}  // namespace

std::string array_ranges(const std::vector<int64_t>& indices) {
  std::vector<int64_t> sorted = indices;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string out;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(sorted[i]);
    if (j > i) out += "-" + std::to_string(sorted[j]);
    i = j + 1;
  }
  return out;
}

std::map<int64_t, std::string> slurm_queue(const fs::path& dir, const std::string& squeue) {
  const std::set<std::string> ids = submitted_job_ids(dir);
  std::map<int64_t, std::string> queue;
  if (ids.empty()) return queue;
  // every array task on its own line (-r): "<array job id> <task index> <state>"
  const auto [code, output] = run_program({squeue, "-h", "-r", "-o", "%F %K %T"});
  if (code != 0) throw IoError(squeue, program_error(squeue, code, output));
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string job, task, state;
    if (!(fields >> job >> task >> state) || ids.count(job) == 0) continue;
    try {
      queue[std::stoll(task)] = state;
    } catch (const std::exception&) {
      // a task field that is not an index (N/A): not an array task of ours
    }
  }
  return queue;
}

std::optional<SlurmSubmission> submit_sweep_slurm(const fs::path& dir_in,
                                                  const SlurmSweepOptions& options) {
  const fs::path dir = fs::absolute(dir_in).lexically_normal();
  const SweepSpec spec = open_sweep_dir(dir);
  std::error_code ec;
  if (!fs::is_regular_file(options.executable, ec))
    throw IoError(options.executable.string(), "no mbrl program for the array tasks to run");
  SlurmSubmission submission;
  for (const auto& s : sweep_status(dir, slurm_queue(dir, options.squeue))) {
    if (s.state != JobState::kDone && s.state != JobState::kQueued && s.state != JobState::kRunning)
      submission.indices.push_back(s.job.index);
  }
  if (submission.indices.empty()) return std::nullopt;

  fs::create_directories(dir / "slurm");
  submission.script = dir / "slurm" / "array.sbatch";
  write_file_atomic(submission.script,
                    array_script(spec, dir, fs::absolute(options.executable).lexically_normal()));
  std::string array = array_ranges(submission.indices);
  if (spec.resources.max_parallel > 0) array += "%" + std::to_string(spec.resources.max_parallel);
  const auto [code, output] =
      run_program({options.sbatch, "--parsable", "--array=" + array, submission.script.string()});
  if (code != 0) throw IoError(options.sbatch, program_error(options.sbatch, code, output));
  // --parsable prints "<job id>" or "<job id>;<cluster>"
  const std::string line = first_line(output);
  submission.job_id = line.substr(0, line.find(';'));
  if (submission.job_id.empty() ||
      !std::all_of(submission.job_id.begin(), submission.job_id.end(), ::isdigit))
    throw IoError(options.sbatch, "printed no job id: " + line);

  std::ofstream log(dir / "slurm" / "submissions.txt", std::ios::app);
  log << submission.job_id << " " << utc_timestamp() << " " << array << "\n";
  if (!log) throw IoError((dir / "slurm" / "submissions.txt").string(), "cannot append to it");
  return submission;
}

}  // namespace mbrl

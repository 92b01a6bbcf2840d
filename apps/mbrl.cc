// The mbrl command-line app: parse arguments, build from config, run. Kept thin; the work is
// in the library.
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <thread>

#include <mujoco/mujoco.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <CLI/CLI.hpp>

#include "mbrl/agents/agent_registry.h"
#include "mbrl/agents/scorer_registry.h"
#include "mbrl/algorithms/d4rl_collect.h"
#include "mbrl/algorithms/diagnose.h"
#include "mbrl/algorithms/episode.h"
#include "mbrl/algorithms/experiment.h"
#include "mbrl/algorithms/normalized_score.h"
#include "mbrl/algorithms/reproduce.h"
#include "mbrl/algorithms/sweep.h"
#include "mbrl/algorithms/sweep_local.h"
#include "mbrl/algorithms/sweep_slurm.h"
#include "mbrl/config/loader.h"
#include "mbrl/core/blas_kernels.h"
#include "mbrl/core/data_parallel.h"
#include "mbrl/core/error.h"
#include "mbrl/core/freed_memory.h"
#include "mbrl/core/subprocess.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/io/atomic_file.h"
#include "mbrl/log/learning_curves.h"
#include "mbrl/log/log.h"
#include "mbrl/log/progress.h"
#include "mbrl/models/model_registry.h"
#include "mbrl/models/sequence/sequence_backbone.h"
#include "mbrl/planners/optimizer_registry.h"
#include "mbrl/register_builtins.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

struct TrainArgs {
  std::string config;
  std::string resume;
  std::vector<std::string> sets;
  std::optional<uint64_t> seed;
  std::string device;
  std::string run_dir;
  std::string log_level;
  int64_t nproc = 1;
};

struct PlotArgs {
  std::vector<std::string> run_dirs;
  std::string metric;  // empty: the runs' default curve (choose_curve_columns)
  std::string x;
  std::string output = "curves.png";
  int width = 800;
  int height = 500;
};

struct ReproduceArgs {
  std::string table;
  int64_t seeds = 0;
  double budget = 1.0;
  std::string runs_root = "runs/reproduce";
};

struct CollectArgs {
  std::string source;  // a run folder (its trained agent) or a config file (its agent as built)
  std::string replay_run;
  std::vector<std::string> stitch;
  std::string output;
  int64_t transitions = 0;  // 0: 1,000,000 rollout rows, 2,000,000 stitched (D4RL's sizes)
  uint64_t seed = 0;
  bool mean_actions = false;
  std::string device;
};

struct EvalArgs {
  std::string run_dir;
  int64_t episodes = 10;
  std::optional<uint64_t> seed;
  std::string device;
};

struct DiagnoseArgs {
  std::string run_dir;
  std::string episodes = "10";  // a count, or a D4RL file
  int64_t max_transitions = 100000;
  int64_t horizon = 10;
  int64_t samples = 100;
  int64_t history = 0;
  uint64_t seed = 0;
  std::string device;
};

struct SweepArgs {
  std::string target;  // a sweep file, or a sweep folder to continue
  std::string backend = "local";
  std::string dir;
  int64_t jobs = 0;
  std::string status_dir, collect_dir, task_dir;
  int64_t task_index = -1;
};

// --seed/--device/--log-level are shorthands for --set overrides
std::vector<std::string> overrides_of(const std::vector<std::string>& sets,
                                      const std::optional<uint64_t>& seed,
                                      const std::string& device, const std::string& log_level) {
  std::vector<std::string> out = sets;
  if (seed) out.push_back("seed=" + std::to_string(*seed));
  if (!device.empty()) out.push_back("device=" + device);
  if (!log_level.empty()) out.push_back("log_level=" + log_level);
  return out;
}

std::vector<spdlog::sink_ptr> console_sinks() {
  return {mbrl::progress_aware_sink(std::make_shared<spdlog::sinks::stdout_color_sink_mt>())};
}

// this program, for the sweep backends to run as `mbrl sweep task` and for --nproc's ranks
std::filesystem::path this_program() { return std::filesystem::read_symlink("/proc/self/exe"); }

// `mbrl train --nproc N`: this process becomes rank 0 of a loopback rendezvous, pinned to its
// share of the cores; after it has written the run folder, ranks 1..N-1 start as children that
// run the folder's config.yaml into <run>/ranks/<r>/ (their output in <run>/ranks/<r>.log)
struct Ranks {
  int64_t world = 1;
  int port = 0;
  std::vector<std::vector<int>> cores;  // per rank
  std::vector<pid_t> children;          // ranks 1..N-1

  explicit Ranks(int64_t nproc) : world(nproc) {
    if (nproc < 1) throw mbrl::ConfigError("--nproc", "", "expected a rank count >= 1");
    if (nproc == 1) return;
    if (mbrl::rendezvous_from_environment()) {
      throw mbrl::ConfigError(
          "--nproc", "",
          "this process is already a rank (WORLD_SIZE or SLURM_STEP_NUM_TASKS > 1 "
          "in the environment): drop --nproc");
    }
    if (!mbrl::DataParallel::available()) {
      throw mbrl::ConfigError("--nproc", "",
                              "this build has no c10d Gloo backend (Debian: install libgloo-dev "
                              "and rebuild)");
    }
    port = mbrl::free_loopback_port();
    const std::vector<int> cpus = mbrl::affinity_cpu_ids();
    const auto per_rank = std::max<size_t>(1, cpus.size() / static_cast<size_t>(nproc));
    for (int64_t r = 0; r < nproc; ++r) {
      std::vector<int> mine;
      for (size_t c = 0; c < per_rank; ++c) mine.push_back(cpus[(r * per_rank + c) % cpus.size()]);
      cores.push_back(mine);
    }
    cpu_set_t mask;
    CPU_ZERO(&mask);
    for (int c : cores[0]) CPU_SET(c, &mask);
    sched_setaffinity(0, sizeof(mask), &mask);
    setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
    setenv("RANK", "0", 1);
    setenv("MASTER_ADDR", "127.0.0.1", 1);
    setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
  }

  // starts ranks 1..N-1; `resume`: each resumes from a copy of rank 0's files (its checkpoint
  // and metrics), so that all ranks continue from the same step whatever point each had reached
  void start_others(const mbrl::RunDir& run_dir, bool resume) {
    namespace fs = std::filesystem;
    if (world == 1) return;
    fs::create_directories(run_dir.path() / "ranks");
    for (int64_t r = 1; r < world; ++r) {
      const fs::path dir = run_dir.path() / "ranks" / std::to_string(r);
      std::vector<std::string> argv{this_program().string(), "train"};
      if (resume) {
        fs::remove_all(dir);
        fs::create_directories(dir);
        for (const auto& entry : fs::directory_iterator(run_dir.path())) {
          if (entry.path().filename() == "ranks") continue;
          fs::copy(entry.path(), dir / entry.path().filename(), fs::copy_options::recursive);
        }
        argv.insert(argv.end(), {"--resume", dir.string()});
      } else {
        argv.insert(argv.end(), {run_dir.config_path().string(), "--run-dir", dir.string()});
      }
      children.push_back(
          mbrl::start_process(argv, run_dir.path() / "ranks" / (std::to_string(r) + ".log"),
                              cores[r], {{"RANK", std::to_string(r)}}));
    }
  }

  // runs `rank_zero` (this process's run) with the other ranks started beside it; they are
  // stopped when it throws, and a rank that failed is an error naming its log
  void run(const mbrl::RunDir& run_dir, bool resume, const std::function<void()>& rank_zero) {
    start_others(run_dir, resume);
    // a rank that fails while rank 0 waits for it (to join, or in a collective) would leave rank
    // 0 waiting for the group's timeout: the watcher ends the whole run at once instead
    std::atomic<bool> done{false};
    std::thread watcher;
    if (!children.empty()) watcher = std::thread([&] { watch(run_dir, done); });
    try {
      rank_zero();
    } catch (...) {
      done = true;
      if (watcher.joinable()) watcher.join();
      finish(run_dir, /*stop=*/true);
      throw;
    }
    done = true;
    if (watcher.joinable()) watcher.join();
    finish(run_dir, /*stop=*/false);
  }

  // until `done`: a child that ended other than with exit code 0 stops every rank and this
  // process (exit code 1), naming the rank and its log; children are looked at, not reaped
  void watch(const mbrl::RunDir& run_dir, const std::atomic<bool>& done) const {
    while (!done) {
      for (size_t i = 0; i < children.size(); ++i) {
        siginfo_t info{};
        if (waitid(P_PID, children[i], &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
            info.si_pid != children[i] || (info.si_code == CLD_EXITED && info.si_status == 0))
          continue;
        std::fprintf(stderr,
                     "mbrl: error: data-parallel run: rank %zu ended (%s %d) while the others "
                     "ran; see %s\n",
                     i + 1, info.si_code == CLD_EXITED ? "exit code" : "signal", info.si_status,
                     (run_dir.path() / "ranks" / (std::to_string(i + 1) + ".log")).c_str());
        for (pid_t pid : children) kill(pid, SIGTERM);
        std::_Exit(kExitFailure);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  // waits for every other rank; `stop` first ends them (rank 0 failed)
  void finish(const mbrl::RunDir& run_dir, bool stop) {
    std::string failed;
    for (size_t i = 0; i < children.size(); ++i) {
      if (stop) kill(children[i], SIGTERM);
      const int code = mbrl::wait_process(children[i]);
      if (code != 0 && !stop) {
        failed += (failed.empty() ? "" : "; ") + std::string("rank ") + std::to_string(i + 1) +
                  " exited with " + std::to_string(code) + " (see " +
                  (run_dir.path() / "ranks" / (std::to_string(i + 1) + ".log")).string() + ")";
      }
    }
    children.clear();
    if (!failed.empty()) throw mbrl::Error("data-parallel run: " + failed);
  }
};

int resume(const TrainArgs& args) {
  if (!args.config.empty() || !args.sets.empty() || args.seed || !args.run_dir.empty()) {
    throw mbrl::ConfigError("--resume", "",
                            "takes only the run folder: the run continues with its own config");
  }
  mbrl::RunDir run_dir = mbrl::RunDir::open(args.resume);
  Ranks ranks(args.nproc);
  mbrl::ConfigNode config = mbrl::load_config(run_dir.config_path().string(),
                                              overrides_of({}, {}, args.device, args.log_level));
  mbrl::Experiment experiment(config, "resume");
  auto sinks = console_sinks();
  sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(run_dir.log_path().string()));
  mbrl::log::configure(experiment.options().log_level, sinks);
  ranks.run(run_dir, /*resume=*/true, [&] { experiment.resume(run_dir); });
  std::cout << "run written to " << run_dir.path().string() << "\n";
  return kExitOk;
}

int train(const TrainArgs& args) {
  if (!args.resume.empty()) return resume(args);
  if (args.config.empty())
    throw mbrl::ConfigError("mbrl train", "", "expected a CONFIG file or --resume RUN_DIR");
  Ranks ranks(args.nproc);
  mbrl::ConfigNode config = mbrl::load_config(
      args.config, overrides_of(args.sets, args.seed, args.device, args.log_level));
  mbrl::Experiment experiment(config, mbrl::default_run_name(args.config));
  mbrl::RunDir run_dir = experiment.create_run_dir(
      args.run_dir.empty() ? std::nullopt : std::optional<std::filesystem::path>(args.run_dir));
  auto sinks = console_sinks();
  sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(run_dir.log_path().string()));
  mbrl::log::configure(experiment.options().log_level, sinks);
  ranks.run(run_dir, /*resume=*/false, [&] { experiment.run(run_dir); });
  std::cout << "run written to " << run_dir.path().string() << "\n";
  return kExitOk;
}

int eval(const EvalArgs& args) {
  if (args.episodes < 1) {
    throw mbrl::ConfigError("--episodes", "",
                            "expected a positive integer, got " + std::to_string(args.episodes));
  }
  mbrl::RunDir run_dir = mbrl::RunDir::open(args.run_dir);
  mbrl::Experiment experiment =
      mbrl::load_trained_run(run_dir.path(), overrides_of({}, args.seed, args.device, ""));
  mbrl::log::configure(experiment.options().log_level, console_sinks());
  std::vector<double> returns = experiment.evaluate(args.episodes);
  auto [mean, std] = mbrl::mean_std(returns);
  std::string csv = "episode,episode_return\n";
  for (size_t i = 0; i < returns.size(); ++i)
    csv += std::to_string(i) + "," + std::to_string(returns[i]) + "\n";
  mbrl::write_file_atomic(run_dir.path() / "agent_eval.csv", csv);
  std::printf("%s: %lld episodes, return %.2f +- %.2f (mean +- std)\n", run_dir.path().c_str(),
              static_cast<long long>(returns.size()), mean, std);
  const auto reference = mbrl::reference_returns(experiment.env()->spec().name);
  if (reference) {
    std::printf("normalised score %.1f (random %.2f, expert %.2f: %s)\n",
                mbrl::normalized_score(mean, *reference), reference->random, reference->expert,
                reference->source.c_str());
  }
  return kExitOk;
}

int diagnose(const DiagnoseArgs& args) {
  mbrl::RunDir run_dir = mbrl::RunDir::open(args.run_dir);
  mbrl::log::configure("info", console_sinks());
  std::string summary;
  mbrl::DiagnoseOptions options;
  const std::string& e = args.episodes;
  const bool count = !e.empty() && e.find_first_not_of("-0123456789") == std::string::npos;
  if (count) {
    try {
      options.episodes(std::stoll(e));
    } catch (const std::exception&) {
      throw mbrl::ConfigError("--episodes", "", "expected a count, got '" + e + "'");
    }
  } else if (std::filesystem::is_regular_file(e)) {
    options.episodes_file(e);
  } else {
    throw mbrl::ConfigError(
        "--episodes", "", "expected a count or a D4RL-layout file, got '" + e + "' (no such file)");
  }
  mbrl::diagnose_run(run_dir.path(),
                     options.max_transitions(args.max_transitions)
                         .horizon(args.horizon)
                         .samples(args.samples)
                         .history(args.history)
                         .seed(args.seed),
                     overrides_of({}, std::nullopt, args.device, ""), &summary);
  std::printf("%sfiles in %s\n", summary.c_str(),
              (run_dir.path() / "diagnostics").string().c_str());
  return kExitOk;
}

// D4RL-layout datasets: rollouts of an agent, a run's replay buffer, or two files stitched
int collect(const CollectArgs& args) {
  namespace fs = std::filesystem;
  const int modes = !args.source.empty() + !args.replay_run.empty() + !args.stitch.empty();
  if (modes != 1)
    throw mbrl::ConfigError("mbrl collect", "",
                            "expected exactly one of SOURCE, --replay RUN_DIR, --stitch A B");
  if (args.transitions < 0)
    throw mbrl::ConfigError("--transitions", "",
                            "expected a positive integer, got " + std::to_string(args.transitions));
  mbrl::log::configure("info", console_sinks());
  mbrl::D4rlDataset data;
  if (!args.stitch.empty()) {
    const mbrl::D4rlDataset first = mbrl::read_d4rl(args.stitch.at(0));
    data = mbrl::stitch_d4rl(first, mbrl::read_d4rl(args.stitch.at(1)),
                             args.transitions > 0 ? args.transitions : 2000000);
    data.metadata = {{"algorithm", "stitched (D4RL stitch_dataset.py)"},
                     {"first", args.stitch.at(0)},
                     {"second", args.stitch.at(1)}};
    if (first.metadata.count("env")) data.metadata["env"] = first.metadata.at("env");
  } else if (!args.replay_run.empty()) {
    data = mbrl::d4rl_from_run_replay(args.replay_run);
    data.metadata = {{"algorithm", "replay buffer (D4RL convert_buffer.py)"},
                     {"source", args.replay_run}};
    const fs::path config = fs::path(args.replay_run) / "config.yaml";
    if (fs::exists(config))
      data.metadata["env"] =
          mbrl::load_config(config.string()).child("env").get<std::string>("type");
  } else {
    const bool is_run = fs::is_directory(args.source);
    const std::vector<std::string> overrides = overrides_of({}, {}, args.device, "");
    const fs::path config_path =
        is_run ? fs::path(args.source) / "config.yaml" : fs::path(args.source);
    mbrl::Experiment experiment = is_run
                                      ? mbrl::load_trained_run(args.source, overrides)
                                      : mbrl::Experiment(mbrl::load_config(args.source, overrides),
                                                         mbrl::default_run_name(args.source));
    mbrl::D4rlCollectOptions options;
    options.transitions = args.transitions > 0 ? args.transitions : 1000000;
    options.seed = args.seed;
    options.mode = args.mean_actions ? mbrl::ActMode::kEval : mbrl::ActMode::kExplore;
    const auto start = std::chrono::steady_clock::now();
    data = mbrl::collect_d4rl(*experiment.env(), *experiment.agent(), options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const mbrl::ConfigNode config = mbrl::load_config(config_path.string());
    data.metadata = {{"algorithm", config.child("agent").get<std::string>("type")},
                     {"env", config.child("env").get<std::string>("type")},
                     {"source", args.source},
                     {"actions", args.mean_actions ? "policy mean" : "sampled from the policy"},
                     {"seed", std::to_string(args.seed)},
                     {"mujoco_version", std::to_string(mj_version())},
                     {"mbrl_version", MBRL_VERSION}};
    const at::Tensor ends = data.terminals.logical_or(data.timeouts);
    std::printf("collected %lld transitions (%lld complete episodes) in %.1f s\n",
                static_cast<long long>(data.size()),
                static_cast<long long>(ends.sum().item<int64_t>()), seconds);
  }
  mbrl::write_d4rl(args.output, data);
  const std::vector<double> returns = mbrl::d4rl_episode_returns(data);
  const auto [mean, std] = mbrl::mean_std(returns);
  std::printf(
      "wrote %s: %lld rows, obs %lld, act %lld; %lld complete episodes, return %.2f +- "
      "%.2f (mean +- std)\n",
      args.output.c_str(), static_cast<long long>(data.size()),
      static_cast<long long>(data.obs_dim()), static_cast<long long>(data.act_dim()),
      static_cast<long long>(returns.size()), mean, std);
  const auto env = data.metadata.find("env");
  const auto reference =
      env != data.metadata.end() ? mbrl::reference_returns(env->second) : std::nullopt;
  if (reference && !returns.empty()) {
    std::printf("normalised score %.1f (random %.2f, expert %.2f: %s)\n",
                mbrl::normalized_score(mean, *reference), reference->random, reference->expert,
                reference->source.c_str());
  }
  return kExitOk;
}

int plot(const PlotArgs& args) {
  const std::vector<std::filesystem::path> dirs(args.run_dirs.begin(), args.run_dirs.end());
  const mbrl::CurveColumns columns = mbrl::choose_curve_columns(dirs, args.metric, args.x);
  std::vector<mbrl::RunCurve> curves;
  for (const auto& dir : dirs)
    curves.push_back(mbrl::read_run_curve(dir, columns.metric, columns.x));
  const auto bands = mbrl::average_over_seeds(curves);
  mbrl::PlotOptions options;
  options.metric = columns.metric;
  options.x = columns.x;
  options.output = args.output;
  options.width = args.width;
  options.height = args.height;
  mbrl::plot_curves(bands, options);
  std::printf("wrote %s: %s against %s, %zu curve(s) from %zu run(s)\n", args.output.c_str(),
              columns.metric.c_str(), columns.x.c_str(), bands.size(), curves.size());
  return kExitOk;
}

int reproduce(const ReproduceArgs& args) {
  // a table name stands for configs/reproduce/<name>.yaml
  std::string path = args.table;
  const std::string shipped = "configs/reproduce/" + args.table + ".yaml";
  if (!std::filesystem::exists(path) && std::filesystem::exists(shipped)) path = shipped;
  const mbrl::ReproduceTable table = mbrl::load_reproduce_table(path);
  mbrl::ReproduceOptions options;
  options.seeds = args.seeds;
  options.budget = args.budget;
  options.runs_root = args.runs_root;
  mbrl::log::configure("info", console_sinks());
  options.before_run = [](const mbrl::RunDir& run_dir) {
    auto sinks = console_sinks();
    sinks.push_back(
        std::make_shared<spdlog::sinks::basic_file_sink_mt>(run_dir.log_path().string()));
    mbrl::log::configure("info", sinks);
  };
  const mbrl::ReproduceReport report = mbrl::reproduce(table, options);
  mbrl::log::configure("info", console_sinks());
  std::cout << "\n" << report.markdown << "\nwritten to " << report.markdown_path.string() << "\n";
  return kExitOk;
}

void print_sweep_status(const std::filesystem::path& dir,
                        const std::vector<mbrl::JobStatus>& status) {
  std::printf("%-6s %-32s %-6s %-12s %s\n", "index", "variant", "seed", "state", "detail");
  for (const auto& s : status) {
    std::string detail = s.detail.substr(0, s.detail.find('\n'));
    std::printf("%-6lld %-32s %-6llu %-12s %s\n", static_cast<long long>(s.job.index),
                s.job.variant.c_str(), static_cast<unsigned long long>(s.job.seed),
                mbrl::to_string(s.state).c_str(), detail.c_str());
  }
  std::printf("%s: %s\n", dir.string().c_str(), mbrl::summarize(status).c_str());
}

// the queue of a sweep submitted to Slurm; empty (with a warning) when squeue cannot be read
std::map<int64_t, std::string> slurm_queue_or_warn(const std::filesystem::path& dir) {
  try {
    return mbrl::slurm_queue(dir);
  } catch (const mbrl::IoError& e) {
    std::fprintf(stderr, "mbrl: warning: Slurm's queue is unknown (%s)\n", e.what());
    return {};
  }
}

int sweep(const SweepArgs& args) {
  namespace fs = std::filesystem;
  mbrl::log::configure("info", console_sinks());
  if (!args.task_dir.empty()) {  // one job, as the backends run it
    mbrl::run_sweep_task(args.task_dir, args.task_index, [](const mbrl::RunDir& run_dir) {
      auto sinks = console_sinks();
      sinks.push_back(
          std::make_shared<spdlog::sinks::basic_file_sink_mt>(run_dir.log_path().string()));
      mbrl::log::configure("info", sinks);
    });
    return kExitOk;
  }
  if (!args.status_dir.empty()) {
    print_sweep_status(args.status_dir,
                       mbrl::sweep_status(args.status_dir, slurm_queue_or_warn(args.status_dir)));
    return kExitOk;
  }
  if (!args.collect_dir.empty()) {
    const mbrl::SweepResults results = mbrl::collect_sweep(args.collect_dir);
    std::printf("%s\nwrote %s, %s%s\n", results.markdown_text.c_str(), results.csv.c_str(),
                results.markdown.c_str(),
                results.plot.empty() ? "" : (", " + results.plot.string()).c_str());
    return kExitOk;
  }
  if (args.target.empty())
    throw mbrl::ConfigError("mbrl sweep", "", "expected a SWEEP.yaml file or a sweep folder");
  if (args.backend != "local" && args.backend != "slurm")
    throw mbrl::ConfigError("--backend", "", "expected local or slurm, got '" + args.backend + "'");
  fs::path dir;
  if (fs::is_directory(args.target)) {  // continue a sweep folder
    if (!args.dir.empty())
      throw mbrl::ConfigError("--dir", "", "a sweep folder continues in place; drop --dir");
    dir = args.target;
    mbrl::open_sweep_dir(dir);
  } else {
    const mbrl::SweepSpec spec = mbrl::load_sweep(args.target);
    dir = args.dir.empty() ? fs::path("runs") / "sweeps" / spec.name : fs::path(args.dir);
    mbrl::create_sweep_dir(spec, dir);
  }
  if (args.backend == "slurm") {
    mbrl::SlurmSweepOptions options;
    options.executable = this_program();
    const auto submission = mbrl::submit_sweep_slurm(dir, options);
    if (!submission) {
      std::printf("%s: nothing to submit (%s)\n", dir.string().c_str(),
                  mbrl::summarize(mbrl::sweep_status(dir, slurm_queue_or_warn(dir))).c_str());
    } else {
      std::printf(
          "submitted job array %s: %zu task(s), array %s, script %s\nwatch it with `mbrl "
          "sweep status %s`; summarise it with `mbrl sweep collect %s`\n",
          submission->job_id.c_str(), submission->indices.size(),
          mbrl::array_ranges(submission->indices).c_str(), submission->script.c_str(), dir.c_str(),
          dir.c_str());
    }
    return kExitOk;
  }
  mbrl::LocalSweepOptions options;
  options.executable = this_program();
  options.jobs = args.jobs;
  if (std::filesystem::exists(dir / "slurm")) options.queued = slurm_queue_or_warn(dir);
  const mbrl::LocalSweepReport report = mbrl::run_sweep_local(dir, options);
  const auto status = mbrl::sweep_status(dir);
  std::printf("%s: %s\n", dir.c_str(), mbrl::summarize(status).c_str());
  if (std::any_of(status.begin(), status.end(),
                  [](const auto& s) { return s.state == mbrl::JobState::kDone; })) {
    const mbrl::SweepResults results = mbrl::collect_sweep(dir);
    std::printf("%s\nwrote %s, %s%s\n", results.markdown_text.c_str(), results.csv.c_str(),
                results.markdown.c_str(),
                results.plot.empty() ? "" : (", " + results.plot.string()).c_str());
  }
  return report.failed > 0 ? kExitFailure : kExitOk;
}

template <class Base, class... Args>
void print_registry(const mbrl::Registry<Base, Args...>& r) {
  std::printf("%s:\n", r.kind().c_str());
  for (const auto& type : r.types()) {
    std::printf("  %-28s %s\n", type.c_str(), r.entry(type).summary.c_str());
  }
}

void print_envs() {
  std::printf("envs:\n");
  for (const auto& type : mbrl::env_registry().types()) {
    mbrl::ConfigNode node = mbrl::load_config_string("type: " + type, "list");
    auto env = mbrl::make_env(node, mbrl::BuildContext{});
    const auto& spec = env->spec();
    std::printf("  %-28s obs %-3lld act %-3lld steps %-5lld %s\n", type.c_str(),
                static_cast<long long>(spec.obs_dim()), static_cast<long long>(spec.act_dim()),
                static_cast<long long>(spec.max_episode_steps),
                mbrl::env_registry().entry(type).summary.c_str());
  }
}

int list(const std::string& asked) {
  // the design's word for the action optimizers is "planners"; both name them
  const std::string kind = asked == "planners" ? "optimizers" : asked;
  const std::vector<std::string> kinds{"envs",     "models",  "backbones", "optimizers",
                                       "planners", "scorers", "agents",    "algorithms"};
  if (!kind.empty() && std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
    std::string known;
    for (const auto& k : kinds) known += (known.empty() ? "" : ", ") + k;
    throw mbrl::ConfigError("mbrl list", "",
                            "unknown kind '" + kind + "'; expected one of " + known);
  }
  if (kind.empty() || kind == "envs") print_envs();
  if (kind.empty() || kind == "models") print_registry(mbrl::model_registry());
  if (kind.empty() || kind == "backbones") print_registry(mbrl::backbone_registry());
  if (kind.empty() || kind == "optimizers") print_registry(mbrl::optimizer_registry());
  if (kind.empty() || kind == "scorers") print_registry(mbrl::scorer_registry());
  if (kind.empty() || kind == "agents") print_registry(mbrl::agent_registry());
  if (kind.empty() || kind == "algorithms") print_registry(mbrl::algorithm_registry());
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  mbrl::restart_with_fitting_blas_kernels(argv);
  mbrl::keep_freed_memory();
  CLI::App app{"mbrl: model-based reinforcement learning (PETS, MBPO, ...) on LibTorch and MuJoCo"};
  app.require_subcommand(1);

  TrainArgs train_args;
  auto* train_cmd = app.add_subcommand("train", "Train from a YAML config; writes a run folder");
  // CONFIG or --resume RUN_DIR (train() says which is missing)
  train_cmd->add_option("config", train_args.config, "YAML config file (or a run's config.yaml)");
  train_cmd->add_option("--resume", train_args.resume,
                        "Continue the run in RUN_DIR from its last checkpoint (killed or stopped "
                        "runs), with its own config");
  train_cmd->add_option("--set", train_args.sets,
                        "Override a config value: key.path=value (repeatable)");
  train_cmd->add_option("--seed", train_args.seed, "Run seed (same as --set seed=N)");
  train_cmd->add_option("--device", train_args.device,
                        "auto, cpu or cuda (same as --set device=...)");
  train_cmd->add_option("--run-dir", train_args.run_dir, "Write the run into exactly this folder");
  train_cmd->add_option("--nproc", train_args.nproc,
                        "Data-parallel model training on N processes of this machine (c10d "
                        "Gloo on loopback), each on its share of the cores (default 1)");
  train_cmd->add_option("--log-level", train_args.log_level,
                        "trace, debug, info, warn, error, off");

  EvalArgs eval_args;
  auto* eval_cmd = app.add_subcommand("eval", "Evaluate the saved agent of a run folder");
  eval_cmd->add_option("run_dir", eval_args.run_dir, "A run folder written by mbrl train")
      ->required();
  eval_cmd->add_option("--episodes", eval_args.episodes, "Evaluation episodes (default 10)");
  eval_cmd->add_option("--seed", eval_args.seed, "Seed of the evaluation episodes");
  eval_cmd->add_option("--device", eval_args.device, "auto, cpu or cuda");

  DiagnoseArgs diagnose_args;
  auto* diagnose_cmd = app.add_subcommand(
      "diagnose",
      "Model diagnostics of a trained run on held-out episodes of its agent: k-step error, "
      "calibration, disagreement against error (writes RUN_DIR/diagnostics/)");
  diagnose_cmd->add_option("run_dir", diagnose_args.run_dir, "A run folder written by mbrl train")
      ->required();
  diagnose_cmd->add_option("--episodes", diagnose_args.episodes,
                           "Held-out episodes: a count collected with the run's agent (default "
                           "10), or a D4RL-layout HDF5 file of episodes the run never trained on");
  diagnose_cmd->add_option("--max-transitions", diagnose_args.max_transitions,
                           "With a file: its episodes in order up to this many transitions "
                           "(default 100000)");
  diagnose_cmd->add_option("--horizon", diagnose_args.horizon,
                           "Open-loop steps of the k-step error (default 10)");
  diagnose_cmd->add_option("--samples", diagnose_args.samples,
                           "Draws per member for the calibration; a Dreamer run: imagined "
                           "rollouts per start (default 100)");
  diagnose_cmd->add_option("--history", diagnose_args.history,
                           "A model with memory first reads up to this many real transitions "
                           "before each prediction (default 0: a fresh memory; a Dreamer run's "
                           "world model always reads the whole episode so far)");
  diagnose_cmd->add_option("--seed", diagnose_args.seed, "Seed of the held-out episodes");
  diagnose_cmd->add_option("--device", diagnose_args.device, "auto, cpu or cuda");

  PlotArgs plot_args;
  auto* plot_cmd = app.add_subcommand(
      "plot", "Draw learning curves of run folders as a PNG (seeds of one config: mean and band)");
  plot_cmd->add_option("run_dirs", plot_args.run_dirs, "Run folders written by mbrl train")
      ->required();
  plot_cmd->add_option("--metric", plot_args.metric,
                       "Column to plot (default: eval_return, else episode_return, else "
                       "open_loop_obs_mse, the first that every run has)");
  plot_cmd->add_option("--x", plot_args.x, "Step column (default env_steps, else gradient_steps)");
  plot_cmd->add_option("-o,--output", plot_args.output, "PNG file (default curves.png)");
  plot_cmd->add_option("--width", plot_args.width, "Pixels (default 800)");
  plot_cmd->add_option("--height", plot_args.height, "Pixels (default 500)");

  ReproduceArgs reproduce_args;
  auto* reproduce_cmd =
      app.add_subcommand("reproduce",
                         "Run a reproduction table (configs/reproduce/*.yaml) and compare with the "
                         "published numbers");
  reproduce_cmd->add_option("table", reproduce_args.table, "Table file or name")->required();
  reproduce_cmd->add_option("--seeds", reproduce_args.seeds,
                            "Use the first N seeds of each entry (default: all)");
  reproduce_cmd->add_option("--budget", reproduce_args.budget,
                            "Fraction of the published budget, in (0, 1] (default 1)");
  reproduce_cmd->add_option("--runs-dir", reproduce_args.runs_root,
                            "Parent of the table's run folders (default runs/reproduce)");

  CollectArgs collect_args;
  auto* collect_cmd = app.add_subcommand(
      "collect",
      "Write a dataset in D4RL's HDF5 layout: rollouts of a trained run's agent (or of a "
      "config's agent, e.g. random), a run's replay buffer, or two datasets stitched");
  collect_cmd->add_option("source", collect_args.source,
                          "A run folder (its trained agent acts) or a config file (its agent as "
                          "built acts: random for a random config)");
  collect_cmd->add_option("--replay", collect_args.replay_run,
                          "Write the replay buffer of this run's last checkpoint instead "
                          "(D4RL's medium-replay)");
  collect_cmd
      ->add_option("--stitch", collect_args.stitch,
                   "Two D4RL files: the first cut after its last complete episode, then "
                   "the second (D4RL's medium-expert)")
      ->expected(2);
  collect_cmd->add_option("-o,--output", collect_args.output, "HDF5 file to write")->required();
  collect_cmd->add_option("--transitions", collect_args.transitions,
                          "Rows (default 1000000; stitched: at most 2000000)");
  collect_cmd->add_option("--seed", collect_args.seed, "Seed of the episodes' resets");
  collect_cmd->add_flag("--mean", collect_args.mean_actions,
                        "Act with the policy's mean (default: sample, as D4RL did)");
  collect_cmd->add_option("--device", collect_args.device, "auto, cpu or cuda");

  SweepArgs sweep_args;
  auto* sweep_cmd = app.add_subcommand(
      "sweep",
      "Run a base config over a grid of --set overrides and seeds: on this machine (local) or as "
      "one Slurm job array (slurm); each job is an ordinary run folder");
  sweep_cmd->add_option("target", sweep_args.target,
                        "A sweep file (YAML), or a sweep folder to continue (unfinished jobs "
                        "start or resume)");
  sweep_cmd->add_option("--backend", sweep_args.backend, "local (default) or slurm");
  sweep_cmd->add_option("--dir", sweep_args.dir,
                        "The sweep folder to create (default runs/sweeps/<name>)");
  sweep_cmd->add_option("--jobs", sweep_args.jobs,
                        "local: jobs at once (default: cores / resources.cpus_per_task)");
  auto* sweep_status_cmd =
      sweep_cmd->add_subcommand("status", "State of every job of a sweep folder");
  sweep_status_cmd->add_option("sweep_dir", sweep_args.status_dir, "A sweep folder")->required();
  auto* sweep_collect_cmd = sweep_cmd->add_subcommand(
      "collect", "Summarise a sweep folder: results.csv, results.md and curves.png");
  sweep_collect_cmd->add_option("sweep_dir", sweep_args.collect_dir, "A sweep folder")->required();
  auto* sweep_task_cmd = sweep_cmd->add_subcommand(
      "task", "Run (or resume) one job of a sweep folder in this process (what backends run)");
  sweep_task_cmd->add_option("sweep_dir", sweep_args.task_dir, "A sweep folder")->required();
  sweep_task_cmd->add_option("index", sweep_args.task_index, "The job's index")->required();

  std::string list_kind;
  auto* list_cmd = app.add_subcommand("list", "List registered components");
  list_cmd->add_option(
      "kind", list_kind,
      "envs, models, backbones, planners (or optimizers), scorers, agents or algorithms "
      "(default: all)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "mbrl: error: %s (see mbrl --help)\n", e.what());
    return kExitBadInput;
  }

  try {
    mbrl::register_builtins();
    if (*train_cmd) return train(train_args);
    if (*eval_cmd) return eval(eval_args);
    if (*diagnose_cmd) return diagnose(diagnose_args);
    if (*collect_cmd) return collect(collect_args);
    if (*list_cmd) return list(list_kind);
    if (*plot_cmd) return plot(plot_args);
    if (*reproduce_cmd) return reproduce(reproduce_args);
    if (*sweep_cmd) return sweep(sweep_args);
  } catch (const mbrl::ConfigError& e) {
    std::fprintf(stderr, "mbrl: error: %s\n", e.what());
    return kExitBadInput;
  } catch (const mbrl::DataError& e) {  // a bad dataset, checkpoint or model file
    std::fprintf(stderr, "mbrl: error: %s\n", e.what());
    return kExitBadInput;
  } catch (const mbrl::Error& e) {
    std::fprintf(stderr, "mbrl: error: %s\n", e.what());
    return kExitFailure;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "mbrl: error: %s\n", e.what_without_backtrace());
    return kExitFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mbrl: error: %s\n", e.what());
    return kExitFailure;
  }
  return kExitFailure;
}

// Sweeps: the sweep file, its jobs, the sweep folder, one job's task, status and collect.
#include "mbrl/algorithms/sweep.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "mbrl/algorithms/experiment.h"
#include "mbrl/config/loader.h"
#include "mbrl/config/overrides.h"
#include "mbrl/core/error.h"
#include "mbrl/io/atomic_file.h"
#include "mbrl/io/run_dir.h"
#include "mbrl/log/learning_curves.h"
#include "mbrl/log/log.h"

namespace fs = std::filesystem;

namespace mbrl {
namespace {

// a folder name: letters, digits and . _ = + -, not . or ..
bool is_folder_name(const std::string& s) {
  static const std::regex kName(R"(^[A-Za-z0-9._=+-]+$)");
  return std::regex_match(s, kName) && s != "." && s != "..";
}

// a YAML value as `--set` reads it back (flow style: lists and maps on one line)
std::string value_text(const YAML::Node& value) {
  YAML::Emitter out;
  out << YAML::Flow << value;
  return out.c_str();
}

// `key=value` overrides of a map section (`set:`, a variant): each value a scalar or a list of
// scalars (`--set` syntax), each key an override key path
std::vector<std::string> overrides_of_map(const ConfigNode& section) {
  std::vector<std::string> out;
  for (const auto& key : section.keys()) {
    const YAML::Node& raw = section.yaml()[key];
    if (raw.IsSequence()) {
      section.get<std::vector<std::string>>(key);  // records the read; a nested list is an error
    } else {
      section.get<std::string>(key);
    }
    const std::string text = key + "=" + value_text(raw);
    try {
      parse_override(text);
    } catch (const ConfigError& e) {
      throw section.error(key, e.reason());
    }
    out.push_back(text);
  }
  return out;
}

// a grid value in a folder name: characters outside the name set become '_'
std::string name_part(const std::string& value) {
  std::string out = value;
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string("._+-").find(c) == std::string::npos)
      c = '_';
  }
  return out;
}

// the product of `grid:` lists, the first key varying slowest; each variant is named
// short_key=value+... with the last part of each key (the whole key where two share it)
std::vector<SweepVariant> grid_variants(const ConfigNode& grid) {
  if (grid.keys().empty()) throw grid.error("expected a map of key.path: [values...]");
  std::vector<std::string> keys = grid.keys();
  std::vector<std::vector<std::string>> values;
  std::map<std::string, int> short_count;
  auto short_key = [](const std::string& key) { return key.substr(key.rfind('.') + 1); };
  for (const auto& key : keys) {
    if (grid.get<std::vector<std::string>>(key).empty())
      throw grid.error(key, "expected a list of at least one value");
    const YAML::Node& list = grid.yaml()[key];
    std::vector<std::string> texts;
    for (size_t i = 0; i < list.size(); ++i) texts.push_back(value_text(list[i]));
    try {
      parse_override(key + "=" + texts.front());
    } catch (const ConfigError& e) {
      throw grid.error(key, e.reason());
    }
    values.push_back(texts);
    ++short_count[short_key(key)];
  }
  std::vector<SweepVariant> variants{SweepVariant{}};
  for (size_t k = 0; k < keys.size(); ++k) {
    const std::string label = short_count[short_key(keys[k])] > 1 ? keys[k] : short_key(keys[k]);
    std::vector<SweepVariant> next;
    for (const auto& v : variants) {
      for (const auto& value : values[k]) {
        SweepVariant n = v;
        n.name += (n.name.empty() ? "" : "+") + label + "=" + name_part(value);
        n.overrides.push_back(keys[k] + "=" + value);
        next.push_back(n);
      }
    }
    variants = std::move(next);
  }
  return variants;
}

// `variants: {name: {key.path: value, ...}, ...}`
std::vector<SweepVariant> listed_variants(const ConfigNode& section) {
  if (section.keys().empty()) throw section.error("expected a map of name: {key.path: value}");
  std::vector<SweepVariant> variants;
  for (const auto& name : section.keys()) {
    if (!is_folder_name(name))
      throw section.error(name,
                          "expected a name of letters, digits and . _ = + - (a folder "
                          "name), got '" +
                              name + "'");
    variants.push_back(SweepVariant{name, overrides_of_map(section.child(name))});
  }
  return variants;
}

SweepResources read_resources(const ConfigNode& node) {
  SweepResources r;
  r.cpus_per_task = node.get_or("cpus_per_task", r.cpus_per_task);
  if (r.cpus_per_task < 1) throw node.error("cpus_per_task", "expected a positive integer");
  r.mem = node.get_or("mem", r.mem);
  r.time = node.get_or("time", r.time);
  r.partition = node.get_or("partition", r.partition);
  r.max_parallel = node.get_or("max_parallel", r.max_parallel);
  if (r.max_parallel < 0) throw node.error("max_parallel", "expected 0 (no limit) or more");
  r.sbatch_args = node.get_or("sbatch_args", r.sbatch_args);
  return r;
}

// the resolved sweep as written to sweep.yaml: everything explicit, the grid expanded
std::string sweep_yaml(const SweepSpec& spec) {
  auto override_map = [](YAML::Emitter& out, const std::vector<std::string>& overrides) {
    out << YAML::BeginMap;
    for (const auto& o : overrides) {
      const ConfigOverride parsed = parse_override(o);
      out << YAML::Key << parsed.key_path << YAML::Value << YAML::Flow << parsed.value;
    }
    out << YAML::EndMap;
  };
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << spec.name;
  out << YAML::Key << "config" << YAML::Value << spec.config.string();
  out << YAML::Key << "seeds" << YAML::Value << YAML::Flow << spec.seeds;
  out << YAML::Key << "variants" << YAML::Value << YAML::BeginMap;
  for (const auto& v : spec.variants) {
    out << YAML::Key << v.name << YAML::Value;
    override_map(out, v.overrides);
  }
  out << YAML::EndMap;
  out << YAML::Key << "set" << YAML::Value;
  override_map(out, spec.common);
  const SweepResources& r = spec.resources;
  out << YAML::Key << "resources" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "cpus_per_task" << YAML::Value << r.cpus_per_task;
  out << YAML::Key << "mem" << YAML::Value << r.mem;
  out << YAML::Key << "time" << YAML::Value << r.time;
  out << YAML::Key << "partition" << YAML::Value << r.partition;
  out << YAML::Key << "max_parallel" << YAML::Value << r.max_parallel;
  out << YAML::Key << "sbatch_args" << YAML::Value << YAML::Flow << r.sbatch_args;
  out << YAML::EndMap;
  out << YAML::Key << "metric" << YAML::Value << spec.metric;
  out << YAML::Key << "x" << YAML::Value << spec.x;
  out << YAML::Key << "statistic" << YAML::Value << spec.statistic;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

fs::path state_path(const fs::path& dir, int64_t index) {
  return dir / "tasks" / (std::to_string(index) + ".state");
}

std::string this_host() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

// a task's state file: the word on its first line, then `key value` lines (or the error)
struct TaskState {
  std::string word;  // running | done | failed
  std::string host;
  long pid = 0;
  std::string rest;  // the error of a failed task
};

std::optional<TaskState> read_task_state(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  TaskState s;
  std::getline(in, s.word);
  std::string line;
  while (std::getline(in, line)) {
    if (s.word == "running" && line.rfind("host ", 0) == 0)
      s.host = line.substr(5);
    else if (s.word == "running" && line.rfind("pid ", 0) == 0)
      s.pid = std::atol(line.c_str() + 4);
    else
      s.rest += (s.rest.empty() ? "" : "\n") + line;
  }
  return s;
}

bool process_alive(long pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

std::string format_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), std::fabs(v) >= 100 ? "%.1f" : "%.4g", v);
  return buf;
}

}  // namespace

SweepSpec load_sweep(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw ConfigError(path.string(), "", "no sweep file");
  const ConfigNode root = load_config(path.string());
  SweepSpec spec;
  spec.name = root.get_or("name", path.stem().string());
  if (!is_folder_name(spec.name))
    throw root.error("name", "expected letters, digits and . _ = + - (a folder name)");
  const auto config = root.get<std::string>("config");
  spec.config =
      fs::path(config).is_absolute() ? fs::path(config) : fs::absolute(path).parent_path() / config;
  spec.config = spec.config.lexically_normal();
  if (!fs::is_regular_file(spec.config, ec))
    throw root.error("config", "no config file '" + spec.config.string() + "'");

  const YAML::Node& raw = root.yaml();
  if (raw["seeds"] && raw["seeds"].IsSequence()) {
    for (int64_t s : root.get<std::vector<int64_t>>("seeds")) {
      if (s < 0) throw root.error("seeds", "expected seeds >= 0, got " + std::to_string(s));
      spec.seeds.push_back(static_cast<uint64_t>(s));
    }
  } else {
    const auto count = root.get<int64_t>("seeds");
    if (count < 1) throw root.error("seeds", "expected a count >= 1 or a list of seeds");
    for (int64_t s = 0; s < count; ++s) spec.seeds.push_back(static_cast<uint64_t>(s));
  }
  if (spec.seeds.empty()) throw root.error("seeds", "expected at least one seed");
  for (size_t i = 0; i < spec.seeds.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (spec.seeds[i] == spec.seeds[j])
        throw root.error("seeds", "seed " + std::to_string(spec.seeds[i]) + " appears twice");
    }
  }

  if (root.has("grid") && root.has("variants"))
    throw root.error("variants", "give either grid or variants, not both");
  if (root.has("grid")) {
    spec.variants = grid_variants(root.child("grid"));
  } else if (root.has("variants")) {
    spec.variants = listed_variants(root.child("variants"));
  } else {
    spec.variants = {SweepVariant{"base", {}}};
  }
  if (root.has("set")) spec.common = overrides_of_map(root.child("set"));
  for (const auto& o : spec.common) {
    const std::string key = parse_override(o).key_path;
    if (key == "seed" || key == "threads")
      throw root.child("set").error(key, "is set by the sweep (seeds:, resources.cpus_per_task)");
  }
  if (root.has("resources")) spec.resources = read_resources(root.child("resources"));
  spec.metric = root.get_or("metric", spec.metric);
  spec.x = root.get_or("x", spec.x);
  spec.statistic = root.get_or("statistic", spec.statistic);
  if (spec.statistic != "last" && spec.statistic != "max")
    throw root.error("statistic", "expected last or max, got '" + spec.statistic + "'");
  root.check_all_read();
  return spec;
}

std::vector<SweepJob> sweep_jobs(const SweepSpec& spec) {
  std::vector<SweepJob> jobs;
  for (const auto& v : spec.variants) {
    for (uint64_t seed : spec.seeds) {
      SweepJob job;
      job.index = static_cast<int64_t>(jobs.size());
      job.variant = v.name;
      job.seed = seed;
      job.overrides = spec.common;
      job.overrides.insert(job.overrides.end(), v.overrides.begin(), v.overrides.end());
      job.overrides.push_back("threads=" + std::to_string(spec.resources.cpus_per_task));
      job.overrides.push_back("seed=" + std::to_string(seed));
      job.run_dir = fs::path("runs") / v.name / ("s" + std::to_string(seed));
      jobs.push_back(job);
    }
  }
  return jobs;
}

void create_sweep_dir(const SweepSpec& spec, const fs::path& dir) {
  const std::string text = sweep_yaml(spec);
  const fs::path file = dir / "sweep.yaml";
  std::error_code ec;
  if (fs::exists(file, ec)) {
    if (read_file(file) != text) {
      throw ConfigError(dir.string(), "",
                        "holds a different sweep (its sweep.yaml): choose another --dir, or "
                        "continue it with `mbrl sweep " +
                            dir.string() + "`");
    }
    return;
  }
  // every variant's config must build: a misspelt key fails now, not in every task
  const std::vector<SweepJob> jobs = sweep_jobs(spec);
  for (size_t v = 0; v < spec.variants.size(); ++v) {
    const SweepJob& job = jobs[v * spec.seeds.size()];
    try {
      Experiment check(load_config(spec.config.string(), job.overrides), spec.name);
    } catch (const ConfigError& e) {
      throw ConfigError(e.where(), e.key_path(),
                        e.reason() + " (sweep variant '" + job.variant + "')");
    }
  }
  fs::create_directories(dir / "tasks");
  write_file_atomic(file, text);
}

SweepSpec open_sweep_dir(const fs::path& dir) {
  const fs::path file = dir / "sweep.yaml";
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    throw IoError(dir.string(),
                  "not a sweep folder (no sweep.yaml): expected what `mbrl sweep "
                  "SWEEP.yaml` created");
  return load_sweep(file);
}

void run_sweep_task(const fs::path& dir, int64_t index,
                    const std::function<void(const RunDir&)>& before_run) {
  const SweepSpec spec = open_sweep_dir(dir);
  const std::vector<SweepJob> jobs = sweep_jobs(spec);
  if (index < 0 || index >= static_cast<int64_t>(jobs.size())) {
    throw ConfigError("INDEX", "",
                      "expected a job index in [0, " + std::to_string(jobs.size() - 1) + "], got " +
                          std::to_string(index));
  }
  const SweepJob& job = jobs[index];
  const fs::path state = state_path(dir, index);
  fs::create_directories(state.parent_path());
  write_file_atomic(state, "running\nhost " + this_host() + "\npid " + std::to_string(getpid()) +
                               "\nstarted " + utc_timestamp() + "\n");
  try {
    complete_run(spec.config, job.overrides, dir / job.run_dir, spec.name + "/" + job.variant,
                 before_run);
  } catch (const std::exception& e) {
    write_file_atomic(state, "failed\n" + std::string(e.what()) + "\n");
    throw;
  }
  write_file_atomic(state, "done\nfinished " + utc_timestamp() + "\n");
}

std::string to_string(JobState state) {
  switch (state) {
    case JobState::kNotStarted:
      return "not started";
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kFailed:
      return "failed";
    case JobState::kInterrupted:
      return "interrupted";
  }
  return "?";
}

std::vector<JobStatus> sweep_status(const fs::path& dir,
                                    const std::map<int64_t, std::string>& queued) {
  const SweepSpec spec = open_sweep_dir(dir);
  const std::string host = this_host();
  std::vector<JobStatus> out;
  for (const auto& job : sweep_jobs(spec)) {
    JobStatus s;
    s.job = job;
    std::error_code ec;
    const auto task = read_task_state(state_path(dir, job.index));
    const auto in_queue = queued.find(job.index);
    if (fs::exists(dir / job.run_dir / "agent.pt", ec)) {
      s.state = JobState::kDone;
    } else if (in_queue != queued.end()) {
      const std::string& q = in_queue->second;
      s.state = q == "PENDING" || q == "CONFIGURING" ? JobState::kQueued : JobState::kRunning;
      s.detail = q;
    } else if (task && task->word == "failed") {
      s.state = JobState::kFailed;
      s.detail = task->rest;
    } else if (task && task->word == "running" && task->host == host && process_alive(task->pid)) {
      s.state = JobState::kRunning;
      s.detail = "pid " + std::to_string(task->pid);
    } else if (task || fs::exists(dir / job.run_dir, ec)) {
      s.state = JobState::kInterrupted;
      if (task && task->word == "running")
        s.detail = "task on " + task->host + " (pid " + std::to_string(task->pid) + ") is gone";
    }
    out.push_back(s);
  }
  return out;
}

std::string summarize(const std::vector<JobStatus>& status) {
  std::map<JobState, int> counts;
  for (const auto& s : status) ++counts[s.state];
  std::string out;
  for (const auto& [state, n] : counts)
    out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + to_string(state);
  return out.empty() ? "no jobs" : out;
}

SweepResults collect_sweep(const fs::path& dir) {
  const SweepSpec spec = open_sweep_dir(dir);
  const std::vector<JobStatus> status = sweep_status(dir);
  std::vector<fs::path> finished;
  for (const auto& s : status) {
    if (s.state == JobState::kDone) finished.push_back(dir / s.job.run_dir);
  }
  if (finished.empty()) {
    throw DataError(dir.string() + ": no job has finished yet (" + summarize(status) + ")");
  }
  const CurveColumns columns = choose_curve_columns(finished, spec.metric, spec.x);
  SweepResults results;
  results.metric = columns.metric;
  results.x = columns.x;

  std::ostringstream csv;
  csv << "index,variant,seed,state," << columns.metric << "_" << spec.statistic << "," << columns.x
      << "\n";
  std::ostringstream md;
  md << "# Sweep " << spec.name << "\n\nBase config `" << spec.config.string() << "`; "
     << columns.metric << " (" << spec.statistic << " value of each run, at its " << columns.x
     << "), mean ± population std over the finished seeds.\n\n"
     << "| variant | overrides | seeds done | " << columns.metric << " | per seed |\n"
     << "|---|---|---|---|---|\n";
  std::vector<CurveBand> bands;
  for (const auto& variant : spec.variants) {
    std::vector<RunCurve> curves;
    std::vector<double> values;
    std::string per_seed;
    for (const auto& s : status) {
      if (s.job.variant != variant.name) continue;
      csv << s.job.index << "," << variant.name << "," << s.job.seed << "," << to_string(s.state);
      if (s.state != JobState::kDone) {
        csv << ",,\n";
        continue;
      }
      RunCurve curve = read_run_curve(dir / s.job.run_dir, columns.metric, columns.x);
      if (curve.y.empty()) {
        throw DataError((dir / s.job.run_dir).string() + ": no value of '" + columns.metric +
                        "' was logged");
      }
      size_t at = curve.y.size() - 1;
      if (spec.statistic == "max")
        at = std::max_element(curve.y.begin(), curve.y.end()) - curve.y.begin();
      csv << "," << curve.y[at] << "," << curve.x[at] << "\n";
      values.push_back(curve.y[at]);
      per_seed += (per_seed.empty() ? "" : ", ") + std::string("s") + std::to_string(s.job.seed) +
                  ": " + format_number(curve.y[at]);
      curves.push_back(std::move(curve));
    }
    std::string overrides;
    for (const auto& o : variant.overrides)
      overrides += (overrides.empty() ? "`" : ", `") + o + "`";
    md << "| " << variant.name << " | " << (overrides.empty() ? "(base)" : overrides) << " | "
       << values.size() << "/" << spec.seeds.size() << " | ";
    if (values.empty()) {
      md << "- | - |\n";
      continue;
    }
    double sum = 0, sum_sq = 0;
    for (double v : values) sum += v, sum_sq += v * v;
    const double n = static_cast<double>(values.size());
    const double mean = sum / n;
    md << format_number(mean) << " ± "
       << format_number(std::sqrt(std::max(0.0, sum_sq / n - mean * mean))) << " | " << per_seed
       << " |\n";
    // one band per variant, even when two variants resolve to the same config
    for (auto& band : average_over_seeds(curves)) {
      band.label = variant.name;
      band.published.reset();
      bands.push_back(std::move(band));
    }
  }
  md << "\nCommon overrides: ";
  if (spec.common.empty()) md << "none";
  for (size_t i = 0; i < spec.common.size(); ++i) md << (i ? ", `" : "`") << spec.common[i] << "`";
  md << ". Run folders: " << (dir / "runs").string() << "/<variant>/s<seed>.\n";

  results.csv = dir / "results.csv";
  results.markdown = dir / "results.md";
  results.markdown_text = md.str();
  write_file_atomic(results.csv, csv.str());
  write_file_atomic(results.markdown, results.markdown_text);
  if (gnuplot_available()) {
    PlotOptions plot;
    plot.metric = columns.metric;
    plot.x = columns.x;
    plot.title = "sweep " + spec.name;
    plot.output = dir / "curves.png";
    plot_curves(bands, plot);
    results.plot = plot.output;
  }
  return results;
}

}  // namespace mbrl

// Experiment: config -> components -> run folder -> training loop.
#include "mbrl/algorithms/experiment.h"

#include <torch/torch.h>

#include "mbrl/agents/agent_registry.h"
#include "mbrl/algorithms/episode.h"
#include "mbrl/config/loader.h"
#include "mbrl/core/blas_kernels.h"
#include "mbrl/core/data_parallel.h"
#include "mbrl/core/device.h"
#include "mbrl/core/rng.h"
#include "mbrl/core/thread_pool.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/io/atomic_file.h"
#include "mbrl/io/checkpoint_archive.h"
#include "mbrl/log/log.h"
#include "mbrl/log/metrics.h"
#include "mbrl/models/dynamics_model.h"
#include "mbrl/models/model_registry.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

ExperimentOptions read_options(const ConfigNode& config, const std::string& default_name) {
  ExperimentOptions o;
  o.name = config.get_or("name", default_name);
  o.seed = config.get_or("seed", o.seed);
  o.device = config.get_or("device", o.device);
  o.threads = config.get_or("threads", o.threads);
  o.log_level = config.get_or("log_level", o.log_level);
  o.run_root = config.get_or("run_root", o.run_root);
  if (o.name.empty() || o.name.find("..") != std::string::npos || o.name.front() == '/') {
    throw config.error("name", "expected a relative folder name, got '" + o.name + "'");
  }
  if (auto p = config.optional_child("published")) {
    PublishedPoints points;
    o.published_metric = p->get<std::string>("metric");
    points.source = p->get<std::string>("source");
    points.x = p->get<std::vector<double>>("env_steps");
    points.y = p->get<std::vector<double>>("values");
    if (points.x.empty() || points.x.size() != points.y.size()) {
      throw p->error("values", "expected as many values as env_steps (and at least one)");
    }
    o.published = std::move(points);
  }
  return o;
}

}  // namespace

Experiment::Experiment(ConfigNode config, const std::string& default_name)
    : config_(std::move(config)) {
  options_ = read_options(config_, default_name);
  with_config_context(config_, [&] {
    log::parse_level(options_.log_level);
    ctx_.device = parse_device(options_.device);
    const int threads = configure_threads(options_.threads);
    ctx_.thread_pool = std::make_shared<ThreadPool>(threads);
  });
  ctx_.seed = options_.seed;
  // a rank of a data-parallel run (mbrl train --nproc, torchrun, srun): it joins the group at
  // the first gradient all-reduce
  if (const auto rendezvous = rendezvous_from_environment())
    ctx_.data_parallel = std::make_shared<DataParallel>(*rendezvous);
  seed_global_generators(derive_seed(options_.seed, "torch_global"));

  // env first: its spec and task functions are what every other component is sized by
  const ConfigNode env_node = config_.child("env");
  env_ = make_env(env_node, ctx_);
  ctx_.env_spec = env_->spec();
  ctx_.built.env = env_;
  auto maker = std::make_shared<EnvMaker>();
  const BuildContext base_ctx = ctx_;
  maker->make = [env_node, base_ctx](const std::string& role) {
    BuildContext c = base_ctx;
    c.seed = derive_seed(base_ctx.seed, role);
    return make_env(env_node, c);
  };
  ctx_.built.env_maker = maker;

  // a learned model, when the config has one: agents plan on it, algorithms train it
  if (config_.has("model")) {
    model_ = model_registry().create(config_.child("model"), ctx_);
    ctx_.built.model = model_;
  }

  // the algorithm builds the agent it trains from the agent section, typed as it needs it
  algorithm_ =
      algorithm_registry().create(config_.child("algorithm"), ctx_, config_.child("agent"));
  agent_ = algorithm_->agent();
  MBRL_ASSERT(agent_ != nullptr, "the algorithm built no agent");
  // ranks without a model to train would only repeat one another
  if (ctx_.data_parallel && !model_) {
    throw ConfigError(config_.where(), "",
                      "data-parallel training (mbrl train --nproc, WORLD_SIZE > 1) divides the "
                      "training of the `model:` section, and this config has none");
  }

  config_.check_all_read();
}

std::string Experiment::resolved_yaml() const { return emit_yaml(config_.resolved()); }

RunDir Experiment::create_run_dir(const std::optional<fs::path>& path) const {
  RunDir dir = path ? RunDir::create_at(*path)
                    : RunDir::create(options_.run_root, options_.name, options_.seed);
  write_file_atomic(dir.config_path(), resolved_yaml());
  return dir;
}

fs::path checkpoint_path(const RunDir& run_dir) {
  return run_dir.path() / "checkpoints" / "checkpoint.pt";
}

void Experiment::run(const RunDir& run_dir) { run_algorithm(run_dir, false, std::nullopt); }

void Experiment::resume(const RunDir& run_dir) {
  const fs::path path = checkpoint_path(run_dir);
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw DataError(path.string() + ": the run has no checkpoint to resume from");
  torch::serialize::InputArchive archive = checkpoint::load_file(path, "a checkpoint");
  std::map<std::string, size_t> rows;
  try {
    torch::serialize::InputArchive algorithm, metrics;
    archive.read("algorithm", algorithm);
    algorithm_->load_checkpoint(algorithm);
    archive.read("metrics_rows", metrics);
    for (const auto& key : metrics.keys()) {
      c10::IValue v;
      metrics.read(key, v);
      rows[key] = static_cast<size_t>(v.toInt());
    }
    at::Tensor rng;
    archive.read("global_rng", rng);
    at::Generator global = at::globalContext().defaultGenerator(c10::Device(c10::kCPU));
    global.set_state(rng);
  } catch (const c10::Error& e) {
    throw DataError(path.string() + ": does not match this run: " + e.what_without_backtrace());
  }
  log::logger("run")->info("resuming from {}", path.string());
  run_algorithm(run_dir, true, rows);
}

void Experiment::run_algorithm(const RunDir& run_dir, bool resumed,
                               std::optional<std::map<std::string, size_t>> metrics_rows) {
  MetricsWriter metrics(run_dir.path(), resumed);
  if (metrics_rows) metrics.keep_rows_on_resume(*metrics_rows);
  RunContext run{&run_dir, &metrics};
  run.resumed = resumed;
  metrics.write_text("config", "```yaml\n" + resolved_yaml() + "```\n");
  if (algorithm_->supports_checkpoints()) {
    run.checkpoint = [this, &run_dir, &metrics] {
      const fs::path file = run_dir.checkpoints_dir() / "checkpoint.pt";
      checkpoint::save_file(file, "the checkpoint", [&](torch::serialize::OutputArchive& archive) {
        torch::serialize::OutputArchive algorithm, rows;
        algorithm_->save_checkpoint(algorithm);
        archive.write("algorithm", algorithm);
        for (const auto& [group, n] : metrics.row_counts()) {
          rows.write(group, c10::IValue(static_cast<int64_t>(n)));
        }
        archive.write("metrics_rows", rows);
        archive.write("config", c10::IValue(resolved_yaml()));  // the checkpoint is self-contained
        archive.write("global_rng",
                      at::globalContext().defaultGenerator(c10::Device(c10::kCPU)).get_state());
      });
    };
  }
  auto logger = log::logger("run");
  logger->info("run folder: {}", run_dir.path().string());
  logger->info("device {}, {} threads, seed {}", ctx_.device.str(), at::get_num_threads(),
               options_.seed);
  if (ctx_.data_parallel) {
    logger->info(
        "data-parallel rank {} of {}: model training computes its shard of each "
        "minibatch",
        ctx_.data_parallel->rank(), ctx_.data_parallel->world_size());
  }
  const BlasKernels blas = blas_kernels();
  if (blas.fell_back()) {
    logger->warn("{}", describe(blas));
  } else if (!blas.chosen.empty()) {
    logger->info("{}", describe(blas));
  }
  algorithm_->run(run);
  save_agent(run_dir.path() / "agent.pt");
  write_curves(run_dir);
  logger->info("done; results in {}", run_dir.path().string());
}

void Experiment::write_curves(const RunDir& run_dir) const {
  auto logger = log::logger("run");
  if (!gnuplot_available()) {
    logger->debug("no curves.png: gnuplot is not on PATH");
    return;
  }
  PlotOptions plot;
  plot.title = options_.name;
  plot.output = run_dir.path() / "curves.png";
  try {
    const CurveColumns columns = choose_curve_columns({run_dir.path()});  // as `mbrl plot` does
    plot.metric = columns.metric;
    plot.x = columns.x;
    plot_curves(average_over_seeds({read_run_curve(run_dir.path(), plot.metric, plot.x)}), plot);
  } catch (const Error& e) {
    logger->warn("no curves.png: {}", e.what());
  }
}

std::vector<double> Experiment::evaluate(int64_t episodes) {
  auto env = ctx_.built.env_maker->make("eval");
  const uint64_t base = derive_seed(options_.seed, "eval");
  std::vector<double> returns;
  for (int64_t i = 0; i < episodes; ++i) {
    returns.push_back(run_episode(*env, *agent_, ActMode::kEval, nullptr, base + i).episode_return);
  }
  return returns;
}

std::string default_run_name(const std::string& config_path) {
  fs::path p = fs::path(config_path).lexically_normal();
  fs::path rel;
  bool below_configs = false;
  for (const auto& part : p) {
    if (below_configs) rel /= part;
    if (part == "configs") below_configs = true, rel.clear();
  }
  if (!below_configs || rel.empty()) return p.stem().string();
  return (rel.parent_path() / rel.stem()).string();
}

void Experiment::save_agent(const fs::path& path) const {
  checkpoint::save_file(path, "the agent", [&](torch::serialize::OutputArchive& archive) {
    checkpoint::write_nested(archive, "agent", [&](auto& a) { agent_->save(a); });
    if (model_) checkpoint::write_nested(archive, "model", [&](auto& a) { model_->save(a); });
  });
}

void Experiment::load_agent(const fs::path& path) {
  torch::serialize::InputArchive archive = checkpoint::load_file(path, "an agent file");
  try {
    torch::serialize::InputArchive agent;
    archive.read("agent", agent);
    agent_->load(agent);
    if (model_) {
      torch::serialize::InputArchive model;
      archive.read("model", model);
      model_->load(model, path.string());
    }
  } catch (const c10::Error& e) {
    throw DataError(path.string() + ": does not match this agent: " + e.what_without_backtrace());
  }
}

RunCompletion complete_run(const fs::path& config_path, const std::vector<std::string>& overrides,
                           const fs::path& dir, const std::string& name,
                           const std::function<void(const RunDir&)>& before_run) {
  auto logger = log::logger("run");
  std::error_code ec;
  if (fs::exists(dir / "agent.pt", ec)) {
    logger->info("{}: done earlier ({})", name, dir.string());
    return RunCompletion::kAlreadyDone;
  }
  if (fs::exists(dir / "checkpoints" / "checkpoint.pt", ec)) {
    RunDir run_dir = RunDir::open(dir);
    Experiment experiment(load_config(run_dir.config_path().string()), name);
    if (before_run) before_run(run_dir);
    logger->info("{}: resuming {}", name, dir.string());
    experiment.resume(run_dir);
    return RunCompletion::kResumed;
  }
  fs::remove_all(dir, ec);  // an interrupted run without a checkpoint starts again
  Experiment experiment(load_config(config_path.string(), overrides), name);
  RunDir run_dir = experiment.create_run_dir(dir);
  if (before_run) before_run(run_dir);
  logger->info("{}: starting in {}", name, dir.string());
  experiment.run(run_dir);
  return RunCompletion::kStarted;
}

Experiment load_trained_run(const fs::path& run_dir, const std::vector<std::string>& overrides) {
  const RunDir dir = RunDir::open(run_dir);
  Experiment experiment(load_config(dir.config_path().string(), overrides), "trained");
  experiment.load_agent(dir.path() / "agent.pt");
  return experiment;
}

}  // namespace mbrl

// diagnose_run: held-out episodes of a trained run's agent, its model's diagnostics, the files.
#include "mbrl/algorithms/diagnose.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <torch/torch.h>

#include "mbrl/agents/dreamer/dreamer_agent.h"
#include "mbrl/algorithms/episode.h"
#include "mbrl/algorithms/experiment.h"
#include "mbrl/core/check.h"
#include "mbrl/core/rng.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/io/atomic_file.h"
#include "mbrl/io/d4rl_dataset.h"
#include "mbrl/log/learning_curves.h"
#include "mbrl/log/log.h"
#include "mbrl/models/dynamics_model.h"
#include "mbrl/models/world/world_model_diagnostics.h"

namespace mbrl {
namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

// "k,obs_0,...,all" rows of a [rows, dims] table whose first column is `first(i)`
template <class First>
std::string table_csv(const std::string& first_name, First first, const at::Tensor& table) {
  std::string csv = first_name;
  for (int64_t d = 0; d < table.size(1); ++d) csv += ",obs_" + std::to_string(d);
  csv += ",all\n";
  const at::Tensor mean = table.mean(1);
  for (int64_t r = 0; r < table.size(0); ++r) {
    csv += first(r);
    for (int64_t d = 0; d < table.size(1); ++d) csv += "," + number(table[r][d].item<double>());
    csv += "," + number(mean[r].item<double>()) + "\n";
  }
  return csv;
}

void plot_kstep(const ModelDiagnostics& d, const std::filesystem::path& path) {
  if (!gnuplot_available()) {
    log::logger("diagnose")->warn("gnuplot not found: no {}", path.string());
    return;
  }
  std::vector<CurveBand> bands;
  const int64_t h = d.kstep_mse.size(0);
  auto band = [&](const std::string& label, const at::Tensor& y) {
    CurveBand b;
    b.label = label;
    b.runs = 1;
    for (int64_t k = 0; k < h; ++k) {
      b.x.push_back(static_cast<double>(k + 1));
      b.mean.push_back(y[k].item<double>());
      b.std.push_back(0.0);
    }
    bands.push_back(std::move(b));
  };
  for (int64_t i = 0; i < d.kstep_mse.size(1); ++i)
    band("obs_" + std::to_string(i), d.kstep_mse.select(1, i));
  band("all dims (mean)", d.kstep_mse.mean(1));
  PlotOptions o;
  o.metric = "mean squared open-loop error";
  o.x = "k (model steps)";
  o.output = path;
  o.title = "k-step prediction error on held-out episodes";
  try {
    plot_curves(bands, o);
  } catch (const Error& e) {
    log::logger("diagnose")->warn("no {}: {}", path.string(), e.what());
  }
}

// the models the run kept, each scored on `held_out`, against the return it is paired with:
// PETS's models/trial_<i>.pt with trial i's episode_return (metrics.csv), MBPO's
// models/step_<t>.pt with the eval_return at env step t (eval.csv)
void mismatch_table(const std::filesystem::path& run_dir, DynamicsModel& model,
                    const TransitionBatch& held_out, RunDiagnostics* out) {
  const std::filesystem::path dir = run_dir / "models";
  if (!std::filesystem::is_directory(dir)) return;
  // PETS keeps one model per trial, MBPO one per evaluation: the files say which
  bool pets = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    pets = pets || entry.path().filename().string().rfind("trial_", 0) == 0;
  out->mismatch_step = pets ? "trial" : "env_steps";
  out->mismatch_return = pets ? "episode_return" : "eval_return";
  const std::string prefix = pets ? "trial_" : "step_";
  const RunCurve returns = read_run_curve(run_dir, out->mismatch_return, out->mismatch_step);
  for (size_t i = 0; i < returns.x.size(); ++i) {
    const auto step = static_cast<int64_t>(std::llround(returns.x[i]));
    const std::filesystem::path file = dir / (prefix + std::to_string(step) + ".pt");
    if (!std::filesystem::exists(file)) continue;
    load_model(model, file);
    torch::NoGradGuard no_grad;
    const ModelLosses losses = model.loss(held_out);
    MismatchRow row;
    row.step = step;
    row.holdout_loss = (losses.count("nll") ? losses.at("nll") : losses.at("loss")).item<double>();
    row.holdout_mse = losses.count("mse") ? losses.at("mse").item<double>() : std::nan("");
    row.episode_return = returns.y[i];
    out->mismatch.push_back(row);
  }
}

// a Dreamer run's kept world models (models/step_<t>.pt, DreamerLoop keep_models), each scored on
// the held-out episodes: its world-model loss and its one-step open-loop MSE, against the
// eval_return at env step t
void world_model_mismatch_table(const std::filesystem::path& run_dir, WorldModel& model,
                                const std::vector<StepBatch>& held_out,
                                const ModelDiagnosticsOptions& one_step, RunDiagnostics* out) {
  const std::filesystem::path dir = run_dir / "models";
  if (!std::filesystem::is_directory(dir)) return;
  out->mismatch_step = "env_steps";
  out->mismatch_return = "eval_return";
  const RunCurve returns = read_run_curve(run_dir, out->mismatch_return, out->mismatch_step);
  for (size_t i = 0; i < returns.x.size(); ++i) {
    const auto step = static_cast<int64_t>(std::llround(returns.x[i]));
    const std::filesystem::path file = dir / ("step_" + std::to_string(step) + ".pt");
    if (!std::filesystem::exists(file)) continue;
    load_world_model(model, file);
    MismatchRow row;
    row.step = step;
    row.holdout_loss = holdout_world_model_losses(model, held_out).total.item<double>();
    row.holdout_mse =
        diagnose_world_model(model, held_out, one_step).kstep_mse.mean().item<double>();
    row.episode_return = returns.y[i];
    out->mismatch.push_back(row);
  }
}

// the episodes as the Dreamer agent's replay keeps them: actions in its [-1, 1] units
std::vector<StepBatch> dreamer_episodes(const DreamerAgent& agent,
                                        const std::vector<TransitionBatch>& episodes) {
  std::vector<StepBatch> steps;
  for (const auto& ep : episodes) {
    steps.push_back(episode_steps(ep, agent.normalize(ep.act).clamp(-1.0, 1.0)).to(agent.device()));
  }
  return steps;
}

// the return against the held-out loss of each kept model, one marker per model
void plot_mismatch(const RunDiagnostics& d, const std::filesystem::path& path) {
  if (!gnuplot_available() || d.mismatch.size() < 2) return;
  CurveBand band;
  band.label = "one kept model (its " + d.mismatch_step + ")";
  band.runs = 1;
  band.points = true;
  for (const auto& r : d.mismatch) {
    band.x.push_back(r.holdout_loss);
    band.mean.push_back(r.episode_return);
    band.std.push_back(0.0);
  }
  PlotOptions o;
  o.metric = d.mismatch_return;
  o.x = "held-out loss (NLL where the model has one)";
  o.output = path;
  o.title = "objective mismatch: return against the model's held-out loss";
  try {
    plot_curves({band}, o);
  } catch (const Error& e) {
    log::logger("diagnose")->warn("no {}: {}", path.string(), e.what());
  }
}

double rank_correlation(const std::vector<MismatchRow>& rows, double MismatchRow::*field) {
  if (rows.size() < 2) return std::nan("");
  std::vector<double> a, b;
  for (const auto& r : rows) {
    a.push_back(r.*field);
    b.push_back(r.episode_return);
  }
  return spearman_correlation(torch::tensor(a, torch::kFloat64), torch::tensor(b, torch::kFloat64));
}

}  // namespace

std::string diagnostics_summary(const RunDiagnostics& run) {
  const ModelDiagnostics& d = run.model;
  std::ostringstream s;
  if (!run.held_out.empty()) s << "held out: " << run.held_out << "\n";
  const at::Tensor all = d.kstep_mse.mean(1);
  const int64_t h = all.size(0);
  s << "k-step open-loop MSE (mean over " << d.kstep_mse.size(1) << " obs dims, " << d.kstep_starts
    << " start states): k=1 " << number(all[0].item<double>());
  if (h > 1) s << ", k=" << h << " " << number(all[h - 1].item<double>());
  s << "\n";
  if (!run.mismatch.empty()) {
    s << "objective mismatch over " << run.mismatch.size()
      << " kept models: Spearman(held-out loss, return) " << number(run.loss_return_spearman)
      << ", Spearman(held-out MSE, return) " << number(run.mse_return_spearman) << "\n";
  }
  if (d.heads_spearman.defined()) {
    s << "Spearman(disagreement heads, error): k=1 " << number(d.heads_spearman[0].item<double>());
    if (h > 1) s << ", k=" << h << " " << number(d.heads_spearman[h - 1].item<double>());
    s << "\n";
  }
  if (!d.missing.empty()) {
    s << "calibration and disagreement: not measured (" << d.missing << ")\n";
    return s.str();
  }
  s << "one-step coverage (mean over dims, " << d.transitions << " transitions):";
  const at::Tensor cov = d.coverage.mean(1);
  for (size_t i = 0; i < d.levels.size(); ++i) {
    s << " " << number(100 * d.levels[i]) << "% -> " << number(100 * cov[i].item<double>()) << "%";
    if (i + 1 < d.levels.size()) s << ",";
  }
  s << "; expected calibration error " << number(d.calibration_error) << "\n";
  s << "Spearman(disagreement, error): k=1 " << number(d.disagreement_spearman[0].item<double>());
  if (h > 1) s << ", k=" << h << " " << number(d.disagreement_spearman[h - 1].item<double>());
  s << "\n";
  return s.str();
}

// `options.episodes` episodes of the run's agent on a fresh env, seeded apart from training
std::vector<TransitionBatch> collect_episodes(Experiment& run, const DiagnoseOptions& options,
                                              std::string* description) {
  const auto& maker = run.context().built.env_maker;
  MBRL_ASSERT(maker != nullptr, "diagnose: the experiment has no env maker");
  std::shared_ptr<Env> env = maker->make("diagnose");
  const EnvSpec& spec = env->spec();
  const int64_t max_steps = spec.max_episode_steps > 0 ? spec.max_episode_steps : 1000;
  ReplayBuffer buffer(options.episodes() * max_steps, spec.obs_dim(), spec.act_dim());
  const uint64_t first_seed = derive_seed(options.seed(), "diagnose");
  for (int64_t i = 0; i < options.episodes(); ++i) {
    run_episode(*env, *run.agent(), ActMode::kEval, &buffer, first_seed + static_cast<uint64_t>(i),
                max_steps);
  }
  std::vector<TransitionBatch> episodes;
  for (const auto& [begin, end] : buffer.episodes()) {
    episodes.push_back(buffer.at(torch::arange(begin, end, torch::kInt64)));
  }
  *description = std::to_string(episodes.size()) + " episodes (" + std::to_string(buffer.size()) +
                 " transitions) of the run's agent";
  return episodes;
}

// the episodes of a D4RL file, in file order until options.max_transitions
std::vector<TransitionBatch> file_episodes(Experiment& run, const DiagnoseOptions& options,
                                           std::string* description) {
  const std::string& file = options.episodes_file();
  const D4rlDataset data = read_d4rl(file);
  const EnvSpec& spec = run.env()->spec();
  data.check_dims(file, spec.obs_dim(), spec.act_dim(), spec.name);
  std::vector<TransitionBatch> episodes;
  int64_t transitions = 0;
  for (auto& ep : d4rl_episodes(data)) {
    if (transitions >= options.max_transitions()) break;
    transitions += ep.size();
    episodes.push_back(std::move(ep));
  }
  if (episodes.empty()) throw DataError(file + ": no episode with a transition");
  *description = std::to_string(episodes.size()) + " episodes (" + std::to_string(transitions) +
                 " transitions) of " + file;
  return episodes;
}

RunDiagnostics diagnose_run(const std::filesystem::path& run_dir, const DiagnoseOptions& options,
                            const std::vector<std::string>& overrides, std::string* summary) {
  if (options.episodes() < 1) {
    throw ConfigError("--episodes", "",
                      "expected a positive integer, got " + std::to_string(options.episodes()));
  }
  if (options.max_transitions() < 1) {
    throw ConfigError(
        "max_transitions", "",
        "expected a positive integer, got " + std::to_string(options.max_transitions()));
  }
  if (options.horizon() < 1) {
    throw ConfigError("--horizon", "",
                      "expected a positive integer, got " + std::to_string(options.horizon()));
  }
  if (options.samples() < 1) {
    throw ConfigError("--samples", "",
                      "expected a positive integer, got " + std::to_string(options.samples()));
  }
  Experiment run = load_trained_run(run_dir, overrides);
  // a Dreamer run's model is its agent's world model
  const auto dreamer = std::dynamic_pointer_cast<DreamerAgent>(run.agent());
  if (!run.model() && !dreamer) {
    throw DataError(run_dir.string() +
                    ": the run has no learned model (no 'model' section, no Dreamer world "
                    "model) to diagnose");
  }
  RunDiagnostics result;
  const std::vector<TransitionBatch> episodes =
      options.episodes_file().empty() ? collect_episodes(run, options, &result.held_out)
                                      : file_episodes(run, options, &result.held_out);
  const auto model_options = ModelDiagnosticsOptions()
                                 .horizon(options.horizon())
                                 .samples(options.samples())
                                 .history(options.history());
  std::vector<StepBatch> dreamer_steps;
  if (dreamer) {
    dreamer_steps = dreamer_episodes(*dreamer, episodes);
    result.model = diagnose_world_model(dreamer->world_model(), dreamer_steps, model_options,
                                        dreamer->disagreement());
    result.held_out += "; the world model predicts after each episode's whole history";
  } else {
    auto gen = run.context().generator("diagnose");
    result.model = diagnose_model(*run.model(), episodes, model_options, gen);
  }
  const ModelDiagnostics& d = result.model;

  const std::filesystem::path dir = run_dir / "diagnostics";
  std::filesystem::create_directories(dir);
  write_file_atomic(dir / "kstep_error.csv",
                    table_csv(
                        "k", [](int64_t r) { return std::to_string(r + 1); }, d.kstep_mse));
  if (d.coverage.defined()) {
    write_file_atomic(dir / "calibration.csv",
                      table_csv(
                          "level", [&](int64_t r) { return number(d.levels[r]); }, d.coverage));
  }
  if (d.disagreement_spearman.defined() || d.heads_spearman.defined()) {
    const bool own = d.disagreement_spearman.defined(), heads = d.heads_spearman.defined();
    std::string csv =
        std::string("k") + (own ? ",spearman" : "") + (heads ? ",heads_spearman" : "") + "\n";
    for (int64_t k = 0; k < d.kstep_mse.size(0); ++k) {
      csv += std::to_string(k + 1);
      if (own) csv += "," + number(d.disagreement_spearman[k].item<double>());
      if (heads) csv += "," + number(d.heads_spearman[k].item<double>());
      csv += "\n";
    }
    write_file_atomic(dir / "disagreement.csv", csv);
  }
  plot_kstep(d, dir / "kstep_error.png");

  // last: it loads each kept model into the run's model
  if (dreamer) {
    world_model_mismatch_table(run_dir, dreamer->world_model(), dreamer_steps,
                               ModelDiagnosticsOptions(model_options).horizon(1), &result);
  } else {
    mismatch_table(run_dir, *run.model(), TransitionBatch::cat(episodes), &result);
  }
  if (!result.mismatch.empty()) {
    result.loss_return_spearman = rank_correlation(result.mismatch, &MismatchRow::holdout_loss);
    result.mse_return_spearman = rank_correlation(result.mismatch, &MismatchRow::holdout_mse);
    std::string csv =
        result.mismatch_step + ",holdout_loss,holdout_mse," + result.mismatch_return + "\n";
    for (const auto& r : result.mismatch) {
      csv += std::to_string(r.step) + "," + number(r.holdout_loss) + "," + number(r.holdout_mse) +
             "," + number(r.episode_return) + "\n";
    }
    write_file_atomic(dir / "mismatch.csv", csv);
    plot_mismatch(result, dir / "mismatch.png");
  }
  const std::string text = diagnostics_summary(result);
  write_file_atomic(dir / "summary.txt", text);
  if (summary != nullptr) *summary = text;
  return result;
}

}  // namespace mbrl

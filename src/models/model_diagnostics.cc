// Model diagnostics: k-step open-loop error, calibration, disagreement against error.
#include "mbrl/models/model_diagnostics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/models/dynamics_model.h"

namespace mbrl {
namespace {

// ranks 1..N of v with ties at their average rank
std::vector<double> ranks(const at::Tensor& v) {
  const at::Tensor c = v.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  const double* x = c.data_ptr<double>();
  const auto n = static_cast<size_t>(c.numel());
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> r(n);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && x[order[j + 1]] == x[order[i]]) ++j;
    const double average = 0.5 * static_cast<double>(i + j) + 1.0;
    for (size_t k = i; k <= j; ++k) r[order[k]] = average;
    i = j + 1;
  }
  return r;
}

// the open-loop inputs of every start state: obs [N, o], actions and real next obs [H, N, ...],
// and the start's position among all held-out transitions [N] (episodes in order)
struct KStepRows {
  at::Tensor obs, act, real, positions;
};

KStepRows kstep_rows(const std::vector<TransitionBatch>& episodes, int64_t horizon,
                     const c10::Device& device) {
  std::vector<at::Tensor> obs, act, real, positions;
  int64_t offset = 0;
  for (const auto& ep : episodes) {
    const int64_t starts = ep.size() - horizon + 1;
    offset += ep.size();
    if (starts <= 0) continue;
    const at::Tensor t = torch::arange(starts, torch::kInt64).to(ep.obs.device());
    positions.push_back(torch::arange(starts, torch::kInt64) + (offset - ep.size()));
    obs.push_back(ep.obs.index_select(0, t));
    std::vector<at::Tensor> a, r;
    for (int64_t k = 0; k < horizon; ++k) {
      a.push_back(ep.act.index_select(0, t + k));
      r.push_back(ep.next_obs.index_select(0, t + k));
    }
    act.push_back(torch::stack(a));
    real.push_back(torch::stack(r));
  }
  MBRL_CHECK(!obs.empty(), "diagnose: no held-out episode is at least horizon = ", horizon,
             " steps long");
  return {torch::cat(obs).to(device, torch::kFloat32),
          torch::cat(act, 1).to(device, torch::kFloat32),
          torch::cat(real, 1).to(device, torch::kFloat32), torch::cat(positions)};
}

// the held-out episodes in one buffer, in order, each ending its episode: the histories of
// start states come from ReplayBuffer::rollout_starts
ReplayBuffer episode_buffer(const std::vector<TransitionBatch>& episodes) {
  int64_t total = 0;
  for (const auto& ep : episodes) total += ep.size();
  ReplayBuffer buffer(std::max<int64_t>(total, 1), episodes.front().obs.size(1),
                      episodes.front().act.size(1));
  for (const auto& ep : episodes) {
    TransitionBatch e = ep.to(torch::kCPU);
    e.truncated = e.truncated.clone();
    e.truncated[e.size() - 1] = true;  // a file's last episode may stop mid-way
    buffer.add_batch(e);
  }
  return buffer;
}

// the model's state at the start states: after their histories for a model with memory
ModelState start_state(DynamicsModel& model, const at::Tensor& obs, const ReplayBuffer* history,
                       const at::Tensor& positions, int64_t length, const RolloutSpec& spec,
                       at::Generator& gen) {
  if (history == nullptr) return model.initial_state(obs, spec, gen);
  RolloutStart start = history->rollout_starts(positions, length);
  start.obs = obs;
  return model.initial_state_after(start, spec, gen);
}

// S draws of each rollout member's one-step prediction from a fresh memory: [S, M, N, o]
at::Tensor member_draws(UncertaintyAware& uncertain, const at::Tensor& obs, const at::Tensor& act,
                        int64_t samples, at::Generator& gen) {
  const MemberSamples s = uncertain.sample_members(obs, act, samples, gen);
  return s.next_obs.index_select(1, s.rollout_members);
}

// S draws of every predictor's one-step prediction of the transitions at positions
// [first, first + N) after their histories (member means, and stds when the model has them):
// [S, E, N, o]
at::Tensor member_draws_after(DynamicsModel& model, UncertaintyAware& uncertain,
                              const ReplayBuffer& past, int64_t first, int64_t n,
                              const at::Tensor& obs, const at::Tensor& act,
                              const ModelDiagnosticsOptions& options, at::Generator& gen) {
  RolloutSpec spec;
  spec.propagation = Propagation::kExpectation;
  spec.particles = n;
  spec.sample = false;
  const ModelState state =
      start_state(model, obs, &past, torch::arange(first, first + n), options.history(), spec, gen);
  const UncertainModelStep u = uncertain.step_with_uncertainty(state, act, gen);
  std::vector<int64_t> shape = u.member_mean.sizes().vec();
  shape.insert(shape.begin(), options.samples());
  const at::Tensor targets = u.member_std.defined() ? at::empty(shape, u.member_mean.options())
                                                          .normal_(0.0, 1.0, gen)
                                                          .mul_(u.member_std)
                                                          .add_(u.member_mean)
                                                    : u.member_mean.unsqueeze(0).expand(shape);
  return obs + targets.narrow(-1, 0, obs.size(1));
}

}  // namespace

double spearman_correlation(const at::Tensor& a, const at::Tensor& b) {
  MBRL_CHECK(a.dim() == 1 && b.dim() == 1 && a.numel() == b.numel() && a.numel() >= 2,
             "spearman_correlation: expected two [N] tensors with N >= 2, got ", a.sizes(), " and ",
             b.sizes());
  if (!a.isfinite().all().item<bool>() || !b.isfinite().all().item<bool>()) {
    return std::numeric_limits<double>::quiet_NaN();  // no order to rank (a diverged model)
  }
  const std::vector<double> ra = ranks(a), rb = ranks(b);
  const double n = static_cast<double>(ra.size());
  const double mean = (n + 1.0) / 2.0;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) * (ra[i] - mean);
    sbb += (rb[i] - mean) * (rb[i] - mean);
  }
  if (saa == 0 || sbb == 0) return std::numeric_limits<double>::quiet_NaN();
  return sab / std::sqrt(saa * sbb);
}

at::Tensor central_interval_coverage(const at::Tensor& samples, const at::Tensor& real,
                                     const std::vector<double>& levels) {
  MBRL_CHECK(samples.dim() == 3 && real.dim() == 2 && samples.size(1) == real.size(0) &&
                 samples.size(2) == real.size(1),
             "central_interval_coverage: expected samples [S, N, D] and real [N, D], got ",
             samples.sizes(), " and ", real.sizes());
  const at::Tensor y = real.unsqueeze(0);
  const at::Tensor u = (samples < y).to(torch::kFloat64).mean(0) +
                       0.5 * (samples == y).to(torch::kFloat64).mean(0);  // [N, D]
  const at::Tensor distance = (u - 0.5).abs();
  std::vector<at::Tensor> rows;
  for (double level : levels) {
    rows.push_back((distance <= level / 2 + 1e-12).to(torch::kFloat64).mean(0));
  }
  return torch::stack(rows).cpu();
}

ModelDiagnostics diagnose_model(DynamicsModel& model, const std::vector<TransitionBatch>& episodes,
                                const ModelDiagnosticsOptions& options, at::Generator& gen) {
  MBRL_CHECK_ARG(options.horizon() >= 1, "horizon", "expected an integer >= 1, got ",
                 options.horizon());
  MBRL_CHECK_ARG(options.samples() >= 1, "samples", "expected an integer >= 1, got ",
                 options.samples());
  MBRL_CHECK_ARG(options.history() >= 0, "history", "expected an integer >= 0, got ",
                 options.history());
  torch::NoGradGuard no_grad;
  const int64_t horizon = options.horizon();
  const auto device = model.device();
  auto* uncertain = uncertainty_aware(model);
  ModelDiagnostics out;
  if (uncertain == nullptr) {
    out.missing = "model '" + model.type() +
                  "' is one deterministic predictor: no predictive distribution to calibrate and "
                  "no disagreement";
    out.calibration_error = std::numeric_limits<double>::quiet_NaN();
  }

  // k-step open-loop errors (and the disagreement of each step)
  const KStepRows rows = kstep_rows(episodes, horizon, device);
  const int64_t n = rows.obs.size(0);
  out.kstep_starts = n;
  RolloutSpec spec;
  spec.propagation = Propagation::kExpectation;
  spec.particles = n;
  spec.sample = false;
  std::optional<ReplayBuffer> history;
  if (options.history() > 0 && model.has_memory()) history.emplace(episode_buffer(episodes));
  const ReplayBuffer* past = history ? &*history : nullptr;
  ModelState state =
      start_state(model, rows.obs, past, rows.positions, options.history(), spec, gen);
  std::vector<at::Tensor> mse;
  std::vector<double> correlation;
  for (int64_t k = 0; k < horizon; ++k) {
    const at::Tensor act = rows.act[k];
    at::Tensor disagreement;
    ModelStep step;
    if (uncertain != nullptr) {
      UncertainModelStep u = uncertain->step_with_uncertainty(state, act, gen);
      step = std::move(u.step);
      disagreement = u.uncertainty.epistemic_std;
    } else {
      step = model.step(state, act, gen);
    }
    const at::Tensor error = (step.next_obs - rows.real[k]).to(torch::kFloat64);
    mse.push_back(error.square().mean(0).cpu());
    if (disagreement.defined()) {  // a rank correlation needs two start states
      correlation.push_back(n >= 2 ? spearman_correlation(disagreement, error.norm(2, 1))
                                   : std::numeric_limits<double>::quiet_NaN());
    }
    state = std::move(step.state);
  }
  out.kstep_mse = torch::stack(mse);
  if (uncertain != nullptr) {
    out.disagreement_spearman = torch::tensor(correlation, torch::kFloat64);
  }

  // calibration of one-step predictions on every held-out transition
  std::vector<at::Tensor> obs, act, next;
  for (const auto& ep : episodes) {
    obs.push_back(ep.obs);
    act.push_back(ep.act);
    next.push_back(ep.next_obs);
  }
  const at::Tensor all_obs = torch::cat(obs).to(device, torch::kFloat32);
  const at::Tensor all_act = torch::cat(act).to(device, torch::kFloat32);
  const at::Tensor all_next = torch::cat(next).to(device, torch::kFloat32);
  out.transitions = all_obs.size(0);
  if (uncertain == nullptr) return out;
  const std::vector<double> levels = calibration_levels(out);
  constexpr int64_t kChunk = 1024;
  at::Tensor covered;  // [levels, obs_dim], summed over chunks
  for (int64_t r = 0; r < out.transitions; r += kChunk) {
    const int64_t m = std::min(kChunk, out.transitions - r);
    const at::Tensor draws =
        past == nullptr
            ? member_draws(*uncertain, all_obs.narrow(0, r, m), all_act.narrow(0, r, m),
                           options.samples(), gen)
            : member_draws_after(model, *uncertain, *past, r, m, all_obs.narrow(0, r, m),
                                 all_act.narrow(0, r, m), options, gen);  // [S, M, m, o]
    const at::Tensor c = central_interval_coverage(draws.reshape({-1, m, draws.size(-1)}),
                                                   all_next.narrow(0, r, m), levels) *
                         static_cast<double>(m);
    covered = covered.defined() ? covered + c : c;
  }
  record_calibration(covered / static_cast<double>(out.transitions), &out);
  return out;
}

std::vector<double> calibration_levels(const ModelDiagnostics& out) {
  std::vector<double> levels = out.levels;
  for (int i = 1; i <= 19; ++i) levels.push_back(0.05 * i);
  return levels;
}

void record_calibration(const at::Tensor& covered, ModelDiagnostics* out) {
  const std::vector<double> levels = calibration_levels(*out);
  const auto n_report = static_cast<int64_t>(out->levels.size());
  const auto n_ece = static_cast<int64_t>(levels.size()) - n_report;
  out->coverage = covered.narrow(0, 0, n_report).clone();
  const at::Tensor target =
      torch::tensor(std::vector<double>(levels.begin() + n_report, levels.end()), torch::kFloat64)
          .unsqueeze(1);
  out->calibration_error =
      (covered.narrow(0, n_report, n_ece) - target).abs().mean().item<double>();
}

}  // namespace mbrl

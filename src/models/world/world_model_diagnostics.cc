// diagnose_world_model and holdout_world_model_losses.
#include "mbrl/models/world/world_model_diagnostics.h"

#include <algorithm>
#include <limits>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/core/error.h"

namespace mbrl {
namespace {

// `f` applied to every batch-first tensor of a state
template <class F>
LatentState map_rows(const LatentState& s, F f) {
  LatentState out{{}, f(s.h), f(s.z)};
  for (const auto& t : s.memory.tensors) out.memory.tensors.push_back(f(t));
  return out;
}

// Every held-out transition t = 0 .. n - 1 of every episode as a start: the posterior state after
// step t, the actions taken at t .. t + H - 1 and the real observations t + 1 .. t + H (zeros past
// the episode's end), and whether the whole horizon lies inside the episode.
struct Starts {
  LatentState state;  // [N] rows
  at::Tensor act;     // [H, N, act_dim]
  at::Tensor real;    // [H, N, obs_dim]
  at::Tensor full;    // [N] bool: t + H <= n
};

Starts collect_starts(WorldModel& model, const std::vector<StepBatch>& episodes, int64_t H) {
  std::vector<LatentState> states;
  std::vector<at::Tensor> act, real, full;
  for (const StepBatch& ep : episodes) {
    MBRL_CHECK(ep.batch() == 1, "diagnose_world_model: expected one episode per chunk, got ",
               ep.batch());
    const int64_t n = ep.length() - 1;  // transitions
    if (n < 1) continue;
    const Observation o = model.observe(ep, /*keep_states=*/true);
    states.push_back(map_rows(o.every, [n](const at::Tensor& t) { return t.narrow(0, 0, n); }));
    // steps t + k of every start, k = 1 .. H, those past the end pointing at a zero row
    const auto device = ep.obs.device();
    const at::Tensor step = torch::arange(n, torch::kInt64).unsqueeze(0) +
                            torch::arange(1, H + 1, torch::kInt64).unsqueeze(1);  // [H, n]
    const at::Tensor inside = step <= n;
    const at::Tensor index = torch::where(inside, step, n + 1).flatten().to(device);
    const auto padded = [&](const at::Tensor& x) {  // x [n + 1, 1, d] -> [H, n, d]
      const at::Tensor rows = torch::cat({x.squeeze(1), torch::zeros({1, x.size(2)}, x.options())});
      return rows.index_select(0, index).view({H, n, -1});
    };
    act.push_back(padded(ep.prev_act));
    real.push_back(padded(ep.obs));
    full.push_back(inside.all(0).to(device));
  }
  MBRL_CHECK(!states.empty(), "diagnose_world_model: no held-out episode has a transition");
  return {cat_rows(states), torch::cat(act, 1), torch::cat(real, 1), torch::cat(full)};
}

}  // namespace

ModelDiagnostics diagnose_world_model(WorldModel& model, const std::vector<StepBatch>& episodes,
                                      const ModelDiagnosticsOptions& options,
                                      LatentDisagreement* heads) {
  MBRL_CHECK_ARG(options.horizon() >= 1, "horizon", "expected an integer >= 1, got ",
                 options.horizon());
  MBRL_CHECK_ARG(options.samples() >= 1, "samples", "expected an integer >= 1, got ",
                 options.samples());
  torch::NoGradGuard no_grad;
  const int64_t H = options.horizon(), S = options.samples();
  const Starts starts = collect_starts(model, episodes, H);
  const int64_t n_all = starts.full.size(0);
  const int64_t n_full = starts.full.sum().item<int64_t>();
  if (n_full == 0) {
    throw Error(detail::str("diagnose_world_model: no held-out episode has the ", H,
                            " transitions a k-step rollout needs"));
  }
  ModelDiagnostics out;
  out.kstep_starts = n_full;
  out.transitions = n_all;
  const std::vector<double> levels = calibration_levels(out);

  // S imagined rollouts of every start, a chunk of starts at a time (sample-major rows)
  const int64_t chunk = std::max<int64_t>(1, 16384 / S);
  at::Tensor sq_err = torch::zeros({H, starts.real.size(2)}, torch::kFloat64);
  at::Tensor covered;  // [levels, obs_dim], one-step, summed over chunks
  std::vector<std::vector<at::Tensor>> spread(H), error(H), scored(H);
  for (int64_t r = 0; r < n_all; r += chunk) {
    const int64_t m = std::min(chunk, n_all - r);
    LatentState state = repeat_rows(
        map_rows(starts.state, [&](const at::Tensor& t) { return t.narrow(0, r, m); }), S);
    const at::Tensor full = starts.full.narrow(0, r, m);
    for (int64_t k = 0; k < H; ++k) {
      const at::Tensor act = starts.act[k].narrow(0, r, m).repeat({S, 1});
      if (heads != nullptr) {  // the heads score the transition about to be imagined
        const at::Tensor u = heads->disagreement(model.features(state), act).view({S, m});
        scored[k].push_back(u.mean(0).to(torch::kFloat64).index({full}).cpu());
      }
      state = model.imagine_step(state, act);
      const at::Tensor draws =
          model.decode(model.features(state)).view({S, m, -1}).to(torch::kFloat64);
      const at::Tensor real = starts.real[k].narrow(0, r, m).to(torch::kFloat64);
      if (k == 0 && S >= 2) {
        const at::Tensor c =
            central_interval_coverage(draws, real, levels) * static_cast<double>(m);
        covered = covered.defined() ? covered + c : c;
      }
      // the mean of the S rollouts is the prediction, their spread its uncertainty
      const at::Tensor e = (draws.mean(0) - real).index({full});
      sq_err[k] += e.square().sum(0).cpu();
      error[k].push_back(e.norm(2, 1).cpu());
      spread[k].push_back(draws.var(0, /*unbiased=*/false).mean(-1).sqrt().index({full}).cpu());
    }
  }
  out.kstep_mse = sq_err / static_cast<double>(n_full);
  const auto correlations = [&](const std::vector<std::vector<at::Tensor>>& signal) {
    std::vector<double> c;
    for (int64_t k = 0; k < H; ++k) {
      c.push_back(n_full >= 2 ? spearman_correlation(torch::cat(signal[k]), torch::cat(error[k]))
                              : std::numeric_limits<double>::quiet_NaN());
    }
    return torch::tensor(c, torch::kFloat64);
  };
  if (heads != nullptr) out.heads_spearman = correlations(scored);
  if (S < 2) {
    out.missing = "one imagined rollout per start (--samples 1): no spread to calibrate";
    out.calibration_error = std::numeric_limits<double>::quiet_NaN();
    return out;
  }
  record_calibration(covered / static_cast<double>(n_all), &out);
  out.disagreement_spearman = correlations(spread);
  return out;
}

WorldModelLosses holdout_world_model_losses(WorldModel& model,
                                            const std::vector<StepBatch>& episodes) {
  MBRL_CHECK(!episodes.empty(), "holdout_world_model_losses: no episode");
  torch::NoGradGuard no_grad;
  WorldModelLosses sum;
  int64_t steps = 0;
  for (const StepBatch& ep : episodes) {
    const WorldModelLosses l = model.loss(ep);
    const double w = static_cast<double>(ep.length() * ep.batch());
    const auto add = [w](at::Tensor& acc, const at::Tensor& v) {
      acc = acc.defined() ? acc + w * v : w * v;
    };
    add(sum.total, l.total);
    add(sum.recon, l.recon);
    add(sum.reward, l.reward);
    add(sum.cont, l.cont);
    add(sum.dyn, l.dyn);
    add(sum.rep, l.rep);
    add(sum.kl, l.kl);
    steps += ep.length() * ep.batch();
  }
  for (at::Tensor* t :
       {&sum.total, &sum.recon, &sum.reward, &sum.cont, &sum.dyn, &sum.rep, &sum.kl}) {
    *t = *t / static_cast<double>(steps);
  }
  return sum;
}

}  // namespace mbrl

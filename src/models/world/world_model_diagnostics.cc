// diagnose_world_model and holdout_world_model_losses.
#include "mbrl/models/world/world_model_diagnostics.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/core/error.h"

namespace mbrl {
namespace {

// rows [0, n) of every tensor of a batch-first state
LatentState first_rows(const LatentState& s, int64_t n) {
  LatentState out{{}, s.h.narrow(0, 0, n), s.z.narrow(0, 0, n)};
  for (const auto& t : s.memory.tensors) out.memory.tensors.push_back(t.narrow(0, 0, n));
  return out;
}

LatentState cat_rows(const std::vector<LatentState>& parts) {
  std::vector<at::Tensor> h, z;
  for (const auto& p : parts) {
    h.push_back(p.h);
    z.push_back(p.z);
  }
  LatentState out{{}, torch::cat(h), torch::cat(z)};
  for (size_t i = 0; i < parts.front().memory.tensors.size(); ++i) {
    std::vector<at::Tensor> m;
    for (const auto& p : parts) m.push_back(p.memory.tensors[i]);
    out.memory.tensors.push_back(torch::cat(m));
  }
  return out;
}

}  // namespace

ModelDiagnostics diagnose_world_model(WorldModel& model, const std::vector<StepBatch>& episodes,
                                      int64_t horizon) {
  MBRL_CHECK_ARG(horizon >= 1, "horizon", "expected an integer >= 1, got ", horizon);
  torch::NoGradGuard no_grad;
  const int64_t H = horizon;
  // per episode: the posterior state after each start t, the actions a_t .. a_{t+H-1} (stored
  // as prev_act of steps t+1 .. t+H) and the real observations t+1 .. t+H
  std::vector<LatentState> starts;
  std::vector<at::Tensor> actions, targets;  // [H, S_e, ...] each
  for (const StepBatch& ep : episodes) {
    MBRL_CHECK(ep.batch() == 1, "diagnose_world_model: expected one episode per chunk, got ",
               ep.batch());
    const int64_t n = ep.length() - 1;  // transitions
    if (n < H) continue;
    const int64_t s = n - H + 1;  // starts t = 0 .. n - H
    const Observation o = model.observe(ep, /*keep_states=*/true);
    starts.push_back(first_rows(o.every, s));
    const at::Tensor t = torch::arange(s, torch::kInt64).unsqueeze(0) +
                         torch::arange(1, H + 1, torch::kInt64).unsqueeze(1);  // [H, S_e]
    const at::Tensor steps = t.flatten().to(ep.obs.device());
    actions.push_back(ep.prev_act.squeeze(1).index_select(0, steps).view({H, s, -1}));
    targets.push_back(ep.obs.squeeze(1).index_select(0, steps).view({H, s, -1}));
  }
  if (starts.empty()) {
    throw Error(detail::str("diagnose_world_model: no held-out episode has the ", H,
                            " transitions a k-step rollout needs"));
  }
  LatentState state = cat_rows(starts);
  const at::Tensor act = torch::cat(actions, 1), real = torch::cat(targets, 1);  // [H, S, ...]
  std::vector<at::Tensor> sq_err;
  for (int64_t k = 0; k < H; ++k) {
    state = model.imagine_step(state, act[k]);
    sq_err.push_back((model.decode(model.features(state)) - real[k]).square().mean(0));
  }
  ModelDiagnostics d;
  d.kstep_mse = torch::stack(sq_err).to(torch::kCPU, torch::kFloat64);
  d.kstep_starts = real.size(1);
  d.missing =
      "a Dreamer world model decodes one observation per latent (a symlog regression), "
      "so it gives no predictive distribution over observations";
  return d;
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

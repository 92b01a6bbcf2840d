// MujocoSimulatorScorer: rollouts of candidate action sequences from a snapshot of the live env.
#include "mbrl/envs/mujoco/mujoco_simulator_scorer.h"

#include <cmath>
#include <numeric>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/envs/wrappers/rescale_action.h"
#include "mbrl/log/log.h"

namespace mbrl {
namespace {

// the score of a rollout that diverged (PETS replaces NaN costs by 1e6)
constexpr double kUnstableReturn = -1e6;

constexpr int kInstabilityWarnings[] = {mjWARN_BADQPOS, mjWARN_BADQVEL, mjWARN_BADQACC};

bool stable(const mjModel* m, const mjData* d) {
  for (int w : kInstabilityWarnings) {
    if (d->warning[w].number > 0) return false;
  }
  return detail::all_finite(d->qpos, m->nq) && detail::all_finite(d->qvel, m->nv);
}

}  // namespace

// the parts of mjData that the next mj_step and the tasks' pre_step read
struct MujocoSimulatorScorer::Snapshot {
  double time = 0;
  std::vector<double> qpos, qvel, act, qacc_warmstart, xpos;

  Snapshot(const mjModel* m, const mjData* d)
      : time(d->time),
        qpos(d->qpos, d->qpos + m->nq),
        qvel(d->qvel, d->qvel + m->nv),
        act(d->act, d->act + m->na),
        qacc_warmstart(d->qacc_warmstart, d->qacc_warmstart + m->nv),
        xpos(d->xpos, d->xpos + 3 * m->nbody) {}

  void restore(mjData* d) const {
    d->time = time;
    std::copy(qpos.begin(), qpos.end(), d->qpos);
    std::copy(qvel.begin(), qvel.end(), d->qvel);
    std::copy(act.begin(), act.end(), d->act);
    std::copy(qacc_warmstart.begin(), qacc_warmstart.end(), d->qacc_warmstart);
    std::copy(xpos.begin(), xpos.end(), d->xpos);
  }
};

MujocoSimulatorScorer::MujocoSimulatorScorer(std::shared_ptr<const MujocoEnv> env,
                                             std::shared_ptr<ThreadPool> pool,
                                             MujocoSimulatorScorerOptions options)
    : env_(std::move(env)), pool_(std::move(pool)), options_(options) {
  MBRL_CHECK_ARG(env_ != nullptr, "scorer", "expected a MuJoCo env, got null");
  if (!pool_) pool_ = std::make_shared<ThreadPool>(1);
  for (int t = 0; t < pool_->num_threads(); ++t) {
    thread_data_.push_back(env_->task().model().make_data());
  }
}

std::shared_ptr<MujocoSimulatorScorer> MujocoSimulatorScorer::from_env(
    const std::shared_ptr<Env>& env, std::shared_ptr<ThreadPool> pool,
    MujocoSimulatorScorerOptions options) {
  std::vector<std::shared_ptr<const RescaleAction>> rescalers;
  std::shared_ptr<Env> current = env;
  while (current) {
    if (auto mujoco = std::dynamic_pointer_cast<const MujocoEnv>(current)) {
      auto scorer = std::make_shared<MujocoSimulatorScorer>(mujoco, std::move(pool), options);
      scorer->rescalers_ = std::move(rescalers);
      return scorer;
    }
    if (auto rescale = std::dynamic_pointer_cast<const RescaleAction>(current)) {
      rescalers.push_back(rescale);
    }
    auto wrapper = std::dynamic_pointer_cast<const EnvWrapper>(current);
    current = wrapper ? wrapper->inner() : nullptr;
  }
  throw InvalidArgument("scorer", "the simulator scorer needs a MuJoCo env, got '" +
                                      (env ? env->spec().name : std::string("null")) + "'");
}

at::Tensor MujocoSimulatorScorer::score(const at::Tensor& obs, const at::Tensor& actions) {
  const MujocoTask& task = env_->task();
  const int64_t act_dim = env_->spec().act_dim();
  MBRL_CHECK_SHAPE(actions, {1, -1, -1, act_dim}, "actions");
  MBRL_CHECK_SHAPE(obs, {1, task.obs_dim()}, "obs");
  if (options_.check_obs()) {
    auto live = env_->observation().to(torch::kFloat64);
    auto given = obs[0].to(torch::kCPU, torch::kFloat64);
    MBRL_CHECK(torch::allclose(given, live, 1e-5, 1e-5), task.name(),
               ": the simulator scorer was given an observation that is not the live env's "
               "current one (check_obs: false disables this check)");
  }
  torch::NoGradGuard no_grad;
  const int64_t population = actions.size(1), horizon = actions.size(2);

  // actions in the live env's own control space, flat [P, H, act_dim] on the CPU
  at::Tensor inner = actions;
  for (const auto& r : rescalers_) inner = r->to_inner(inner);
  inner = inner.to(torch::kCPU, torch::kFloat32).contiguous();
  const float* a = inner.data_ptr<float>();

  const Snapshot snap(env_->model(), env_->data());
  std::vector<double> returns(population);
  std::vector<int64_t> unstable(pool_->num_threads(), 0);
  pool_->parallel_for(population, [&](int64_t begin, int64_t end, int thread) {
    roll_out(snap, a, begin, end, horizon, thread, returns.data(), &unstable[thread]);
  });
  const int64_t diverged = std::accumulate(unstable.begin(), unstable.end(), int64_t{0});
  if (diverged > 0) {
    log::logger("mujoco")->debug("{}: {} of {} simulated rollouts diverged (scored {})",
                                 task.name(), diverged, population, kUnstableReturn);
  }
  at::Tensor out = torch::tensor(returns, torch::kFloat64).to(torch::kFloat32).unsqueeze(0);
  return out.to(actions.device());
}

void MujocoSimulatorScorer::roll_out(const Snapshot& snap, const float* actions, int64_t p_begin,
                                     int64_t p_end, int64_t horizon, int thread, double* returns,
                                     int64_t* unstable) const {
  detail::QuietMujocoWarnings quiet;
  const MujocoTask& task = env_->task();
  const mjModel* m = env_->model();
  mjData* d = thread_data_[thread].get();
  const int nu = m->nu;
  std::vector<double> action(nu);

  for (int64_t p = p_begin; p < p_end; ++p) {
    snap.restore(d);
    double total = 0;
    bool ok = true;
    for (int64_t h = 0; h < horizon && ok; ++h) {
      const float* a = actions + (p * horizon + h) * nu;
      for (int i = 0; i < nu; ++i) {
        action[i] = a[i];
        ok = ok && !std::isnan(action[i]);
      }
      if (!ok) break;
      task.model().clip_controls(action.data(), d->ctrl);
      for (int w : kInstabilityWarnings) d->warning[w].number = 0;
      const PreStep pre = task.pre_step(d);
      for (int k = 0; k < task.frame_skip(); ++k) mj_step(m, d);
      ok = stable(m, d);
      if (!ok) break;
      total += task.reward(d, pre);
      if (task.terminated(d)) break;
    }
    ok = ok && std::isfinite(total);
    returns[p] = ok ? total : kUnstableReturn;
    if (!ok) ++*unstable;
  }
}

}  // namespace mbrl

// Gymnasium MountainCarContinuous-v0, in double precision (env) and batched torch (task).
#include "mbrl/envs/classic/mountain_car_continuous.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/envs/env_tensors.h"
#include "mountain_car_dynamics.h"

namespace mbrl {
namespace {

using mountain_car::kMaxPosition;
using mountain_car::kMaxSpeed;
using mountain_car::kMinPosition;
constexpr double kGoalPosition = 0.45;
constexpr double kGoalVelocity = 0.0;
constexpr double kPower = 0.0015;

bool at_goal(double p, double v) { return p >= kGoalPosition && v >= kGoalVelocity; }

}  // namespace

at::Tensor MountainCarContinuousTask::reward(const at::Tensor& obs, const at::Tensor& act,
                                             const at::Tensor& next_obs) const {
  MBRL_CHECK_SHAPE(next_obs, {-1, 2}, "next_obs");
  MBRL_CHECK_SHAPE(act, {next_obs.size(0), 1}, "act");
  auto a = act.select(1, 0);
  return terminated(next_obs).to(next_obs.scalar_type()) * 100.0 - 0.1 * a * a;
}

at::Tensor MountainCarContinuousTask::terminated(const at::Tensor& next_obs) const {
  MBRL_CHECK_SHAPE(next_obs, {-1, 2}, "next_obs");
  return next_obs.select(1, 0)
      .ge(kGoalPosition)
      .logical_and(next_obs.select(1, 1).ge(kGoalVelocity));
}

at::Tensor MountainCarContinuousTask::next_obs(const at::Tensor& obs, const at::Tensor& act) const {
  MBRL_CHECK_SHAPE(obs, {-1, 2}, "obs");
  MBRL_CHECK_SHAPE(act, {obs.size(0), 1}, "act");
  auto p = obs.select(1, 0);
  auto force = act.select(1, 0).clamp(-1.0, 1.0);
  auto v = (obs.select(1, 1) + force * kPower - mountain_car::kGravity * torch::cos(3 * p))
               .clamp(-kMaxSpeed, kMaxSpeed);
  p = (p + v).clamp(kMinPosition, kMaxPosition);
  v = torch::where(p.le(kMinPosition).logical_and(v.lt(0)), torch::zeros_like(v), v);
  return torch::stack({p, v}, 1);
}

MountainCarContinuousEnv::MountainCarContinuousEnv(uint64_t seed)
    : rng_(seed), task_(std::make_shared<MountainCarContinuousTask>()) {
  spec_.name = "mountain_car_continuous";
  spec_.observation_space =
      Box(torch::tensor({kMinPosition, -kMaxSpeed}), torch::tensor({kMaxPosition, kMaxSpeed}));
  spec_.action_space = Box::uniform(1, -1.0, 1.0);
  spec_.max_episode_steps = 999;
}

at::Tensor MountainCarContinuousEnv::reset(std::optional<uint64_t> seed) {
  if (seed) rng_.seed(*seed);
  position_ = std::uniform_real_distribution<double>(-0.6, -0.4)(rng_);
  velocity_ = 0;
  const double obs[2] = {position_, velocity_};
  return observation_tensor(obs, 2);
}

StepResult MountainCarContinuousEnv::step(const at::Tensor& act) {
  const double a = action_values(act, 1, "mountain_car_continuous")[0];
  std::tie(position_, velocity_) =
      mountain_car::step(position_, velocity_, std::clamp(a, -1.0, 1.0), kPower);
  StepResult r;
  r.terminated = at_goal(position_, velocity_);
  r.reward = (r.terminated ? 100.0 : 0.0) - 0.1 * a * a;
  const double obs[2] = {position_, velocity_};
  r.obs = observation_tensor(obs, 2);
  return r;
}

}  // namespace mbrl

// Gymnasium MountainCar-v0 in double precision, with its reward and termination as batched torch.
#include "mbrl/envs/classic/mountain_car.h"

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
constexpr double kGoalPosition = 0.5;
constexpr double kGoalVelocity = 0.0;
constexpr double kPower = 0.001;

}  // namespace

at::Tensor MountainCarTask::reward(const at::Tensor& obs, const at::Tensor& act,
                                   const at::Tensor& next_obs) const {
  MBRL_CHECK_SHAPE(obs, {-1, 2}, "obs");
  MBRL_CHECK_SHAPE(act, {obs.size(0), 3}, "act");
  MBRL_CHECK_SHAPE(next_obs, {obs.size(0), 2}, "next_obs");
  return torch::full({obs.size(0)}, -1.0, obs.options().dtype(torch::kFloat32));
}

at::Tensor MountainCarTask::terminated(const at::Tensor& next_obs) const {
  MBRL_CHECK_SHAPE(next_obs, {-1, 2}, "next_obs");
  return next_obs.select(1, 0)
      .ge(kGoalPosition)
      .logical_and(next_obs.select(1, 1).ge(kGoalVelocity));
}

MountainCarEnv::MountainCarEnv(uint64_t seed)
    : rng_(seed), task_(std::make_shared<MountainCarTask>()) {
  spec_.name = "mountain_car";
  spec_.observation_space =
      Box(torch::tensor({kMinPosition, -kMaxSpeed}), torch::tensor({kMaxPosition, kMaxSpeed}));
  spec_.action_space = Box::uniform(3, 0.0, 1.0);
  spec_.max_episode_steps = 200;
  spec_.discrete_actions = true;
}

at::Tensor MountainCarEnv::reset(std::optional<uint64_t> seed) {
  if (seed) rng_.seed(*seed);
  position_ = std::uniform_real_distribution<double>(-0.6, -0.4)(rng_);
  velocity_ = 0;
  const double obs[2] = {position_, velocity_};
  return observation_tensor(obs, 2);
}

StepResult MountainCarEnv::step(const at::Tensor& act) {
  const double push = static_cast<double>(discrete_action(act, 3, "mountain_car") - 1);
  std::tie(position_, velocity_) = mountain_car::step(position_, velocity_, push, kPower);
  StepResult r;
  r.reward = -1.0;
  r.terminated = position_ >= kGoalPosition && velocity_ >= kGoalVelocity;
  const double obs[2] = {position_, velocity_};
  r.obs = observation_tensor(obs, 2);
  return r;
}

}  // namespace mbrl

// Gymnasium CartPole-v1 in double precision, with its reward and termination as batched torch.
#include "mbrl/envs/classic/cartpole.h"

#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/envs/env_tensors.h"

namespace mbrl {
namespace {

constexpr double kGravity = 9.8;
constexpr double kCartMass = 1.0;
constexpr double kPoleMass = 0.1;
constexpr double kTotalMass = kCartMass + kPoleMass;
constexpr double kHalfLength = 0.5;
constexpr double kPoleMassLength = kPoleMass * kHalfLength;
constexpr double kForce = 10.0;
constexpr double kTau = 0.02;
constexpr double kXThreshold = 2.4;
constexpr double kThetaThreshold = 12.0 * 2.0 * 3.14159265358979323846 / 360.0;

bool out_of_bounds(double x, double theta) {
  return x < -kXThreshold || x > kXThreshold || theta < -kThetaThreshold || theta > kThetaThreshold;
}

}  // namespace

at::Tensor CartpoleTask::reward(const at::Tensor& obs, const at::Tensor& act,
                                const at::Tensor& next_obs) const {
  MBRL_CHECK_SHAPE(obs, {-1, 4}, "obs");
  MBRL_CHECK_SHAPE(act, {obs.size(0), 2}, "act");
  MBRL_CHECK_SHAPE(next_obs, {obs.size(0), 4}, "next_obs");
  return torch::ones({obs.size(0)}, obs.options().dtype(torch::kFloat32));
}

at::Tensor CartpoleTask::terminated(const at::Tensor& next_obs) const {
  MBRL_CHECK_SHAPE(next_obs, {-1, 4}, "next_obs");
  return (next_obs.select(1, 0).abs() > kXThreshold)
      .logical_or(next_obs.select(1, 2).abs() > kThetaThreshold);
}

CartpoleEnv::CartpoleEnv(uint64_t seed) : rng_(seed), task_(std::make_shared<CartpoleTask>()) {
  const double inf = std::numeric_limits<double>::infinity();
  spec_.name = "cartpole_v1";
  spec_.observation_space = Box(torch::tensor({-2 * kXThreshold, -inf, -2 * kThetaThreshold, -inf}),
                                torch::tensor({2 * kXThreshold, inf, 2 * kThetaThreshold, inf}));
  spec_.action_space = Box::uniform(2, 0.0, 1.0);
  spec_.max_episode_steps = 500;
  spec_.discrete_actions = true;
}

at::Tensor CartpoleEnv::reset(std::optional<uint64_t> seed) {
  if (seed) rng_.seed(*seed);
  std::uniform_real_distribution<double> u(-0.05, 0.05);
  for (double& v : state_) v = u(rng_);
  return observation_tensor(state_.data(), 4);
}

StepResult CartpoleEnv::step(const at::Tensor& act) {
  const double force = discrete_action(act, 2, "cartpole_v1") == 1 ? kForce : -kForce;
  auto& [x, x_dot, theta, theta_dot] = state_;
  const double cos_theta = std::cos(theta), sin_theta = std::sin(theta);
  const double temp = (force + kPoleMassLength * theta_dot * theta_dot * sin_theta) / kTotalMass;
  const double theta_acc =
      (kGravity * sin_theta - cos_theta * temp) /
      (kHalfLength * (4.0 / 3.0 - kPoleMass * cos_theta * cos_theta / kTotalMass));
  const double x_acc = temp - kPoleMassLength * theta_acc * cos_theta / kTotalMass;
  x += kTau * x_dot;
  x_dot += kTau * x_acc;
  theta += kTau * theta_dot;
  theta_dot += kTau * theta_acc;
  StepResult r;
  r.obs = observation_tensor(state_.data(), 4);
  r.reward = 1.0;
  r.terminated = out_of_bounds(x, theta);
  return r;
}

}  // namespace mbrl

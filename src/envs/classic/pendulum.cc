// Gymnasium Pendulum-v1, in double precision (env) and batched torch (task functions).
#include "mbrl/envs/classic/pendulum.h"

#include <cmath>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/envs/env_tensors.h"

namespace mbrl {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kMaxSpeed = 8.0;
constexpr double kMaxTorque = 2.0;
constexpr double kDt = 0.05;
constexpr double kMass = 1.0;
constexpr double kLength = 1.0;

double wrap_angle(double theta) {
  double r = std::fmod(theta + kPi, 2 * kPi);
  if (r < 0) r += 2 * kPi;
  return r - kPi;
}

double cost(double theta, double theta_dot, double u) {
  const double th = wrap_angle(theta);
  return th * th + 0.1 * theta_dot * theta_dot + 0.001 * u * u;
}

// one Euler step of the velocity, then the angle with the new velocity (Gymnasium's order)
template <class T>
std::pair<T, T> pendulum_step(const T& theta, const T& theta_dot, const T& u, double gravity) {
  using std::sin;
  T new_theta_dot =
      theta_dot +
      (3 * gravity / (2 * kLength) * sin(theta) + 3.0 / (kMass * kLength * kLength) * u) * kDt;
  if constexpr (std::is_same_v<T, double>) {
    new_theta_dot = std::clamp(new_theta_dot, -kMaxSpeed, kMaxSpeed);
  } else {
    new_theta_dot = new_theta_dot.clamp(-kMaxSpeed, kMaxSpeed);
  }
  return {theta + new_theta_dot * kDt, new_theta_dot};
}

}  // namespace

at::Tensor PendulumTask::reward(const at::Tensor& obs, const at::Tensor& act,
                                const at::Tensor& next_obs) const {
  MBRL_CHECK_SHAPE(obs, {-1, 3}, "obs");
  MBRL_CHECK_SHAPE(act, {obs.size(0), 1}, "act");
  auto theta = torch::atan2(obs.select(1, 1), obs.select(1, 0));  // already in [-pi, pi]
  auto theta_dot = obs.select(1, 2);
  auto u = act.select(1, 0).clamp(-kMaxTorque, kMaxTorque);
  return -(theta * theta + 0.1 * theta_dot * theta_dot + 0.001 * u * u);
}

at::Tensor PendulumTask::terminated(const at::Tensor& next_obs) const {
  MBRL_CHECK_SHAPE(next_obs, {-1, 3}, "next_obs");
  return torch::zeros({next_obs.size(0)}, next_obs.options().dtype(torch::kBool));
}

at::Tensor PendulumTask::next_obs(const at::Tensor& obs, const at::Tensor& act) const {
  MBRL_CHECK_SHAPE(obs, {-1, 3}, "obs");
  MBRL_CHECK_SHAPE(act, {obs.size(0), 1}, "act");
  auto theta = torch::atan2(obs.select(1, 1), obs.select(1, 0));
  auto u = act.select(1, 0).clamp(-kMaxTorque, kMaxTorque);
  auto [th, th_dot] = pendulum_step(theta, obs.select(1, 2), u, options_.gravity);
  return torch::stack({torch::cos(th), torch::sin(th), th_dot}, 1);
}

PendulumEnv::PendulumEnv(PendulumOptions options, uint64_t seed)
    : options_(options), rng_(seed), task_(std::make_shared<PendulumTask>(options)) {
  MBRL_CHECK_ARG(options.gravity > 0, "gravity", "expected a positive number, got ",
                 options.gravity);
  spec_.name = "pendulum";
  spec_.observation_space =
      Box(torch::tensor({-1.0, -1.0, -kMaxSpeed}), torch::tensor({1.0, 1.0, kMaxSpeed}));
  spec_.action_space = Box::uniform(1, -kMaxTorque, kMaxTorque);
  spec_.max_episode_steps = 200;
}

at::Tensor PendulumEnv::observation() const {
  const double obs[3] = {std::cos(theta_), std::sin(theta_), theta_dot_};
  return observation_tensor(obs, 3);
}

at::Tensor PendulumEnv::reset(std::optional<uint64_t> seed) {
  if (seed) rng_.seed(*seed);
  theta_ = std::uniform_real_distribution<double>(-kPi, kPi)(rng_);
  theta_dot_ = std::uniform_real_distribution<double>(-1.0, 1.0)(rng_);
  return observation();
}

StepResult PendulumEnv::step(const at::Tensor& act) {
  const double u = std::clamp(action_values(act, 1, "pendulum")[0], -kMaxTorque, kMaxTorque);
  StepResult r;
  r.reward = -cost(theta_, theta_dot_, u);
  std::tie(theta_, theta_dot_) = pendulum_step(theta_, theta_dot_, u, options_.gravity);
  r.obs = observation();
  return r;
}

}  // namespace mbrl

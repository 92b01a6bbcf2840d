// PETS cart-pole swing-up: one generic implementation of the physics, used in double precision
// by the env and on [B] tensors by the batched task functions.
#include "mbrl/envs/classic/cartpole_swingup.h"

#include <cmath>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/envs/env_tensors.h"

namespace mbrl {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDensity = 1000.0;
constexpr double kGravity = 9.81;
constexpr double kDamping = 1.0;  // joint damping of slider and hinge, N s/m and N m s/rad
constexpr double kGear = 100.0;   // motor force per unit of control, N
constexpr double kMaxControl = 3.0;
constexpr double kTimestep = 0.02;   // s, one RK4 step
constexpr int kSubsteps = 2;         // env step = 2 RK4 steps (frame skip)
constexpr double kRailEnd = 2.5;     // m
constexpr double kPoleLength = 0.6;  // m, hinge to tip (also the cost length scale)
constexpr double kPoleRadius = 0.049;
constexpr double kCartRadius = 0.1;
constexpr double kCartHalfLength = 0.1;

// mass of a capsule of radius r whose cylinder part is `len` long
double capsule_mass(double r, double len) {
  return kDensity * (kPi * r * r * len + 4.0 / 3.0 * kPi * r * r * r);
}

// moment of inertia of that capsule about a transverse axis through its centre (as MuJoCo
// computes it from the geom): cylinder plus two hemispherical caps
double capsule_transverse_inertia(double r, double len) {
  const double m_cyl = kDensity * kPi * r * r * len;
  const double m_sph = kDensity * 4.0 / 3.0 * kPi * r * r * r;
  return m_cyl * (3 * r * r + len * len) / 12.0 +
         m_sph * (0.4 * r * r + 0.375 * r * len + 0.25 * len * len);
}

struct Params {
  double cart_mass = capsule_mass(kCartRadius, 2 * kCartHalfLength);
  double pole_mass = capsule_mass(kPoleRadius, kPoleLength);
  double pole_com = kPoleLength / 2;  // hinge to centre of mass
  double pole_inertia = capsule_transverse_inertia(kPoleRadius, kPoleLength);
};

const Params& params() {
  static const Params p;
  return p;
}

using std::cos;
using std::sin;

double clip(double v, double lo, double hi) { return std::min(std::max(v, lo), hi); }
at::Tensor clip(const at::Tensor& v, double lo, double hi) { return v.clamp(lo, hi); }

// state derivative of (x, theta, x_dot, theta_dot) under cart force `force` (Lagrangian
// equations of a cart with a rigid pendulum, both joints damped)
template <class T>
std::array<T, 4> derivative(const std::array<T, 4>& s, const T& force) {
  const Params& p = params();
  const double a = p.cart_mass + p.pole_mass;
  const double d = p.pole_mass * p.pole_com * p.pole_com + p.pole_inertia;
  const T c = cos(s[1]);
  const T sn = sin(s[1]);
  const T b = -p.pole_mass * p.pole_com * c;
  const T f_x = force - kDamping * s[2] - p.pole_mass * p.pole_com * sn * s[3] * s[3];
  const T f_theta = -p.pole_mass * kGravity * p.pole_com * sn - kDamping * s[3];
  const T det = a * d - b * b;
  return {s[2], s[3], (d * f_x - b * f_theta) / det, (a * f_theta - b * f_x) / det};
}

template <class T>
std::array<T, 4> axpy(const std::array<T, 4>& s, double h, const std::array<T, 4>& k) {
  return {s[0] + h * k[0], s[1] + h * k[1], s[2] + h * k[2], s[3] + h * k[3]};
}

// the rail ends stop the cart: clamp x and drop the velocity pointing further out
void rail_stop(std::array<double, 4>& s) {
  if (s[0] > kRailEnd || s[0] < -kRailEnd) {
    s[0] = clip(s[0], -kRailEnd, kRailEnd);
    if (s[0] * s[2] > 0) s[2] = 0;
  }
}
void rail_stop(std::array<at::Tensor, 4>& s) {
  auto outside = s[0].abs().gt(kRailEnd).logical_and(s[0].mul(s[2]).gt(0));
  s[0] = s[0].clamp(-kRailEnd, kRailEnd);
  s[2] = torch::where(outside, torch::zeros_like(s[2]), s[2]);
}

template <class T>
std::array<T, 4> env_step(std::array<T, 4> s, const T& control) {
  const T force = kGear * clip(control, -kMaxControl, kMaxControl);
  for (int i = 0; i < kSubsteps; ++i) {
    auto k1 = derivative(s, force);
    auto k2 = derivative(axpy(s, kTimestep / 2, k1), force);
    auto k3 = derivative(axpy(s, kTimestep / 2, k2), force);
    auto k4 = derivative(axpy(s, kTimestep, k3), force);
    for (int j = 0; j < 4; ++j)
      s[j] = s[j] + kTimestep / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
    rail_stop(s);
  }
  return s;
}

template <class T>
T swingup_reward(const T& x, const T& theta, const T& control) {
  const T tip_x = x - kPoleLength * sin(theta);
  const T tip_y = -kPoleLength * cos(theta);
  const T dist2 = tip_x * tip_x + (tip_y - kPoleLength) * (tip_y - kPoleLength);
  using std::exp;
  return exp(-dist2 / (kPoleLength * kPoleLength)) - 0.01 * control * control;
}

}  // namespace

at::Tensor CartpoleSwingupTask::reward(const at::Tensor& obs, const at::Tensor& act,
                                       const at::Tensor& next_obs) const {
  MBRL_CHECK_SHAPE(next_obs, {-1, 4}, "next_obs");
  MBRL_CHECK_SHAPE(act, {next_obs.size(0), 1}, "act");
  auto control = act.select(1, 0).clamp(-kMaxControl, kMaxControl);
  return swingup_reward(next_obs.select(1, 0), next_obs.select(1, 1), control);
}

at::Tensor CartpoleSwingupTask::terminated(const at::Tensor& next_obs) const {
  MBRL_CHECK_SHAPE(next_obs, {-1, 4}, "next_obs");
  return torch::zeros({next_obs.size(0)}, next_obs.options().dtype(torch::kBool));
}

at::Tensor CartpoleSwingupTask::next_obs(const at::Tensor& obs, const at::Tensor& act) const {
  MBRL_CHECK_SHAPE(obs, {-1, 4}, "obs");
  MBRL_CHECK_SHAPE(act, {obs.size(0), 1}, "act");
  std::array<at::Tensor, 4> s{obs.select(1, 0), obs.select(1, 1), obs.select(1, 2),
                              obs.select(1, 3)};
  auto next = env_step(s, act.select(1, 0));
  return torch::stack({next[0], next[1], next[2], next[3]}, 1);
}

CartpoleSwingupEnv::CartpoleSwingupEnv(uint64_t seed)
    : rng_(seed), task_(std::make_shared<CartpoleSwingupTask>()) {
  spec_.name = "cartpole_swingup";
  const double inf = std::numeric_limits<double>::infinity();
  spec_.observation_space = Box::uniform(4, -inf, inf);
  spec_.action_space = Box::uniform(1, -kMaxControl, kMaxControl);
  spec_.max_episode_steps = 200;
}

at::Tensor CartpoleSwingupEnv::reset(std::optional<uint64_t> seed) {
  if (seed) rng_.seed(*seed);
  std::normal_distribution<double> noise(0.0, 0.1);
  for (double& v : state_) v = noise(rng_);
  return observation_tensor(state_.data(), 4);
}

StepResult CartpoleSwingupEnv::step(const at::Tensor& act) {
  const double control =
      clip(action_values(act, 1, "cartpole_swingup")[0], -kMaxControl, kMaxControl);
  state_ = env_step(state_, control);
  StepResult r;
  r.obs = observation_tensor(state_.data(), 4);
  r.reward = swingup_reward(state_[0], state_[1], control);
  return r;
}

}  // namespace mbrl

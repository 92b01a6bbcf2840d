// The car of Gymnasium's two mountain-car tasks (Moore 1990), shared by MountainCar-v0 and
// MountainCarContinuous-v0, which differ only in how an action becomes a force and in its power.
#pragma once

#include <algorithm>
#include <cmath>
#include <utility>

namespace mbrl::mountain_car {

constexpr double kMinPosition = -1.2;
constexpr double kMaxPosition = 0.6;
constexpr double kMaxSpeed = 0.07;
constexpr double kGravity = 0.0025;

// (p, v) -> (p', v'): v' = clip(v + power force - 0.0025 cos(3 p), -0.07, 0.07),
// p' = clip(p + v', -1.2, 0.6), and v' = 0 when p' hit -1.2 moving left
inline std::pair<double, double> step(double p, double v, double force, double power) {
  v = std::clamp(v + force * power - kGravity * std::cos(3 * p), -kMaxSpeed, kMaxSpeed);
  p = std::clamp(p + v, kMinPosition, kMaxPosition);
  if (p == kMinPosition && v < 0) v = 0;
  return {p, v};
}

}  // namespace mbrl::mountain_car

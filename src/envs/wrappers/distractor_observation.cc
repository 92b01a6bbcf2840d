// DistractorObservation wrapper and its task functions.
#include "mbrl/envs/wrappers/distractor_observation.h"

#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "mbrl/config/config_node.h"
#include "mbrl/core/check.h"
#include "mbrl/core/rng.h"
#include "mbrl/envs/env_tensors.h"
#include "mbrl/envs/task_functions.h"

namespace mbrl {
namespace {

constexpr double kSwitchBound = 20.0;
constexpr double kSineScale = 0.1;
constexpr double kStartStd = 0.1;

// The inner task's reward and termination, read from the first `task_dim` observation entries.
class TaskOnFirstEntries : public TaskFunctions {
 public:
  TaskOnFirstEntries(std::shared_ptr<const TaskFunctions> inner, int64_t task_dim)
      : inner_(std::move(inner)), task_dim_(task_dim) {}

  at::Tensor reward(const at::Tensor& obs, const at::Tensor& act,
                    const at::Tensor& next_obs) const override {
    return inner_->reward(task_part(obs), act, task_part(next_obs));
  }
  at::Tensor terminated(const at::Tensor& next_obs) const override {
    return inner_->terminated(task_part(next_obs));
  }

 private:
  at::Tensor task_part(const at::Tensor& obs) const { return obs.narrow(-1, 0, task_dim_); }

  std::shared_ptr<const TaskFunctions> inner_;
  int64_t task_dim_;
};

uint64_t start_state_seed(uint64_t seed) { return derive_seed(seed, "distractor"); }

}  // namespace

DistractorObservation::DistractorObservation(std::shared_ptr<Env> inner, DistractorOptions options,
                                             uint64_t state_seed)
    : EnvWrapper(std::move(inner)),
      options_(options),
      task_dim_(inner_->spec().obs_dim()),
      spec_(inner_->spec()),
      rng_(start_state_seed(state_seed)) {
  const int64_t k = options_.dimensions();
  MBRL_CHECK_ARG(k >= 1, "dimensions", "expected a positive number of distractor dimensions, got ",
                 k);
  const int64_t cols = task_dim_ + k;
  std::mt19937_64 param_rng(options_.seed());
  std::normal_distribution<double> normal(0.0, 1.0);
  map_.resize(static_cast<size_t>(k * cols));
  for (int64_t r = 0; r < k; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const double m = normal(param_rng);
      map_[r * cols + c] = (c < task_dim_ && !options_.correlated()) ? 0.0 : m;
    }
  }
  sine_freq_.resize(static_cast<size_t>(k * k));
  for (double& p : sine_freq_) {
    const double z = 10.0 * normal(param_rng);
    p = z * z;
  }
  reset_value_.resize(static_cast<size_t>(k));
  for (double& v : reset_value_) v = normal(param_rng);
  state_.assign(static_cast<size_t>(k), 0.0);

  spec_.name += "_distractor";
  const double inf = std::numeric_limits<double>::infinity();
  spec_.observation_space = Box(torch::cat({spec_.observation_space.low, torch::full({k}, -inf)}),
                                torch::cat({spec_.observation_space.high, torch::full({k}, inf)}));
  if (auto task = inner_->task_functions()) {
    task_ = std::make_shared<TaskOnFirstEntries>(std::move(task), task_dim_);
  }
}

at::Tensor DistractorObservation::reset(std::optional<uint64_t> seed) {
  const at::Tensor obs = inner_->reset(seed);
  if (seed) rng_.seed(start_state_seed(*seed));
  std::normal_distribution<double> start(0.0, kStartStd);
  for (double& d : state_) d = start(rng_);
  return observe(obs);
}

StepResult DistractorObservation::step(const at::Tensor& act) {
  StepResult r = inner_->step(act);
  r.obs = observe(r.obs);
  return r;
}

at::Tensor DistractorObservation::observe(const at::Tensor& obs) {
  const int64_t k = options_.dimensions();
  const int64_t cols = task_dim_ + k;
  const at::Tensor obs_f = obs.to(torch::kFloat64).contiguous();
  const double* o = obs_f.data_ptr<double>();
  std::vector<double> next(static_cast<size_t>(k), 0.0);
  for (int64_t r = 0; r < k; ++r) {
    double sum = 0.0;
    for (int64_t c = 0; c < task_dim_; ++c) sum += map_[r * cols + c] * o[c];
    for (int64_t c = 0; c < k; ++c) sum += map_[r * cols + task_dim_ + c] * state_[c];
    next[r] = sum;
  }
  if (!options_.linear()) {
    std::vector<double> phase(static_cast<size_t>(k), 0.0);
    for (int64_t r = 0; r < k; ++r) {
      for (int64_t c = 0; c < k; ++c) phase[r] += sine_freq_[r * k + c] * next[c];
    }
    for (int64_t r = 0; r < k; ++r) next[r] += kSineScale * std::sin(phase[r]);
  }
  if (options_.switching()) {
    for (int64_t r = 0; r < k; ++r) {
      if (std::abs(next[r]) > kSwitchBound) next[r] = reset_value_[r];
    }
  }
  if (options_.pure_noise()) {
    std::normal_distribution<double> noise(0.0, 1.0);
    for (double& d : next) d = noise(rng_);
  }
  state_ = std::move(next);
  std::vector<double> full(o, o + task_dim_);
  full.insert(full.end(), state_.begin(), state_.end());
  return observation_tensor(full);
}

DistractorOptions distractor_options_from_config(const ConfigNode& section) {
  DistractorOptions o;
  MBRL_READ_OPTION(section, o, dimensions);
  MBRL_READ_OPTION(section, o, linear);
  MBRL_READ_OPTION(section, o, switching);
  MBRL_READ_OPTION(section, o, correlated);
  MBRL_READ_OPTION(section, o, pure_noise);
  MBRL_READ_OPTION(section, o, seed);
  return o;
}

}  // namespace mbrl

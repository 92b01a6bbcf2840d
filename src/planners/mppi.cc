// MppiOptimizer.
#include "mbrl/planners/mppi.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

MppiOptimizer::MppiOptimizer(MppiOptions options, Box action_space, c10::Device device,
                             at::Generator gen)
    : PopulationOptimizer(std::move(action_space), device, std::move(gen)), options_(options) {
  const MppiOptions& o = options_;
  MBRL_CHECK_ARG(o.num_iterations() >= 1, "num_iterations", "expected an integer >= 1, got ",
                 o.num_iterations());
  MBRL_CHECK_ARG(o.population_size() >= 1, "population_size", "expected an integer >= 1, got ",
                 o.population_size());
  MBRL_CHECK_ARG(o.gamma() > 0, "gamma", "expected a number > 0, got ", o.gamma());
  MBRL_CHECK_ARG(o.sigma() > 0, "sigma", "expected a number > 0, got ", o.sigma());
  MBRL_CHECK_ARG(o.beta() > 0 && o.beta() <= 1, "beta", "expected a number in (0, 1], got ",
                 o.beta());
}

void MppiOptimizer::reset() {
  last_solution_ = at::Tensor();
  executed_ = at::Tensor();
}

void MppiOptimizer::shift(int64_t steps) {
  MBRL_ASSERT(steps >= 0, "negative shift ", steps);
  if (steps == 0 || !last_solution_.defined()) return;
  const int64_t h = std::min(steps, last_solution_.size(1)) - 1;
  executed_ = last_solution_.select(1, h).clone();
}

void MppiOptimizer::allocate(int64_t S, int64_t H) {
  const int64_t P = options_.population_size();
  const int64_t A = action_space_.dim();
  if (population_.defined() && population_.size(0) == S && population_.size(2) == H) return;
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  noise_ = torch::empty({P, H, A}, opts);
  population_ = torch::empty({S, P, H, A}, opts);
}

void MppiOptimizer::sample(const at::Tensor& mean, const at::Tensor& previous) {
  const double beta = options_.beta();
  const double sigma = options_.sigma();
  truncated_.sample_(noise_, gen_);
  auto var = torch::full({}, sigma * sigma, mean.options());
  auto std = bounds_.constrained_variance(mean, var).sqrt_();

  // beta (mean + noise), then the filter u_h += (1 - beta) u_{h-1}, in place along the horizon
  at::mul_out(population_, std.unsqueeze(1), noise_);
  population_.add_(mean.unsqueeze(1)).mul_(beta);
  population_.select(2, 0).add_(previous.unsqueeze(1), 1.0 - beta);
  for (int64_t h = 1; h < population_.size(2); ++h) {
    population_.select(2, h).add_(population_.select(2, h - 1), 1.0 - beta);
  }
  bounds_.clamp_(population_);
}

at::Tensor MppiOptimizer::optimize(const SequenceObjective& objective, const at::Tensor& initial) {
  torch::NoGradGuard no_grad;
  begin_call(initial);
  const int64_t S = initial.size(0);
  const int64_t H = initial.size(1);
  allocate(S, H);

  auto mean = initial.to(device_, torch::kFloat32, /*non_blocking=*/false, /*copy=*/true);
  bounds_.clamp_(mean);
  const bool has_executed = executed_.defined() && executed_.size(0) == S;
  auto previous = has_executed ? executed_ : mean.select(1, 0).clone();

  for (int64_t it = 0; it < options_.num_iterations(); ++it) {
    sample(mean, previous);
    auto values = score(objective, population_);

    // weights relative to the best score, so the largest weight is exactly 1
    auto weights =
        values.sub(std::get<0>(values.max(1, /*keepdim=*/true))).mul_(options_.gamma()).exp_();
    auto total = weights.sum(1).view({S, 1, 1});
    auto weighted =
        torch::bmm(weights.unsqueeze(1), population_.view({S, population_.size(1), -1}));
    mean = weighted.view_as(mean).div_(total);
    bounds_.clamp_(mean);
  }

  last_solution_ = mean.clone();
  executed_ = at::Tensor();
  return mean;
}

}  // namespace mbrl

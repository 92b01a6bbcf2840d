// CemOptimizer.
#include "mbrl/planners/cem.h"

#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

CemOptimizer::CemOptimizer(CemOptions options, Box action_space, c10::Device device,
                           at::Generator gen)
    : PopulationOptimizer(std::move(action_space), device, std::move(gen)), options_(options) {
  const CemOptions& o = options_;
  MBRL_CHECK_ARG(o.num_iterations() >= 1, "num_iterations", "expected an integer >= 1, got ",
                 o.num_iterations());
  MBRL_CHECK_ARG(o.population_size() >= 1, "population_size", "expected an integer >= 1, got ",
                 o.population_size());
  MBRL_CHECK_ARG(o.elite_ratio() > 0 && o.elite_ratio() <= 1, "elite_ratio",
                 "expected a number in (0, 1], got ", o.elite_ratio());
  MBRL_CHECK_ARG(o.alpha() >= 0 && o.alpha() < 1, "alpha", "expected a number in [0, 1), got ",
                 o.alpha());
  MBRL_CHECK_ARG(o.min_variance() >= 0, "min_variance", "expected a number >= 0, got ",
                 o.min_variance());
  num_elites_ = static_cast<int64_t>(
      std::ceil(o.elite_ratio() * static_cast<double>(o.population_size()) - 1e-9));
}

void CemOptimizer::allocate(int64_t S, int64_t H) {
  const int64_t P = options_.population_size();
  const int64_t A = action_space_.dim();
  if (population_.defined() && population_.size(0) == S && population_.size(2) == H) return;
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  noise_ = torch::empty({P, H, A}, opts);
  population_ = torch::empty({S, P, H, A}, opts);
  elites_.allocate(S, num_elites_, H, A, opts);
}

void CemOptimizer::sample(const at::Tensor& mean, const at::Tensor& var) {
  at::Tensor std;
  if (options_.clipped_normal()) {
    noise_.normal_(0.0, 1.0, gen_);
    std = var.sqrt();
  } else {
    truncated_.sample_(noise_, gen_);
    std = bounds_.constrained_variance(mean, var).sqrt_();
  }

  // population[s, p] = mean[s] + std[s] * noise[p]: the problems share the standard draws
  at::mul_out(population_, std.unsqueeze(1), noise_);
  population_.add_(mean.unsqueeze(1));
  bounds_.clamp_(population_);
}

at::Tensor CemOptimizer::optimize(const SequenceObjective& objective, const at::Tensor& initial) {
  torch::NoGradGuard no_grad;
  begin_call(initial);
  const int64_t S = initial.size(0);
  allocate(S, initial.size(1));

  auto mean = initial.to(device_, torch::kFloat32, /*non_blocking=*/false, /*copy=*/true);
  bounds_.clamp_(mean);
  auto var = bounds_.initial_variance().expand_as(mean).clone();
  const bool early_stop = options_.min_variance() > 0;
  auto active = early_stop ? torch::ones({S}, mean.options().dtype(torch::kBool)) : at::Tensor();
  at::Tensor best, best_value;
  if (!options_.return_mean_elites()) {
    best = mean.clone();
    best_value = torch::full({S}, -std::numeric_limits<float>::infinity(), mean.options());
  }

  last_iterations_ = 0;
  for (int64_t it = 0; it < options_.num_iterations(); ++it) {
    sample(mean, var);
    elites_.select(population_, score(objective, population_));
    if (best.defined()) elites_.track_best(best, best_value, active);
    elites_.update(mean, var, options_.alpha(), active);
    last_iterations_ = it + 1;

    // the one sync of an iteration: stop when every problem's variance has collapsed
    if (early_stop) {
      active.logical_and_(var.flatten(1).amax(1).ge(options_.min_variance()));
      if (!active.any().item<bool>()) break;
    }
  }
  return best.defined() ? best : mean;
}

}  // namespace mbrl

// IcemOptimizer.
#include "mbrl/planners/icem.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {
namespace {

// ceil(x) for a count computed in floating point, forgiving representation error
int64_t ceil_count(double x) { return static_cast<int64_t>(std::ceil(x - 1e-9)); }

}  // namespace

IcemOptimizer::IcemOptimizer(IcemOptions options, Box action_space, c10::Device device,
                             at::Generator gen)
    : PopulationOptimizer(std::move(action_space), device, std::move(gen)), options_(options) {
  const IcemOptions& o = options_;
  MBRL_CHECK_ARG(o.num_iterations() >= 1, "num_iterations", "expected an integer >= 1, got ",
                 o.num_iterations());
  MBRL_CHECK_ARG(o.population_size() >= 1, "population_size", "expected an integer >= 1, got ",
                 o.population_size());
  MBRL_CHECK_ARG(o.elite_ratio() > 0 && o.elite_ratio() <= 1, "elite_ratio",
                 "expected a number in (0, 1], got ", o.elite_ratio());
  MBRL_CHECK_ARG(o.alpha() >= 0 && o.alpha() < 1, "alpha", "expected a number in [0, 1), got ",
                 o.alpha());
  MBRL_CHECK_ARG(o.colored_noise_exponent() >= 0, "colored_noise_exponent",
                 "expected a number >= 0, got ", o.colored_noise_exponent());
  MBRL_CHECK_ARG(o.keep_elite_frac() >= 0 && o.keep_elite_frac() <= 1, "keep_elite_frac",
                 "expected a number in [0, 1], got ", o.keep_elite_frac());
  MBRL_CHECK_ARG(o.population_decay_factor() >= 1, "population_decay_factor",
                 "expected a number >= 1, got ", o.population_decay_factor());
  num_elites_ = ceil_count(o.elite_ratio() * static_cast<double>(o.population_size()));
  num_kept_ = ceil_count(o.keep_elite_frac() * static_cast<double>(num_elites_));
}

int64_t IcemOptimizer::sampled_population(int64_t it) const {
  const double p = static_cast<double>(options_.population_size()) *
                   std::pow(options_.population_decay_factor(), -static_cast<double>(it));
  return std::max(ceil_count(p), 2 * num_elites_);
}

void IcemOptimizer::reset() {
  last_elites_ = at::Tensor();
  pending_shift_ = 0;
}

void IcemOptimizer::shift(int64_t steps) {
  MBRL_ASSERT(steps >= 0, "negative shift ", steps);
  pending_shift_ += steps;
}

void IcemOptimizer::allocate(int64_t S, int64_t H) {
  const int64_t A = action_space_.dim();
  if (elites_.size() > 0 && elites_.elites().size(0) == S && elites_.elites().size(2) == H) return;
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  const int64_t capacity = sampled_population(0) + num_kept_ + 1;
  storage_ = torch::empty({S * capacity * H * A}, opts);
  elites_.allocate(S, num_elites_, H, A, opts);
  last_elites_ = at::Tensor();  // elites of another problem size cannot be carried over
}

at::Tensor IcemOptimizer::shifted_kept(const at::Tensor& mean) {
  const int64_t H = mean.size(1);
  const int64_t s = pending_shift_;
  auto pick = torch::randperm(num_elites_, gen_, mean.options().dtype(torch::kLong));
  auto kept = last_elites_.index_select(1, pick.narrow(0, 0, num_kept_));
  if (s == 0) return kept;

  // drop the executed steps; the new last actions are drawn around the warm start's tail with
  // the initial variance (mbrl-lib draws them from the first iteration's mean and variance)
  auto out = torch::empty_like(kept);
  out.narrow(2, 0, H - s).copy_(kept.narrow(2, s, H - s));
  auto tail = out.narrow(2, H - s, s);
  auto noise = torch::empty({num_kept_, s, action_space_.dim()}, mean.options());
  noise.normal_(0.0, 1.0, gen_);
  tail.copy_(noise.unsqueeze(0));
  tail.mul_(bounds_.initial_variance().sqrt()).add_(mean.narrow(1, H - s, s).unsqueeze(1));
  bounds_.clamp_(tail);
  return out;
}

int64_t IcemOptimizer::add_carried(int64_t it, at::Tensor& population, int64_t offset,
                                   const at::Tensor& mean) {
  const int64_t start = offset;
  if (it == 0 && last_elites_.defined() && num_kept_ > 0) {
    population.narrow(1, offset, num_kept_).copy_(shifted_kept(mean));
    offset += num_kept_;
  } else if (it > 0 && num_kept_ > 0) {
    auto pick = torch::randperm(num_elites_, gen_, mean.options().dtype(torch::kLong));
    population.narrow(1, offset, num_kept_)
        .copy_(elites_.elites().index_select(1, pick.narrow(0, 0, num_kept_)));
    offset += num_kept_;
  }
  if (it == options_.num_iterations() - 1) {
    population.narrow(1, offset, 1).copy_(mean.unsqueeze(1));
    offset += 1;
  }
  return offset - start;
}

at::Tensor IcemOptimizer::optimize(const SequenceObjective& objective, const at::Tensor& initial) {
  torch::NoGradGuard no_grad;
  begin_call(initial);
  const int64_t S = initial.size(0);
  const int64_t H = initial.size(1);
  const int64_t A = action_space_.dim();
  allocate(S, H);
  if (pending_shift_ >= H) last_elites_ = at::Tensor();  // every kept action was executed

  auto mean = initial.to(device_, torch::kFloat32, /*non_blocking=*/false, /*copy=*/true);
  bounds_.clamp_(mean);
  auto var = bounds_.initial_variance().expand_as(mean).clone();
  at::Tensor best, best_value, no_mask;
  if (!options_.return_mean_elites()) {
    best = mean.clone();
    best_value = torch::full({S}, -std::numeric_limits<float>::infinity(), mean.options());
  }

  const int64_t last = options_.num_iterations() - 1;
  for (int64_t it = 0; it <= last; ++it) {
    const int64_t n = sampled_population(it);
    const bool carries_kept = num_kept_ > 0 && (it > 0 || last_elites_.defined());
    const int64_t total = n + (carries_kept ? num_kept_ : 0) + (it == last ? 1 : 0);
    auto population = storage_.narrow(0, 0, S * total * H * A).view({S, total, H, A});

    // coloured noise runs along the horizon: drawn as [n, A, H], used as [n, H, A]
    auto samples = population.narrow(1, 0, n);
    samples.copy_(colored_noise(options_.colored_noise_exponent(), {n, A}, H, gen_, mean.options())
                      .transpose(1, 2)
                      .unsqueeze(0));
    samples.mul_(var.sqrt().unsqueeze(1)).add_(mean.unsqueeze(1));
    bounds_.clamp_(samples);
    const int64_t added = add_carried(it, population, n, mean);
    MBRL_ASSERT(n + added == total, "iCEM population bookkeeping");

    elites_.select(population, score(objective, population));
    if (best.defined()) elites_.track_best(best, best_value, no_mask);
    elites_.update(mean, var, options_.alpha(), no_mask);
  }

  last_elites_ = elites_.elites().clone();
  pending_shift_ = 0;
  return best.defined() ? best : mean;
}

}  // namespace mbrl

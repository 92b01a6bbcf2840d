// RandomShootingOptimizer.
#include "mbrl/planners/random_shooting.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

RandomShootingOptimizer::RandomShootingOptimizer(RandomShootingOptions options, Box action_space,
                                                 c10::Device device, at::Generator gen)
    : PopulationOptimizer(std::move(action_space), device, std::move(gen)), options_(options) {
  MBRL_CHECK_ARG(options_.population_size() >= 1, "population_size",
                 "expected an integer >= 1, got ", options_.population_size());
}

at::Tensor RandomShootingOptimizer::optimize(const SequenceObjective& objective,
                                             const at::Tensor& initial) {
  torch::NoGradGuard no_grad;
  begin_call(initial);
  const int64_t S = initial.size(0);
  const int64_t H = initial.size(1);
  const int64_t P = options_.population_size();
  const int64_t A = action_space_.dim();
  if (!population_.defined() || population_.size(0) != S || population_.size(2) != H) {
    auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
    noise_ = torch::empty({P, H, A}, opts);
    population_ = torch::empty({S, P, H, A}, opts);
  }

  // low + (high - low) u, the same candidates for every problem
  noise_.uniform_(0.0, 1.0, gen_).mul_(bounds_.high - bounds_.low).add_(bounds_.low);
  bounds_.clamp_(noise_);
  population_.copy_(noise_.unsqueeze(0));

  auto values = score(objective, population_);
  auto best = values.argmax(1).view({S, 1, 1, 1}).expand({S, 1, H, A});
  return population_.gather(1, best).squeeze(1);
}

}  // namespace mbrl

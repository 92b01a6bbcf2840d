// Problems with known answers for the action optimizer tests: a quadratic objective and a probe
// that records what an optimizer asked the objective to score.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "mbrl/core/rng.h"
#include "mbrl/core/types.h"
#include "mbrl/planners/action_optimizer.h"

namespace mbrl::test {

/// target: [S, H, A] -> the objective -sum_{h,a} (x - target)^2 per candidate, maximal at target.
inline SequenceObjective quadratic(const at::Tensor& target) {
  return [target](const at::Tensor& x) { return -(x - target.unsqueeze(1)).square().sum({2, 3}); };
}

/// Wraps an objective and records every call: the population sizes, whether every candidate lay
/// inside `box`, and (when keep_candidates) the candidates themselves.
struct ObjectiveProbe {
  explicit ObjectiveProbe(SequenceObjective inner, Box box, bool keep_candidates = false)
      : inner(std::move(inner)), box(std::move(box)), keep(keep_candidates) {}

  SequenceObjective objective() {
    return [this](const at::Tensor& x) {
      sizes.push_back(x.size(1));
      all_inside = all_inside && box.contains(x);
      if (keep) candidates.push_back(x.clone());
      return inner(x);
    };
  }

  SequenceObjective inner;
  Box box;
  bool keep;
  std::vector<int64_t> sizes;
  std::vector<at::Tensor> candidates;
  bool all_inside = true;
};

/// A CPU generator for tests.
inline at::Generator test_generator(uint64_t seed) {
  return make_generator(seed, c10::Device(c10::kCPU));
}

}  // namespace mbrl::test

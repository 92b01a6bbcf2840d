// ObserveSubset: hides observation entries, making a task partially observed.
#pragma once

#include <cstdint>
#include <vector>

#include "mbrl/envs/wrappers/env_wrapper.h"

namespace mbrl {

/// Keeps the observation entries `indices` (in that order) of the inner env and drops the rest,
/// e.g. `observe: [0, 1]` on pendulum ([cos, sin, theta_dot]) hides the angular velocity, which a
/// model can then infer only from a history of observations (the partially observed tasks of
/// the sequence-model comparisons). The task functions read the full state, so the wrapped env
/// has none. Throws InvalidArgument("observe", ...) for an empty list, an index outside
/// [0, obs_dim) or a repeated index.
class ObserveSubset : public EnvWrapper {
 public:
  ObserveSubset(std::shared_ptr<Env> inner, std::vector<int64_t> indices);

  const EnvSpec& spec() const override { return spec_; }
  at::Tensor reset(std::optional<uint64_t> seed = std::nullopt) override;
  StepResult step(const at::Tensor& act) override;
  std::shared_ptr<const TaskFunctions> task_functions() const override { return nullptr; }

  const std::vector<int64_t>& indices() const { return indices_; }

 private:
  std::vector<int64_t> indices_;
  at::Tensor index_;  // [obs_dim] int64
  EnvSpec spec_;
};

}  // namespace mbrl

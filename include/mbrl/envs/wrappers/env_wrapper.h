// EnvWrapper: forwards every call to an inner env; wrappers override what they change.
#pragma once

#include <memory>

#include "mbrl/envs/env.h"

namespace mbrl {

class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(std::shared_ptr<Env> inner) : inner_(std::move(inner)) {}

  const EnvSpec& spec() const override { return inner_->spec(); }
  at::Tensor reset(std::optional<uint64_t> seed = std::nullopt) override {
    return inner_->reset(seed);
  }
  StepResult step(const at::Tensor& act) override { return inner_->step(act); }
  std::shared_ptr<const TaskFunctions> task_functions() const override {
    return inner_->task_functions();
  }

  const std::shared_ptr<Env>& inner() const { return inner_; }

 protected:
  std::shared_ptr<Env> inner_;
};

}  // namespace mbrl

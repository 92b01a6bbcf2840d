// FrozenScope: a module's parameters stop requiring gradients for one scope, so a loss can flow
// through the module to its inputs without computing the module's own weight gradients.
#pragma once

#include <torch/nn/module.h>

namespace mbrl {

/// requires_grad(on) on every parameter of `module`.
void set_requires_grad(torch::nn::Module& module, bool on);

/// Sets requires_grad(false) on every parameter of `module` until the scope ends (also when it
/// throws). Autograd records this when the forward runs: a graph built inside the scope carries
/// gradients to the module's inputs but not to its parameters, whenever backward is called.
class FrozenScope {
 public:
  explicit FrozenScope(torch::nn::Module& module);
  ~FrozenScope();
  FrozenScope(const FrozenScope&) = delete;
  FrozenScope& operator=(const FrozenScope&) = delete;

 private:
  torch::nn::Module& module_;
};

}  // namespace mbrl

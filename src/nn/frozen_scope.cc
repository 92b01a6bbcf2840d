// FrozenScope.
#include "mbrl/nn/frozen_scope.h"

namespace mbrl {
void set_requires_grad(torch::nn::Module& module, bool on) {
  for (auto& p : module.parameters()) p.requires_grad_(on);
}

FrozenScope::FrozenScope(torch::nn::Module& module) : module_(module) {
  set_requires_grad(module_, false);
}

FrozenScope::~FrozenScope() { set_requires_grad(module_, true); }

}  // namespace mbrl

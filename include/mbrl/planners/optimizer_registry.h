// The action optimizer registry.
#pragma once

#include "mbrl/core/registry.h"

namespace mbrl {

class ActionOptimizer;

/// Registered action optimizers (`mbrl list optimizers`): cem, icem, mppi, random_shooting.
Registry<ActionOptimizer>& optimizer_registry();

/// Adds the built-in optimizers; called by register_builtins().
void register_optimizers();

}  // namespace mbrl

// The dynamics model registry.
#pragma once

#include "mbrl/core/registry.h"

namespace mbrl {

class DynamicsModel;

/// Registered model types (`mbrl list models`).
Registry<DynamicsModel>& model_registry();

/// Adds the built-in models; called by register_builtins().
void register_models();

}  // namespace mbrl

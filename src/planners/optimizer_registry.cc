// The action optimizer registry: built-in optimizers, one line each.
#include "mbrl/planners/optimizer_registry.h"

namespace mbrl {

Registry<ActionOptimizer>& optimizer_registry() {
  static Registry<ActionOptimizer> registry("optimizers");
  return registry;
}

void register_optimizers() {}

}  // namespace mbrl

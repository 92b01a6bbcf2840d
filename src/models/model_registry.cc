// The model registry: built-in dynamics models, one line each.
#include "mbrl/models/model_registry.h"

namespace mbrl {

Registry<DynamicsModel>& model_registry() {
  static Registry<DynamicsModel> registry("models");
  return registry;
}

void register_models() {}

}  // namespace mbrl

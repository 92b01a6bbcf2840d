// The one place that lists every layer's registration function.
#include "mbrl/register_builtins.h"

#include "mbrl/agents/agent_registry.h"
#include "mbrl/algorithms/algorithm.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/models/model_registry.h"
#include "mbrl/planners/optimizer_registry.h"

namespace mbrl {

void register_builtins() {
  register_envs();
  register_models();
  register_optimizers();
  register_agents();
  register_algorithms();
}

}  // namespace mbrl

// Umbrella header: everything a research project needs to build and run mbrl components.
#pragma once

#include "mbrl/core/build_context.h"
#include "mbrl/core/check.h"
#include "mbrl/core/device.h"
#include "mbrl/core/error.h"
#include "mbrl/core/registry.h"
#include "mbrl/core/rng.h"
#include "mbrl/core/thread_pool.h"
#include "mbrl/core/types.h"

#include "mbrl/config/config_node.h"
#include "mbrl/config/loader.h"
#include "mbrl/config/overrides.h"

#include "mbrl/io/atomic_file.h"
#include "mbrl/io/run_dir.h"
#include "mbrl/log/log.h"
#include "mbrl/log/metrics.h"

#include "mbrl/data/replay_buffer.h"

#include "mbrl/envs/classic/cartpole_swingup.h"
#include "mbrl/envs/classic/mountain_car_continuous.h"
#include "mbrl/envs/classic/pendulum.h"
#include "mbrl/envs/env.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/envs/sequence_scorer.h"
#include "mbrl/envs/task_functions.h"
#include "mbrl/envs/wrappers/rescale_action.h"
#include "mbrl/envs/wrappers/time_limit.h"

#include "mbrl/models/model_registry.h"
#include "mbrl/planners/optimizer_registry.h"

#include "mbrl/agents/agent.h"
#include "mbrl/agents/agent_registry.h"
#include "mbrl/agents/random_agent.h"

#include "mbrl/algorithms/algorithm.h"
#include "mbrl/algorithms/collect.h"
#include "mbrl/algorithms/episode.h"
#include "mbrl/algorithms/experiment.h"

#include "mbrl/register_builtins.h"

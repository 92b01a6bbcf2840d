// BuildContext: the derived values components are built with (dims, bounds, device, seed) and
// the components the experiment built before them (env, env maker, model), typed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <ATen/core/Generator.h>
#include <c10/core/Device.h>

#include "mbrl/core/check.h"
#include "mbrl/core/rng.h"
#include "mbrl/core/types.h"

namespace mbrl {

class DataParallel;
class DynamicsModel;
class Env;
struct EnvMaker;
class ThreadPool;

/// The components an Experiment builds before the agent and the algorithm, in this order; null
/// until built (and `model` null when the config has no `model` section). The experiment owns
/// them; a factory that needs one takes it from here and shares it. Agents and learners are not
/// here: each algorithm builds its own, typed as it needs it (see Algorithm::agent).
struct BuiltComponents {
  std::shared_ptr<Env> env;              // the training env
  std::shared_ptr<EnvMaker> env_maker;   // fresh envs of the same config (evaluation)
  std::shared_ptr<DynamicsModel> model;  // the `model:` section's model
};

/// Values a component needs but that are never options: they are derived from the environment
/// or the run (mbrl-lib fills `???` config entries for this; we pass them explicitly instead).
///
/// Components built earlier are in `built`, each under its own type. Copying a BuildContext is
/// cheap and shares those components.
struct BuildContext {
  c10::Device device{c10::kCPU};
  uint64_t seed = 0;                        // the run seed; see generator()
  std::shared_ptr<ThreadPool> thread_pool;  // may be null: single-threaded
  std::optional<EnvSpec> env_spec;          // set once the env is built
  /// This process's rank of a data-parallel run (mbrl train --nproc, WORLD_SIZE > 1), else null:
  /// model learners then train on their shard of each minibatch (ModelLearner::set_data_parallel).
  std::shared_ptr<DataParallel> data_parallel;
  BuiltComponents built;

  /// The env's spec; throws InternalError when no env has been built yet.
  const EnvSpec& env() const {
    MBRL_ASSERT(env_spec.has_value(), "BuildContext::env() before an env was built");
    return *env_spec;
  }

  /// A generator for `component` on this context's device, seeded from the run seed.
  at::Generator generator(const std::string& component) const {
    return make_generator(derive_seed(seed, component), device);
  }
  /// Same, on the CPU (for host-side sampling such as replay indices).
  at::Generator cpu_generator(const std::string& component) const {
    return make_generator(derive_seed(seed, component), c10::Device(c10::kCPU));
  }
};

}  // namespace mbrl

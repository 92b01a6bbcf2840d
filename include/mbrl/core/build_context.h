// BuildContext: the derived values components are built with (dims, bounds, device, seed) and
// the components built before them (task functions, models, agents).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <typeindex>
#include <unordered_map>

#include <ATen/core/Generator.h>
#include <c10/core/Device.h>

#include "mbrl/core/check.h"
#include "mbrl/core/rng.h"
#include "mbrl/core/types.h"

namespace mbrl {

class ThreadPool;

/// Values a component needs but that are never options: they are derived from the environment
/// or the run (mbrl-lib fills `???` config entries for this; we pass them explicitly instead).
///
/// Components built earlier are passed on by type: the experiment builds the env, then
/// `provide`s its task functions; the model; then the agent, and each factory `require`s what it
/// needs. Copying a BuildContext is cheap and shares the provided components.
struct BuildContext {
  c10::Device device{c10::kCPU};
  uint64_t seed = 0;                        // the run seed; see generator()
  std::shared_ptr<ThreadPool> thread_pool;  // may be null: single-threaded
  std::optional<EnvSpec> env_spec;          // set once the env is built

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

  /// Makes `component` available to components built later, under type T.
  template <class T>
  void provide(std::shared_ptr<T> component) {
    slots_[std::type_index(typeid(T))] = std::static_pointer_cast<void>(std::move(component));
  }
  /// The component provided as T, or nullptr.
  template <class T>
  std::shared_ptr<T> get() const {
    auto it = slots_.find(std::type_index(typeid(T)));
    return it == slots_.end() ? nullptr : std::static_pointer_cast<T>(it->second);
  }

 private:
  std::unordered_map<std::type_index, std::shared_ptr<void>> slots_;
};

}  // namespace mbrl

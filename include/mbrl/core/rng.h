// Seeding: one independent random generator per component, all derived from one run seed.
#pragma once

#include <cstdint>
#include <string_view>

#include <ATen/core/Generator.h>
#include <c10/core/Device.h>

namespace mbrl {

/// Mixes `seed` and a component name into a new 64-bit seed (splitmix64 of seed ^ FNV-1a(name)).
/// Components that draw random numbers own a generator seeded this way, so adding a component
/// never shifts the random stream of another.
uint64_t derive_seed(uint64_t seed, std::string_view component);

/// A new generator for `device` (CPU or CUDA) seeded with `seed`. Library code never uses the
/// global generator; it receives one of these.
at::Generator make_generator(uint64_t seed, const c10::Device& device);

/// Seeds the global torch generators (weight initialisation of nn modules draws from them).
void seed_global_generators(uint64_t seed);

}  // namespace mbrl

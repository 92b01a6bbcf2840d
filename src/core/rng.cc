// Seed derivation and generator construction.
#include "mbrl/core/rng.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <torch/cuda.h>
#include <torch/utils.h>

namespace mbrl {

uint64_t derive_seed(uint64_t seed, std::string_view component) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a offset basis
  for (char c : component) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  uint64_t z = seed ^ h;
  z += 0x9e3779b97f4a7c15ull;  // splitmix64 finalizer
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

at::Generator make_generator(uint64_t seed, const c10::Device& device) {
  if (device.is_cpu()) return at::make_generator<at::CPUGeneratorImpl>(seed);
  // a CUDA generator without CUDA headers: clone the device's default and reseed it
  at::Generator gen = at::globalContext().defaultGenerator(device).clone();
  gen.set_current_seed(seed);
  return gen;
}

void seed_global_generators(uint64_t seed) { torch::manual_seed(seed); }

}  // namespace mbrl

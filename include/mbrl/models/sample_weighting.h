// Per-transition weights of a model's training loss (objective-mismatch re-weighting): the
// transitions near the best trajectories collected so far count more.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>

namespace mbrl {

class ConfigNode;
class ReplayBuffer;

enum class SampleWeighting {
  kNone,                // every transition weighs 1
  kTrajectoryDistance,  // weights fall with the distance to the best episodes so far
};

/// Options of the `sample_weighting:` section of a model (YAML keys as the fields).
struct SampleWeightingOptions {
  /// YAML `type: none | trajectory_distance`.
  TORCH_ARG(SampleWeighting, type) = SampleWeighting::kNone;
  /// The reference: this many complete episodes with the highest returns, >= 1.
  TORCH_ARG(int64_t, best_episodes) = 1;
  /// Distance scale tau of the kernel, in standardized (s, a) units, > 0.
  TORCH_ARG(double, length_scale) = 1.0;
  /// Weight of a transition infinitely far from the reference, in [0, 1].
  TORCH_ARG(double, min_weight) = 0.1;
};

/// Throws InvalidArgument naming `sample_weighting.<key>` on a bad value.
void check_sample_weighting_options(const SampleWeightingOptions& options);
/// Reads the `sample_weighting:` section (type, best_episodes, length_scale, min_weight).
SampleWeightingOptions sample_weighting_options_from_config(const ConfigNode& section);

/// Lambert, Amos, Yadan, Calandra ("Objective Mismatch in Model-based Reinforcement Learning",
/// L4DC 2020, section 5) re-weight the model's NLL per transition by a decreasing function of its
/// distance to an expert trajectory. The kernel here is this library's choice, not the paper's
/// (its exact kernel could not be established from the sources at hand; shared/specs section 9):
///   w = min_weight + (1 - min_weight) exp(-d / length_scale),
/// d = the Euclidean distance from the row's (s, a) to the nearest reference row, both
/// standardized by the per-dimension mean and std of `points` (so length_scale is in std units).
/// points: [N, D], reference: [M, D] (M >= 1) -> [N] weights in [min_weight, 1]; a row equal to a
/// reference row weighs 1.
at::Tensor trajectory_distance_weights(const at::Tensor& points, const at::Tensor& reference,
                                       double length_scale, double min_weight);

/// The weights of every stored transition of `replay` (positions oldest first, as
/// `ReplayBuffer::all()`), [size()] float32: with kTrajectoryDistance, from the (s, a) rows of the
/// `best_episodes` complete episodes with the highest undiscounted return (fewer when fewer have
/// ended; all weights 1 while none has); with kNone, undefined.
at::Tensor replay_sample_weights(const ReplayBuffer& replay, const SampleWeightingOptions& options);

}  // namespace mbrl

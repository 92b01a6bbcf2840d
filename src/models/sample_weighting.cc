// Objective-mismatch re-weighting: distances of transitions to the best episodes so far.
#include "mbrl/models/sample_weighting.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "mbrl/config/config_node.h"
#include "mbrl/core/check.h"
#include "mbrl/data/replay_buffer.h"

namespace mbrl {

void check_sample_weighting_options(const SampleWeightingOptions& o) {
  MBRL_CHECK_ARG(o.best_episodes() >= 1, "sample_weighting.best_episodes",
                 "expected an integer >= 1, got ", o.best_episodes());
  MBRL_CHECK_ARG(o.length_scale() > 0, "sample_weighting.length_scale",
                 "expected a number > 0, got ", o.length_scale());
  MBRL_CHECK_ARG(o.min_weight() >= 0 && o.min_weight() <= 1, "sample_weighting.min_weight",
                 "expected a number in [0, 1], got ", o.min_weight());
}

SampleWeightingOptions sample_weighting_options_from_config(const ConfigNode& section) {
  SampleWeightingOptions o;
  const auto type = section.get_or<std::string>("type", "none");
  if (type == "none") {
    o.type(SampleWeighting::kNone);
  } else if (type == "trajectory_distance") {
    o.type(SampleWeighting::kTrajectoryDistance);
  } else {
    throw section.error("type", "expected one of none, trajectory_distance, got '" + type + "'");
  }
  MBRL_READ_OPTION(section, o, best_episodes);
  MBRL_READ_OPTION(section, o, length_scale);
  MBRL_READ_OPTION(section, o, min_weight);
  return o;
}

at::Tensor trajectory_distance_weights(const at::Tensor& points, const at::Tensor& reference,
                                       double length_scale, double min_weight) {
  MBRL_CHECK(points.dim() == 2 && reference.dim() == 2 && reference.size(0) >= 1 &&
                 reference.size(1) == points.size(1),
             "trajectory_distance_weights: expected points [N, D] and reference [M >= 1, D], got ",
             points.sizes(), " and ", reference.sizes());
  const at::Tensor mean = points.mean(0);
  const at::Tensor std = points.std(0, /*unbiased=*/false).clamp_min(1e-6);
  const at::Tensor p = (points - mean) / std, r = (reference - mean) / std;
  // nearest reference row, in chunks of rows so that the [rows, M] distance block stays small
  constexpr int64_t kChunk = 4096;
  std::vector<at::Tensor> nearest;
  for (int64_t i = 0; i < p.size(0); i += kChunk) {
    const at::Tensor rows = p.narrow(0, i, std::min(kChunk, p.size(0) - i));
    nearest.push_back(at::cdist(rows, r, 2.0, /*compute_mode: exact differences*/ 2).amin(1));
  }
  const at::Tensor d = torch::cat(nearest);
  return min_weight + (1.0 - min_weight) * (-d / length_scale).exp();
}

at::Tensor replay_sample_weights(const ReplayBuffer& replay, const SampleWeightingOptions& o) {
  if (o.type() == SampleWeighting::kNone) return {};
  const TransitionBatch data = replay.all();
  const auto episodes = replay.episodes();
  if (episodes.empty()) return torch::ones({replay.size()});
  std::vector<double> returns;
  for (const auto& [begin, end] : episodes) {
    returns.push_back(data.reward.narrow(0, begin, end - begin).sum().item<double>());
  }
  std::vector<size_t> order(episodes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return returns[a] > returns[b]; });
  const auto keep = std::min<size_t>(order.size(), static_cast<size_t>(o.best_episodes()));
  const at::Tensor points = torch::cat({data.obs, data.act}, 1);
  std::vector<at::Tensor> reference;
  for (size_t k = 0; k < keep; ++k) {
    const auto [begin, end] = episodes[order[k]];
    reference.push_back(points.narrow(0, begin, end - begin));
  }
  return trajectory_distance_weights(points, torch::cat(reference), o.length_scale(),
                                     o.min_weight());
}

}  // namespace mbrl

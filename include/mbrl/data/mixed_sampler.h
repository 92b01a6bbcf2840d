// Mixed minibatches of real and model-generated transitions (MBPO's real ratio).
#pragma once

#include <cstdint>

#include <ATen/core/Generator.h>

#include "mbrl/core/types.h"

namespace mbrl {

class ReplayBuffer;

/// Rows of a `batch_size` minibatch that come from the real buffer: floor(batch_size *
/// real_ratio), as MBPO splits it (jannerm/mbpo `_get_training_batch`). real_ratio in [0, 1].
int64_t real_rows(int64_t batch_size, double real_ratio);

/// A minibatch of `batch_size` transitions: real_rows(batch_size, real_ratio) drawn uniformly with
/// replacement from `real`, then the rest from `model`, in that order, with one CPU generator.
/// Throws InvalidArgument for a ratio outside [0, 1] and Error when a buffer that must give rows
/// is empty.
TransitionBatch sample_mixed(const ReplayBuffer& real, const ReplayBuffer& model,
                             int64_t batch_size, double real_ratio, at::Generator& gen);

}  // namespace mbrl

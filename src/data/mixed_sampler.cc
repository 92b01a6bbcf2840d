// Mixed real/model minibatches.
#include "mbrl/data/mixed_sampler.h"

#include <cmath>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/data/replay_buffer.h"

namespace mbrl {

int64_t real_rows(int64_t batch_size, double real_ratio) {
  MBRL_CHECK_ARG(real_ratio >= 0 && real_ratio <= 1, "real_ratio",
                 "expected a number in [0, 1], got ", real_ratio);
  return static_cast<int64_t>(std::floor(static_cast<double>(batch_size) * real_ratio));
}

TransitionBatch sample_mixed(const ReplayBuffer& real, const ReplayBuffer& model,
                             int64_t batch_size, double real_ratio, at::Generator& gen) {
  MBRL_CHECK_ARG(batch_size > 0, "batch_size", "expected a positive integer, got ", batch_size);
  const int64_t n_real = real_rows(batch_size, real_ratio);
  const int64_t n_model = batch_size - n_real;
  if (n_model == 0) return real.sample(n_real, gen);
  if (n_real == 0) return model.sample(n_model, gen);
  TransitionBatch r = real.sample(n_real, gen);
  TransitionBatch m = model.sample(n_model, gen);
  return TransitionBatch::cat({r, m});
}

}  // namespace mbrl

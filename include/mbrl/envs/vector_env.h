// VectorEnv: N environments of one config stepped together on a thread pool, with auto-reset.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

#include "mbrl/config/config_node.h"
#include "mbrl/core/build_context.h"
#include "mbrl/core/thread_pool.h"
#include "mbrl/envs/env.h"

namespace mbrl {

/// The result of stepping every env of a VectorEnv once. All tensors are on the CPU.
struct VectorStepResult {
  /// [N, obs_dim] float32: what to act on next. Where an episode ended this step (terminated or
  /// truncated) the env was reset and this is the first observation of its next episode.
  at::Tensor next_obs;
  /// [N, obs_dim] float32: the observation this step led to, for every env (the last one of the
  /// episode where it ended, else equal to next_obs). A transition is (obs, act, final_obs).
  at::Tensor final_obs;
  at::Tensor reward;      // [N] float32
  at::Tensor terminated;  // [N] bool
  at::Tensor truncated;   // [N] bool
};

/// N independent envs of one configuration stepped in parallel.
///
/// Each env keeps its own generator, and env i always writes row i, so the results depend only on
/// the seeds and the actions, never on thread timing or the number of threads. An env whose
/// episode ends is reset at once without a seed (its generator's stream continues), as Gymnasium's
/// vector envs do ("same-step" auto-reset, with the last observation in final_obs).
///
/// Threading contract: reset and step are called from one thread at a time; they run the envs on
/// the pool's threads (one env is only ever stepped by one thread at a time).
class VectorEnv {
 public:
  /// envs: N >= 1 envs with equal specs; pool: may be null (steps on the calling thread).
  VectorEnv(std::vector<std::shared_ptr<Env>> envs, std::shared_ptr<ThreadPool> pool);

  int64_t num_envs() const { return static_cast<int64_t>(envs_.size()); }
  /// The spec of env 0 (all are equal).
  const EnvSpec& spec() const { return envs_.front()->spec(); }
  const std::shared_ptr<Env>& env(int64_t i) const { return envs_.at(i); }

  /// Resets env i with seeds[i] (seeds: N values) -> first observations [N, obs_dim] float32.
  at::Tensor reset(const std::vector<uint64_t>& seeds);
  /// Resets env i with seed + i (Gymnasium's convention for one seed) -> [N, obs_dim].
  at::Tensor reset(uint64_t seed);
  /// Resets every env without a seed (each continues its own generator's stream) -> [N, obs_dim].
  at::Tensor reset();

  /// act: [N, act_dim] (any floating dtype and device) -> see VectorStepResult. Throws ShapeError
  /// on a wrong shape and Error when called before reset.
  VectorStepResult step(const at::Tensor& act);

 private:
  at::Tensor reset_all(const std::vector<uint64_t>* seeds);

  std::vector<std::shared_ptr<Env>> envs_;
  std::shared_ptr<ThreadPool> pool_;
  bool needs_reset_ = true;
};

/// Builds `num_envs` (>= 1) envs from one env config with make_env (wrappers included), each
/// seeded from a context whose seed is derive_seed(ctx.seed, "vector_env/<i>"), and steps them on
/// ctx.thread_pool. Throws InvalidArgument("num_envs") for num_envs < 1.
std::unique_ptr<VectorEnv> make_vector_env(const ConfigNode& node, const BuildContext& ctx,
                                           int64_t num_envs);

}  // namespace mbrl

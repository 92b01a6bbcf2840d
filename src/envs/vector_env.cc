// VectorEnv: parallel stepping with per-row results and same-step auto-reset.
#include "mbrl/envs/vector_env.h"

#include <cstring>
#include <optional>
#include <string>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/core/rng.h"
#include "mbrl/envs/env_registry.h"

namespace mbrl {
namespace {

// obs: [obs_dim] of any floating dtype -> row `row` of the float32 buffer `out`
void write_row(const at::Tensor& obs, float* out, int64_t obs_dim) {
  const at::Tensor o = obs.to(torch::kFloat32).contiguous();
  MBRL_ASSERT(o.numel() == obs_dim, "an env returned ", o.numel(), " observation values, expected ",
              obs_dim);
  std::memcpy(out, o.data_ptr<float>(), sizeof(float) * obs_dim);
}

}  // namespace

VectorEnv::VectorEnv(std::vector<std::shared_ptr<Env>> envs, std::shared_ptr<ThreadPool> pool)
    : envs_(std::move(envs)), pool_(std::move(pool)) {
  MBRL_CHECK_ARG(!envs_.empty(), "num_envs", "expected at least one env, got 0");
  if (!pool_) pool_ = std::make_shared<ThreadPool>(1);
  const EnvSpec& first = envs_.front()->spec();
  for (const auto& env : envs_) {
    MBRL_CHECK(env != nullptr, "VectorEnv: null env");
    const EnvSpec& s = env->spec();
    MBRL_CHECK(s.obs_dim() == first.obs_dim() && s.act_dim() == first.act_dim(),
               "VectorEnv: every env must have the same spec; got obs/act dims ", s.obs_dim(), "/",
               s.act_dim(), " and ", first.obs_dim(), "/", first.act_dim());
  }
}

at::Tensor VectorEnv::reset(const std::vector<uint64_t>& seeds) {
  MBRL_CHECK_ARG(static_cast<int64_t>(seeds.size()) == num_envs(), "seeds", "expected ", num_envs(),
                 " seeds (one per env), got ", seeds.size());
  return reset_all(&seeds);
}

at::Tensor VectorEnv::reset() { return reset_all(nullptr); }

at::Tensor VectorEnv::reset_all(const std::vector<uint64_t>* seeds) {
  const int64_t obs_dim = spec().obs_dim();
  at::Tensor obs = torch::empty({num_envs(), obs_dim}, torch::kFloat32);
  float* out = obs.data_ptr<float>();
  pool_->parallel_for(num_envs(), [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      const auto seed = seeds ? std::optional<uint64_t>((*seeds)[i]) : std::nullopt;
      write_row(envs_[i]->reset(seed), out + i * obs_dim, obs_dim);
    }
  });
  needs_reset_ = false;
  return obs;
}

at::Tensor VectorEnv::reset(uint64_t seed) {
  std::vector<uint64_t> seeds(num_envs());
  for (int64_t i = 0; i < num_envs(); ++i) seeds[i] = seed + static_cast<uint64_t>(i);
  return reset(seeds);
}

VectorStepResult VectorEnv::step(const at::Tensor& act) {
  MBRL_CHECK(!needs_reset_, "VectorEnv: step() before reset()");
  const int64_t n = num_envs(), obs_dim = spec().obs_dim();
  MBRL_CHECK_SHAPE(act, {n, spec().act_dim()}, "act");
  const at::Tensor actions = act.to(torch::kCPU).contiguous();

  VectorStepResult r;
  r.next_obs = torch::empty({n, obs_dim}, torch::kFloat32);
  r.final_obs = torch::empty({n, obs_dim}, torch::kFloat32);
  r.reward = torch::empty({n}, torch::kFloat32);
  r.terminated = torch::empty({n}, torch::kBool);
  r.truncated = torch::empty({n}, torch::kBool);
  float* next_obs = r.next_obs.data_ptr<float>();
  float* final_obs = r.final_obs.data_ptr<float>();
  float* reward = r.reward.data_ptr<float>();
  bool* terminated = r.terminated.data_ptr<bool>();
  bool* truncated = r.truncated.data_ptr<bool>();

  pool_->parallel_for(n, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      StepResult s = envs_[i]->step(actions[i]);
      write_row(s.obs, final_obs + i * obs_dim, obs_dim);
      reward[i] = static_cast<float>(s.reward);
      terminated[i] = s.terminated;
      truncated[i] = s.truncated;
      if (s.terminated || s.truncated) {
        write_row(envs_[i]->reset(), next_obs + i * obs_dim, obs_dim);
      } else {
        std::memcpy(next_obs + i * obs_dim, final_obs + i * obs_dim, sizeof(float) * obs_dim);
      }
    }
  });
  return r;
}

std::unique_ptr<VectorEnv> make_vector_env(const ConfigNode& node, const BuildContext& ctx,
                                           int64_t num_envs) {
  MBRL_CHECK_ARG(num_envs >= 1, "num_envs", "expected a positive integer, got ", num_envs);
  std::vector<std::shared_ptr<Env>> envs;
  envs.reserve(num_envs);
  for (int64_t i = 0; i < num_envs; ++i) {
    BuildContext c = ctx;
    c.seed = derive_seed(ctx.seed, "vector_env/" + std::to_string(i));
    envs.push_back(make_env(node, c));
  }
  return std::make_unique<VectorEnv>(std::move(envs), ctx.thread_pool);
}

}  // namespace mbrl

// D4RL datasets from rollouts, replay buffers and stitching.
#include "mbrl/algorithms/d4rl_collect.h"

#include <vector>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/core/rng.h"
#include "mbrl/envs/mujoco/mujoco_env.h"
#include "mbrl/envs/wrappers/env_wrapper.h"
#include "mbrl/io/checkpoint_archive.h"

namespace mbrl {

namespace {

namespace fs = std::filesystem;

// The MuJoCo env inside `env`'s wrappers, or null for other envs.
const MujocoEnv* find_mujoco_env(const Env& env) {
  const Env* current = &env;
  while (current != nullptr) {
    if (const auto* mujoco = dynamic_cast<const MujocoEnv*>(current)) return mujoco;
    const auto* wrapper = dynamic_cast<const EnvWrapper*>(current);
    current = wrapper != nullptr ? wrapper->inner().get() : nullptr;
  }
  return nullptr;
}

// Rows appended one at a time into flat vectors, stacked once at the end.
class RowColumn {
 public:
  explicit RowColumn(int64_t width) : width_(width) {}
  void add(const at::Tensor& row) {
    const at::Tensor values = row.detach().to(at::kCPU, at::kFloat).contiguous().reshape({-1});
    MBRL_ASSERT(values.numel() == width_, "d4rl collect: a row of ", values.numel(),
                " values, expected ", width_);
    const float* data = values.data_ptr<float>();
    values_.insert(values_.end(), data, data + width_);
  }
  void add(const double* data) { values_.insert(values_.end(), data, data + width_); }
  void add(double value) { values_.push_back(static_cast<float>(value)); }
  // the first `rows` rows, [rows, width]
  at::Tensor rows(int64_t rows) const {
    return torch::from_blob(const_cast<float*>(values_.data()), {rows, width_}, torch::kFloat)
        .clone();
  }

 private:
  int64_t width_;
  std::vector<float> values_;
};

}  // namespace

D4rlDataset collect_d4rl(Env& env, Agent& agent, const D4rlCollectOptions& options) {
  check_positive(options.transitions, "transitions");
  torch::NoGradGuard no_grad;
  const EnvSpec& spec = env.spec();
  const MujocoEnv* mujoco = find_mujoco_env(env);
  const int64_t nq = mujoco != nullptr ? mujoco->model()->nq : 0;
  const int64_t nv = mujoco != nullptr ? mujoco->model()->nv : 0;
  RowColumn obs(spec.obs_dim()), act(spec.act_dim()), next_obs(spec.obs_dim()), reward(1), qpos(nq),
      qvel(nv);
  std::vector<uint8_t> terminals, timeouts;
  const uint64_t seed = derive_seed(options.seed, "d4rl_collect");
  int64_t rows = 0;
  for (uint64_t episode = 0; rows < options.transitions; ++episode) {
    agent.reset();
    at::Tensor state = env.reset(seed + episode);
    while (true) {
      if (mujoco != nullptr) {  // before the step, as collect_data.py stored them
        qpos.add(mujoco->data()->qpos);
        qvel.add(mujoco->data()->qvel);
      }
      const at::Tensor action = agent.act(state, options.mode);
      const StepResult step = env.step(action);
      obs.add(state);
      act.add(action);
      next_obs.add(step.obs);
      reward.add(step.reward);
      timeouts.push_back(step.truncated);
      terminals.push_back(step.terminated && !step.truncated);
      ++rows;
      state = step.obs;
      if (step.terminated || step.truncated) break;
    }
  }
  const int64_t n = options.transitions;  // whole episodes, then cut to num_data
  D4rlDataset data;
  data.observations = obs.rows(n);
  data.actions = act.rows(n);
  data.next_observations = next_obs.rows(n);
  data.rewards = reward.rows(n).reshape({n});
  data.terminals = torch::from_blob(terminals.data(), {n}, torch::kUInt8).to(torch::kBool);
  data.timeouts = torch::from_blob(timeouts.data(), {n}, torch::kUInt8).to(torch::kBool);
  if (mujoco != nullptr) {
    data.qpos = qpos.rows(n);
    data.qvel = qvel.rows(n);
  }
  return data;
}

D4rlDataset d4rl_from_replay(const ReplayBuffer& replay) {
  if (replay.size() == 0) throw DataError("d4rl_from_replay: the replay buffer is empty");
  const TransitionBatch all = replay.all();
  D4rlDataset data;
  data.observations = all.obs;
  data.actions = all.act;
  data.next_observations = all.next_obs;
  data.rewards = all.reward;
  data.timeouts = all.truncated.clone();
  data.terminals = all.terminated.logical_and(all.truncated.logical_not());
  return data;
}

D4rlDataset d4rl_from_run_replay(const fs::path& run_dir) {
  const fs::path path = run_dir / "checkpoints" / "checkpoint.pt";
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw DataError(path.string() + ": no checkpoint (the run folder holds no replay buffer)");
  torch::serialize::InputArchive archive, algorithm, replay;
  try {
    archive.load_from(path.string());
    archive.read("algorithm", algorithm);
  } catch (const c10::Error&) {
    throw DataError(path.string() + ": not a checkpoint (cannot be read as a torch archive)");
  }
  if (!algorithm.try_read("replay", replay))
    throw DataError(path.string() +
                    ": the checkpoint holds no replay buffer (entry 'replay'; SAC and MBPO runs "
                    "have one)");
  at::Tensor obs, act;
  if (!replay.try_read("obs", obs) || !replay.try_read("act", act) || obs.dim() != 2 ||
      act.dim() != 2)
    throw DataError(path.string() + ": replay buffer entries 'obs' and 'act' are missing");
  ReplayBuffer buffer(std::max<int64_t>(obs.size(0), 1), obs.size(1), act.size(1));
  buffer.load(replay, path.string());
  return d4rl_from_replay(buffer);
}

D4rlDataset stitch_d4rl(const D4rlDataset& first, const D4rlDataset& second, int64_t max_rows) {
  check_positive(max_rows, "max_rows");
  first.check("stitch: first dataset");
  second.check("stitch: second dataset");
  if (first.obs_dim() != second.obs_dim() || first.act_dim() != second.act_dim())
    throw DataError(detail::str("stitch: the datasets differ in dimensions: obs ", first.obs_dim(),
                                " and ", second.obs_dim(), ", act ", first.act_dim(), " and ",
                                second.act_dim()));
  const at::Tensor ends = first.terminals.logical_or(first.timeouts).nonzero();
  if (ends.numel() == 0)
    throw DataError("stitch: the first dataset has no complete episode (no terminal or timeout)");
  const int64_t keep = ends[-1][0].item<int64_t>() + 1;
  const int64_t rows = std::min(keep + second.size(), max_rows);
  const auto join = [&](const at::Tensor& a, const at::Tensor& b) {
    if (!a.defined() || !b.defined() || !a.sizes().slice(1).equals(b.sizes().slice(1)))
      return at::Tensor();
    return torch::cat({a.narrow(0, 0, keep), b}).narrow(0, 0, rows).clone();
  };
  D4rlDataset out;
  out.observations = join(first.observations, second.observations);
  out.actions = join(first.actions, second.actions);
  out.rewards = join(first.rewards, second.rewards);
  out.terminals = join(first.terminals, second.terminals);
  out.timeouts = join(first.timeouts, second.timeouts);
  out.next_observations = join(first.next_observations, second.next_observations);
  out.qpos = join(first.qpos, second.qpos);
  out.qvel = join(first.qvel, second.qvel);
  return out;
}

}  // namespace mbrl

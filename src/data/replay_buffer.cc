// ReplayBuffer: ring storage, sampling, episode boundaries and serialization.
#include "mbrl/data/replay_buffer.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/io/checkpoint_archive.h"

namespace mbrl {

ReplayBuffer::ReplayBuffer(int64_t capacity, int64_t obs_dim, int64_t act_dim)
    : capacity_(capacity), obs_dim_(obs_dim), act_dim_(act_dim) {
  MBRL_CHECK_ARG(capacity > 0, "capacity", "expected a positive integer, got ", capacity);
  MBRL_CHECK(obs_dim > 0 && act_dim > 0, "ReplayBuffer: dims must be positive");
  obs_ = torch::zeros({capacity, obs_dim});
  next_obs_ = torch::zeros({capacity, obs_dim});
  act_ = torch::zeros({capacity, act_dim});
  reward_ = torch::zeros({capacity});
  terminated_ = torch::zeros({capacity}, torch::kBool);
  truncated_ = torch::zeros({capacity}, torch::kBool);
  step_in_episode_ = torch::zeros({capacity}, torch::kInt64);
}

void ReplayBuffer::add(const at::Tensor& obs, const at::Tensor& act, const at::Tensor& next_obs,
                       double reward, bool terminated, bool truncated) {
  MBRL_CHECK_SHAPE(obs, {obs_dim_}, "obs");
  MBRL_CHECK_SHAPE(act, {act_dim_}, "act");
  MBRL_CHECK_SHAPE(next_obs, {obs_dim_}, "next_obs");
  obs_[next_].copy_(obs);
  act_[next_].copy_(act);
  next_obs_[next_].copy_(next_obs);
  reward_.data_ptr<float>()[next_] = static_cast<float>(reward);
  terminated_.data_ptr<bool>()[next_] = terminated;
  truncated_.data_ptr<bool>()[next_] = truncated;
  step_in_episode_.data_ptr<int64_t>()[next_] = episode_step_;
  episode_step_ = (terminated || truncated) ? 0 : episode_step_ + 1;
  next_ = (next_ + 1) % capacity_;
  size_ = std::min(size_ + 1, capacity_);
  ++num_added_;
}

void ReplayBuffer::add_batch(const TransitionBatch& batch) {
  batch.check(obs_dim_, act_dim_);
  const int64_t n = batch.size();
  if (n == 0) return;
  auto done = batch.terminated.logical_or(batch.truncated).to(torch::kCPU).contiguous();

  // step index within the episode of every row, continuing the current episode
  auto steps = torch::empty({n}, torch::kInt64);
  int64_t* st = steps.data_ptr<int64_t>();
  const bool* d = done.data_ptr<bool>();
  for (int64_t i = 0; i < n; ++i) {
    st[i] = episode_step_;
    episode_step_ = d[i] ? 0 : episode_step_ + 1;
  }

  // rows that would be overwritten within this same batch are skipped
  const int64_t skip = std::max<int64_t>(0, n - capacity_);
  auto rows = torch::arange(skip, n);
  auto idx = (rows + next_).remainder(capacity_);
  auto put = [&](at::Tensor& dst, const at::Tensor& src) {
    dst.index_copy_(0, idx,
                    src.index_select(0, rows.to(src.device())).to(torch::kCPU, dst.scalar_type()));
  };
  put(obs_, batch.obs);
  put(act_, batch.act);
  put(next_obs_, batch.next_obs);
  put(reward_, batch.reward);
  put(terminated_, batch.terminated);
  put(truncated_, batch.truncated);
  put(step_in_episode_, steps);
  next_ = (next_ + n) % capacity_;
  size_ = std::min(size_ + n, capacity_);
  num_added_ += n;
}

at::Tensor ReplayBuffer::slots(const at::Tensor& positions) const {
  const int64_t oldest = size_ < capacity_ ? 0 : next_;
  return (positions + oldest).remainder(capacity_);
}

TransitionBatch ReplayBuffer::at(const at::Tensor& positions) const {
  auto idx = slots(positions.to(torch::kInt64));
  return {obs_.index_select(0, idx),        act_.index_select(0, idx),
          next_obs_.index_select(0, idx),   reward_.index_select(0, idx),
          terminated_.index_select(0, idx), truncated_.index_select(0, idx)};
}

TransitionBatch ReplayBuffer::sample(int64_t batch_size, at::Generator& gen) const {
  MBRL_CHECK(size_ > 0, "ReplayBuffer::sample: the buffer is empty");
  MBRL_CHECK_ARG(batch_size > 0, "batch_size", "expected a positive integer, got ", batch_size);
  auto idx = torch::randint(size_, {batch_size}, gen, torch::kInt64);
  return at(idx);
}

SequenceBatch ReplayBuffer::sample_sequences(int64_t batch_size, int64_t length,
                                             at::Generator& gen) const {
  return sequences_at(sample_sequence_starts(batch_size, length, gen), length);
}

at::Tensor ReplayBuffer::sample_sequence_starts(int64_t batch_size, int64_t length,
                                                at::Generator& gen) const {
  MBRL_CHECK_ARG(batch_size > 0, "batch_size", "expected a positive integer, got ", batch_size);
  MBRL_CHECK_ARG(length >= 1 && length <= size_, "length", "expected 1 <= length <= ", size_,
                 " (the stored transitions), got ", length);
  return torch::randint(size_ - length + 1, {batch_size}, gen, torch::kInt64);
}

at::Tensor ReplayBuffer::transition_ids(const at::Tensor& positions) const {
  return positions.to(torch::kInt64) + (num_added_ - size_);
}

at::Tensor ReplayBuffer::episode_ids(const at::Tensor& positions) const {
  const at::Tensor p = positions.to(torch::kInt64);
  return transition_ids(p) - step_in_episode_.index_select(0, slots(p.flatten())).view(p.sizes());
}

SequenceBatch ReplayBuffer::sequences_at(const at::Tensor& first, int64_t length) const {
  MBRL_CHECK_SHAPE(first, {-1}, "first");
  const int64_t batch_size = first.size(0);
  const at::Tensor positions =
      (first.to(torch::kInt64).unsqueeze(0) + torch::arange(length).unsqueeze(1)).flatten();
  MBRL_CHECK(batch_size == 0 ||
                 (positions.min().item<int64_t>() >= 0 && positions.max().item<int64_t>() < size_),
             "ReplayBuffer::sequences_at: sequences must lie in the ", size_,
             " stored transitions");
  return time_major(at(positions), starts_episode(positions), length, batch_size);
}

at::Tensor ReplayBuffer::starts_episode(const at::Tensor& positions) const {
  return step_in_episode_.index_select(0, slots(positions)) == 0;
}

SequenceBatch ReplayBuffer::time_major(const TransitionBatch& steps, const at::Tensor& is_first,
                                       int64_t length, int64_t batch) {
  auto view = [&](const at::Tensor& t) {
    std::vector<int64_t> shape{length, batch};
    shape.insert(shape.end(), t.sizes().begin() + 1, t.sizes().end());
    return t.view(shape);
  };
  return {view(steps.obs),        view(steps.act),       view(steps.next_obs), view(steps.reward),
          view(steps.terminated), view(steps.truncated), view(is_first)};
}

RolloutStart ReplayBuffer::rollout_starts(const at::Tensor& positions_in, int64_t history) const {
  MBRL_CHECK_SHAPE(positions_in, {-1}, "positions");
  MBRL_CHECK_ARG(history >= 0, "history", "expected an integer >= 0, got ", history);
  const at::Tensor positions = positions_in.to(torch::kInt64);
  MBRL_CHECK(positions.numel() == 0 ||
                 (positions.min().item<int64_t>() >= 0 && positions.max().item<int64_t>() < size_),
             "ReplayBuffer::rollout_starts: positions must lie in the ", size_,
             " stored transitions");
  const int64_t n = positions.size(0);
  RolloutStart start;
  start.obs = at(positions).obs;
  // the oldest stored transition starts what the buffer still knows of its episode
  start.is_first = starts_episode(positions).logical_or(positions == 0);
  if (history == 0) return start;

  // [L, N] positions p - L .. p - 1; those before the oldest transition repeat it
  const at::Tensor clamped =
      (positions.unsqueeze(0) + torch::arange(-history, 0, torch::kInt64).unsqueeze(1))
          .clamp_min(0)
          .flatten();
  start.history =
      time_major(at(clamped), starts_episode(clamped).logical_or(clamped == 0), history, n);
  return start;
}

RolloutStart ReplayBuffer::sample_rollout_starts(int64_t batch_size, int64_t history,
                                                 at::Generator& gen) const {
  MBRL_CHECK(size_ > 0, "ReplayBuffer::sample_rollout_starts: the buffer is empty");
  MBRL_CHECK_ARG(batch_size > 0, "batch_size", "expected a positive integer, got ", batch_size);
  return rollout_starts(torch::randint(size_, {batch_size}, gen, torch::kInt64), history);
}

TransitionBatch ReplayBuffer::all() const { return at(torch::arange(size_)); }

std::vector<std::pair<int64_t, int64_t>> ReplayBuffer::episodes() const {
  std::vector<std::pair<int64_t, int64_t>> out;
  auto data = at(torch::arange(size_));
  auto done = data.terminated.logical_or(data.truncated);
  auto steps = step_in_episode_.index_select(0, slots(torch::arange(size_)));
  const bool* d = done.data_ptr<bool>();
  const int64_t* s = steps.data_ptr<int64_t>();
  int64_t begin = -1;
  for (int64_t p = 0; p < size_; ++p) {
    if (s[p] == 0) begin = p;
    if (d[p] && begin >= 0) {
      out.emplace_back(begin, p + 1);
      begin = -1;
    }
  }
  return out;
}

void ReplayBuffer::save(torch::serialize::OutputArchive& archive) const {
  auto data = all();
  archive.write("obs", data.obs);
  archive.write("act", data.act);
  archive.write("next_obs", data.next_obs);
  archive.write("reward", data.reward);
  archive.write("terminated", data.terminated);
  archive.write("truncated", data.truncated);
  archive.write("step_in_episode", step_in_episode_.index_select(0, slots(torch::arange(size_))));
  archive.write("counters", torch::tensor({num_added_, episode_step_}, torch::kInt64));
}

void ReplayBuffer::load(torch::serialize::InputArchive& archive, const std::string& source) {
  auto read = [&](const char* key, at::ScalarType dtype, std::vector<int64_t> dims) {
    at::Tensor t;
    if (!archive.try_read(key, t))
      throw DataError(source + ": replay buffer entry '" + key + "' is missing");
    bool ok = t.scalar_type() == dtype && t.dim() == static_cast<int64_t>(dims.size());
    for (size_t i = 0; ok && i < dims.size(); ++i) ok = dims[i] < 0 || t.size(i) == dims[i];
    if (!ok) {
      throw DataError(detail::str(source, ": replay buffer entry '", key, "' has shape ", t.sizes(),
                                  " and type ", t.scalar_type(), "; this buffer expects [",
                                  dims.size() > 1 ? "N, " + std::to_string(dims[1]) : "N", "]"));
    }
    return t;
  };
  TransitionBatch b{read("obs", torch::kFloat32, {-1, obs_dim_}),
                    read("act", torch::kFloat32, {-1, act_dim_}),
                    read("next_obs", torch::kFloat32, {-1, obs_dim_}),
                    read("reward", torch::kFloat32, {-1}),
                    read("terminated", torch::kBool, {-1}),
                    read("truncated", torch::kBool, {-1})};
  auto steps = read("step_in_episode", torch::kInt64, {-1});
  auto counters = read("counters", torch::kInt64, {2});
  const int64_t n = b.size();
  for (const auto& t : {b.act, b.next_obs, b.reward, b.terminated, b.truncated, steps}) {
    if (t.size(0) != n) throw DataError(source + ": replay buffer entries have different lengths");
  }
  if (!torch::isfinite(b.obs).all().item<bool>() ||
      !torch::isfinite(b.next_obs).all().item<bool>() ||
      !torch::isfinite(b.reward).all().item<bool>() || !torch::isfinite(b.act).all().item<bool>()) {
    throw DataError(source + ": replay buffer contains non-finite values");
  }
  const int64_t keep = std::min(n, capacity_);
  const int64_t from = n - keep;
  obs_.narrow(0, 0, keep).copy_(b.obs.narrow(0, from, keep));
  act_.narrow(0, 0, keep).copy_(b.act.narrow(0, from, keep));
  next_obs_.narrow(0, 0, keep).copy_(b.next_obs.narrow(0, from, keep));
  reward_.narrow(0, 0, keep).copy_(b.reward.narrow(0, from, keep));
  terminated_.narrow(0, 0, keep).copy_(b.terminated.narrow(0, from, keep));
  truncated_.narrow(0, 0, keep).copy_(b.truncated.narrow(0, from, keep));
  step_in_episode_.narrow(0, 0, keep).copy_(steps.narrow(0, from, keep));
  size_ = keep;
  next_ = keep % capacity_;
  num_added_ = counters[0].item<int64_t>();
  episode_step_ = counters[1].item<int64_t>();
}

void ReplayBuffer::save(const std::filesystem::path& path) const {
  checkpoint::save_file(path, "the replay buffer",
                        [&](torch::serialize::OutputArchive& a) { save(a); });
}

void ReplayBuffer::load(const std::filesystem::path& path) {
  torch::serialize::InputArchive archive = checkpoint::load_file(path, "a replay buffer file");
  load(archive, path.string());
}

}  // namespace mbrl

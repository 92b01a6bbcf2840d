// StepReplay.
#include "mbrl/data/step_replay.h"

#include <stdexcept>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/core/error.h"

namespace mbrl {

StepBatch StepBatch::to(c10::Device device) const {
  return {obs.to(device), prev_act.to(device), reward.to(device), is_first.to(device),
          is_terminal.to(device)};
}

StepBatch episode_steps(const TransitionBatch& episode, const at::Tensor& act) {
  const int64_t n = episode.size();
  MBRL_CHECK(n >= 1 && act.dim() == 2 && act.size(0) == n,
             "episode_steps: expected an episode of N >= 1 transitions and act [N, act_dim], got ",
             n, " transitions and act ", act.sizes());
  const auto bools = episode.obs.options().dtype(torch::kBool);
  StepBatch b;
  b.obs = torch::cat({episode.obs.narrow(0, 0, 1), episode.next_obs}).unsqueeze(1);
  b.prev_act = torch::cat({torch::zeros({1, act.size(1)}, act.options()), act}).unsqueeze(1);
  b.reward = torch::cat({torch::zeros({1}, episode.reward.options()), episode.reward.reshape({n})})
                 .unsqueeze(1);
  b.is_first = torch::zeros({n + 1, 1}, bools);
  b.is_first[0] = true;
  b.is_terminal =
      torch::cat({torch::zeros({1}, bools), episode.terminated.reshape({n}).to(torch::kBool)})
          .unsqueeze(1);
  return b;
}

StepReplay::StepReplay(int64_t capacity, int64_t obs_dim, int64_t act_dim)
    : capacity_(capacity), obs_dim_(obs_dim), act_dim_(act_dim) {
  MBRL_CHECK_ARG(capacity >= 1, "replay_capacity", "expected an integer >= 1, got ", capacity);
  MBRL_CHECK(obs_dim >= 1 && act_dim >= 1, "StepReplay: expected obs_dim, act_dim >= 1, got ",
             obs_dim, ", ", act_dim);
  obs_ = torch::zeros({capacity, obs_dim});
  prev_act_ = torch::zeros({capacity, act_dim});
  reward_ = torch::zeros({capacity});
  is_first_ = torch::zeros({capacity}, torch::kBool);
  is_terminal_ = torch::zeros({capacity}, torch::kBool);
}

void StepReplay::push(const at::Tensor& obs, const at::Tensor& act, double reward, bool first,
                      bool terminal) {
  MBRL_CHECK(obs.numel() == obs_dim_, "StepReplay: expected an observation of ", obs_dim_,
             " values, got ", obs.sizes());
  obs_[next_].copy_(obs.reshape({obs_dim_}));
  if (act.defined()) {
    MBRL_CHECK(act.numel() == act_dim_, "StepReplay: expected an action of ", act_dim_,
               " values, got ", act.sizes());
    prev_act_[next_].copy_(act.reshape({act_dim_}));
  } else {
    prev_act_[next_].zero_();
  }
  reward_[next_] = reward;
  is_first_[next_] = first;
  is_terminal_[next_] = terminal;
  next_ = (next_ + 1) % capacity_;
  size_ = std::min(size_ + 1, capacity_);
}

void StepReplay::add_first(const at::Tensor& obs) {
  push(obs, at::Tensor(), 0.0, /*first=*/true, /*terminal=*/false);
  in_episode_ = true;
}

void StepReplay::add(const at::Tensor& obs, const at::Tensor& act, double reward, bool terminated) {
  if (!in_episode_) throw std::logic_error("StepReplay::add before add_first");
  push(obs, act, reward, /*first=*/false, terminated);
}

StepBatch StepReplay::chunks_at(const at::Tensor& starts, int64_t length) const {
  MBRL_CHECK(length >= 1 && length <= size_, "StepReplay: chunks of ", length,
             " steps need 1 <= length <= size = ", size_);
  const at::Tensor s = starts.to(torch::kInt64).cpu();
  MBRL_CHECK(s.dim() == 1 && (s.numel() == 0 || (s.min().item<int64_t>() >= 0 &&
                                                 s.max().item<int64_t>() <= size_ - length)),
             "StepReplay: chunk starts must lie in [0, ", size_ - length, "]");
  // oldest step's slot; logical position p is slot (oldest + p) % capacity
  const int64_t oldest = size_ < capacity_ ? 0 : next_;
  at::Tensor slots = (s.unsqueeze(0) + torch::arange(length, torch::kInt64).unsqueeze(1) + oldest)
                         .remainder(capacity_);  // [T, B]
  StepBatch b;
  b.obs = obs_.index({slots});
  b.prev_act = prev_act_.index({slots});
  b.reward = reward_.index({slots});
  b.is_first = is_first_.index({slots});
  b.is_terminal = is_terminal_.index({slots});
  return b;
}

StepBatch StepReplay::sample(int64_t batch, int64_t length, at::Generator& gen) const {
  MBRL_CHECK(batch >= 1, "StepReplay: expected a batch >= 1, got ", batch);
  MBRL_CHECK(length >= 1 && length <= size_, "StepReplay: chunks of ", length,
             " steps need 1 <= length <= size = ", size_);
  at::Tensor starts = at::randint(size_ - length + 1, {batch}, gen, torch::kInt64);
  return chunks_at(starts, length);
}

void StepReplay::save(torch::serialize::OutputArchive& archive) const {
  const StepBatch all =
      size_ == 0 ? StepBatch{} : chunks_at(torch::zeros({1}, torch::kInt64), size_);
  if (size_ > 0) {
    archive.write("steps_obs", all.obs.squeeze(1));
    archive.write("steps_prev_act", all.prev_act.squeeze(1));
    archive.write("steps_reward", all.reward.squeeze(1));
    archive.write("steps_is_first", all.is_first.squeeze(1));
    archive.write("steps_is_terminal", all.is_terminal.squeeze(1));
  }
  archive.write("steps_state", torch::tensor({size_, static_cast<int64_t>(in_episode_)}));
}

void StepReplay::load(torch::serialize::InputArchive& archive, const std::string& source) {
  at::Tensor state;
  if (!archive.try_read("steps_state", state) || state.numel() != 2) {
    throw DataError(source + ": step replay entry 'steps_state' is missing or malformed");
  }
  const int64_t n = state[0].item<int64_t>();
  if (n < 0 || n > capacity_) {
    throw DataError(detail::str(source, ": step replay holds ", n,
                                " steps; this one keeps at most ", capacity_));
  }
  auto read = [&](const char* key, std::vector<int64_t> dims) {
    at::Tensor t;
    if (!archive.try_read(key, t)) {
      throw DataError(source + ": step replay entry '" + key + "' is missing");
    }
    if (t.sizes().vec() != dims) {
      throw DataError(detail::str(source, ": step replay entry '", key, "' has shape ", t.sizes(),
                                  ", expected ", at::IntArrayRef(dims)));
    }
    return t;
  };
  StepReplay fresh(capacity_, obs_dim_, act_dim_);
  if (n > 0) {
    fresh.obs_.narrow(0, 0, n).copy_(read("steps_obs", {n, obs_dim_}));
    fresh.prev_act_.narrow(0, 0, n).copy_(read("steps_prev_act", {n, act_dim_}));
    fresh.reward_.narrow(0, 0, n).copy_(read("steps_reward", {n}));
    fresh.is_first_.narrow(0, 0, n).copy_(read("steps_is_first", {n}));
    fresh.is_terminal_.narrow(0, 0, n).copy_(read("steps_is_terminal", {n}));
  }
  fresh.size_ = n;
  fresh.next_ = n % capacity_;
  fresh.in_episode_ = state[1].item<int64_t>() != 0;
  *this = std::move(fresh);
}

}  // namespace mbrl

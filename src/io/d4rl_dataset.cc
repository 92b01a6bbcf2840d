// D4RL-layout HDF5 datasets (specs section 12; keys from D4RL issue #100).
#include "mbrl/io/d4rl_dataset.h"

#include <ATen/ATen.h>

#include "hdf5_file.h"
#include "mbrl/core/check.h"
#include "mbrl/io/atomic_file.h"

namespace mbrl {

namespace {

namespace fs = std::filesystem;

std::string shape_text(const at::Tensor& t) {
  return detail::list_text(std::vector<int64_t>(t.sizes().begin(), t.sizes().end()));
}

// Throws unless `t` is a `dtype` tensor of `rank` dimensions with `rows` rows (and `columns`
// columns when given).
void check_field(const std::string& source, const char* key, const at::Tensor& t,
                 at::ScalarType dtype, int64_t rank, int64_t rows, int64_t columns = -1) {
  const char* expected = rank == 1 ? "[N]" : "[N, dim]";
  if (!t.defined()) throw DataError(detail::str(source, ": ", key, ": missing"));
  if (t.dim() != rank || (rank == 2 && t.size(1) < 1))
    throw DataError(
        detail::str(source, ": ", key, ": expected shape ", expected, ", got ", shape_text(t)));
  if (t.scalar_type() != dtype)
    throw DataError(detail::str(source, ": ", key, ": expected ", at::toString(dtype), ", got ",
                                at::toString(t.scalar_type())));
  if (t.size(0) != rows)
    throw DataError(detail::str(source, ": ", key, ": ", t.size(0), " rows, expected ", rows,
                                " (the rows of observations)"));
  if (columns >= 0 && t.size(1) != columns)
    throw DataError(detail::str(source, ": ", key, ": ", t.size(1), " columns, expected ", columns,
                                " (the columns of observations)"));
}

void check_finite(const std::string& source, const char* key, const at::Tensor& t) {
  const at::Tensor finite = t.isfinite().reshape({t.size(0), -1}).all(1);
  if (finite.all().item<bool>()) return;
  const int64_t row = finite.logical_not().nonzero()[0].item<int64_t>();
  throw DataError(detail::str(source, ": ", key, ": row ", row, ": non-finite value"));
}

// [N] from a file's [N] or [N, 1] (D4RL's rewards and terminals come both ways).
at::Tensor as_rows(const at::Tensor& t) {
  return t.dim() == 2 && t.size(1) == 1 ? t.reshape({t.size(0)}) : t;
}

}  // namespace

void D4rlDataset::check(const std::string& source) const {
  if (!observations.defined() || observations.dim() != 2 || observations.size(0) < 1)
    throw DataError(
        detail::str(source, ": observations: expected shape [N, obs_dim] with N >= 1, got ",
                    observations.defined() ? shape_text(observations) : std::string("nothing")));
  const int64_t n = observations.size(0);
  check_field(source, "observations", observations, at::kFloat, 2, n);
  check_field(source, "actions", actions, at::kFloat, 2, n);
  check_field(source, "rewards", rewards, at::kFloat, 1, n);
  check_field(source, "terminals", terminals, at::kBool, 1, n);
  check_field(source, "timeouts", timeouts, at::kBool, 1, n);
  if (next_observations.defined())
    check_field(source, "next_observations", next_observations, at::kFloat, 2, n,
                observations.size(1));
  if (qpos.defined()) check_field(source, "infos/qpos", qpos, at::kFloat, 2, n);
  if (qvel.defined()) check_field(source, "infos/qvel", qvel, at::kFloat, 2, n);
  check_finite(source, "observations", observations);
  check_finite(source, "actions", actions);
  check_finite(source, "rewards", rewards);
  if (next_observations.defined()) check_finite(source, "next_observations", next_observations);
  if (qpos.defined()) check_finite(source, "infos/qpos", qpos);
  if (qvel.defined()) check_finite(source, "infos/qvel", qvel);
  for (const auto& [name, value] : metadata) {
    if (name.empty() || name.find('/') != std::string::npos)
      throw DataError(
          detail::str(source, ": metadata: entry '", name, "': expected a name without '/'"));
  }
}

D4rlDataset read_d4rl(const fs::path& path) {
  const hdf5::File file = hdf5::File::open(path);
  D4rlDataset data;
  data.observations = file.read_float32("observations");
  data.actions = file.read_float32("actions");
  data.rewards = as_rows(file.read_float32("rewards"));
  data.terminals = as_rows(file.read_bool("terminals"));
  data.timeouts = as_rows(file.read_bool("timeouts"));
  if (file.exists("next_observations"))
    data.next_observations = file.read_float32("next_observations");
  if (file.exists("infos/qpos")) data.qpos = file.read_float32("infos/qpos");
  if (file.exists("infos/qvel")) data.qvel = file.read_float32("infos/qvel");
  for (const std::string& name : file.scalar_datasets("metadata"))
    data.metadata[name] = file.read_scalar_text("metadata/" + name);
  data.check(path.string());
  return data;
}

void write_d4rl(const fs::path& path, const D4rlDataset& data) {
  data.check(path.string());
  write_atomic(path, [&](const fs::path& tmp) {
    hdf5::File file = hdf5::File::create(tmp);
    file.write_float32("observations", data.observations);
    file.write_float32("actions", data.actions);
    file.write_float32("rewards", data.rewards);
    file.write_bool("terminals", data.terminals);
    file.write_bool("timeouts", data.timeouts);
    if (data.next_observations.defined())
      file.write_float32("next_observations", data.next_observations);
    if (data.qpos.defined() || data.qvel.defined()) file.create_group("infos");
    if (data.qpos.defined()) file.write_float32("infos/qpos", data.qpos);
    if (data.qvel.defined()) file.write_float32("infos/qvel", data.qvel);
    if (!data.metadata.empty()) file.create_group("metadata");
    for (const auto& [name, value] : data.metadata) file.write_string("metadata/" + name, value);
    file.close();
  });
}

TransitionBatch d4rl_transitions(const D4rlDataset& data) {
  data.check("d4rl_transitions");
  const int64_t n = data.size();
  // rows 0 .. N-2 whose episode was not cut by its time limit
  const at::Tensor rows = data.timeouts.slice(0, 0, n - 1).logical_not().nonzero().reshape({-1});
  TransitionBatch out;
  out.obs = data.observations.index_select(0, rows);
  out.act = data.actions.index_select(0, rows);
  out.next_obs = data.next_observations.defined() ? data.next_observations.index_select(0, rows)
                                                  : data.observations.index_select(0, rows + 1);
  out.reward = data.rewards.index_select(0, rows);
  out.terminated = data.terminals.index_select(0, rows);
  out.truncated = at::zeros_like(out.terminated);
  return out;
}

void D4rlDataset::check_dims(const std::string& source, int64_t obs, int64_t act,
                             const std::string& env) const {
  if (obs_dim() == obs && act_dim() == act) return;
  throw DataError(source + ": observations and actions have " + std::to_string(obs_dim()) +
                  " and " + std::to_string(act_dim()) + " columns; the env '" + env + "' has obs " +
                  std::to_string(obs) + " and act " + std::to_string(act));
}

std::vector<TransitionBatch> d4rl_episodes(const D4rlDataset& data) {
  data.check("d4rl_episodes");
  const int64_t n = data.size();
  const bool has_next = data.next_observations.defined();
  const at::Tensor ends_at = data.terminals.logical_or(data.timeouts).nonzero().reshape({-1});
  std::vector<int64_t> ends(ends_at.data_ptr<int64_t>(),
                            ends_at.data_ptr<int64_t>() + ends_at.numel());
  if (ends.empty() || ends.back() != n - 1) ends.push_back(n - 1);  // the unfinished rest
  std::vector<TransitionBatch> episodes;
  int64_t begin = 0;
  for (int64_t last : ends) {
    // rows [begin, end): every row of the episode, or all but its last without next_observations
    const int64_t end = has_next ? last + 1 : last;
    if (end > begin) {
      const at::Tensor rows = at::arange(begin, end, at::kLong);
      TransitionBatch ep;
      ep.obs = data.observations.index_select(0, rows);
      ep.act = data.actions.index_select(0, rows);
      ep.next_obs = has_next ? data.next_observations.index_select(0, rows)
                             : data.observations.index_select(0, rows + 1);
      ep.reward = data.rewards.reshape({-1}).index_select(0, rows);
      ep.terminated = data.terminals.index_select(0, rows);
      ep.truncated = data.timeouts.index_select(0, rows);
      // the data of the episode stops here: a cut, unless it ended there
      if (!ep.terminated[-1].item<bool>()) ep.truncated[-1] = true;
      episodes.push_back(std::move(ep));
    }
    begin = last + 1;
  }
  return episodes;
}

std::vector<double> d4rl_episode_returns(const D4rlDataset& data) {
  const at::Tensor ends = data.terminals.logical_or(data.timeouts).nonzero().reshape({-1});
  const at::Tensor cumulative = data.rewards.to(at::kDouble).cumsum(0);
  std::vector<double> returns;
  double before = 0;
  for (int64_t i = 0; i < ends.size(0); ++i) {
    const double through = cumulative[ends[i].item<int64_t>()].item<double>();
    returns.push_back(through - before);
    before = through;
  }
  return returns;
}

}  // namespace mbrl

// Tests for io/d4rl_dataset.cc: D4RL-layout HDF5 files, checked against h5py (python3-h5py,
// installed by scripts/install_deps.sh; the tests fail, not skip, without it).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "mbrl/core/error.h"
#include "mbrl/io/atomic_file.h"
#include "mbrl/io/d4rl_dataset.h"
#include "tests/support/expect_throw.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

// Runs the h5py fixture script (tests/testdata/d4rl_h5py.py) with Debian's python3, which is
// the one that sees python3-h5py; returns its stdout.
std::string run_h5py(const std::string& mode, const fs::path& target) {
  const fs::path out = target.parent_path() / "h5py_stdout.txt";
  const std::string command = "/usr/bin/python3 " +
                              test::source_path("tests/testdata/d4rl_h5py.py").string() + " " +
                              mode + " " + target.string() + " > " + out.string();
  if (std::system(command.c_str()) != 0) {
    ADD_FAILURE() << "`" << command << "` failed: python3-h5py is needed by this test "
                  << "(scripts/install_deps.sh installs it)";
    return "";
  }
  return read_file(out);
}

// `key fact` lines printed by `d4rl_h5py.py inspect`, as a map "key fact" -> value.
std::map<std::string, std::string> h5py_facts(const fs::path& file) {
  std::map<std::string, std::string> facts;
  std::istringstream lines(run_h5py("inspect", file));
  std::string key, fact, value;
  while (lines >> key >> fact && std::getline(lines >> std::ws, value))
    facts[key + " " + fact] = value;
  return facts;
}

D4rlDataset small_dataset(int64_t n = 7) {
  D4rlDataset data;
  data.observations = torch::randn({n, 3});
  data.actions = torch::rand({n, 2}) * 2 - 1;
  data.rewards = torch::randn({n});
  data.terminals = torch::zeros({n}, torch::kBool);
  data.terminals[4] = true;
  data.timeouts = torch::zeros({n}, torch::kBool);
  data.timeouts[2] = true;
  data.timeouts[n - 1] = true;
  data.next_observations = torch::randn({n, 3});
  data.qpos = torch::randn({n, 4});
  data.qvel = torch::randn({n, 3});
  data.metadata = {{"algorithm", "mbrl SAC"}, {"iteration", "12"}};
  return data;
}

void expect_same(const D4rlDataset& a, const D4rlDataset& b) {
  EXPECT_TRUE(torch::equal(a.observations, b.observations));
  EXPECT_TRUE(torch::equal(a.actions, b.actions));
  EXPECT_TRUE(torch::equal(a.rewards, b.rewards));
  EXPECT_TRUE(torch::equal(a.terminals, b.terminals));
  EXPECT_TRUE(torch::equal(a.timeouts, b.timeouts));
  EXPECT_TRUE(torch::equal(a.next_observations, b.next_observations));
  EXPECT_TRUE(torch::equal(a.qpos, b.qpos));
  EXPECT_TRUE(torch::equal(a.qvel, b.qvel));
  EXPECT_EQ(a.metadata, b.metadata);
}

int64_t files_in(const fs::path& dir) {
  return std::distance(fs::directory_iterator(dir), fs::directory_iterator());
}

TEST(D4rlDatasetTest, RoundTripKeepsEveryKey) {
  const fs::path dir = test::scratch_dir();
  const D4rlDataset data = small_dataset();
  write_d4rl(dir / "data.hdf5", data);
  const D4rlDataset back = read_d4rl(dir / "data.hdf5");
  expect_same(data, back);
  EXPECT_EQ(files_in(dir), 1);  // no temporary left behind

  D4rlDataset bare = small_dataset();  // the optional keys are optional
  bare.next_observations = torch::Tensor();
  bare.qpos = torch::Tensor();
  bare.qvel = torch::Tensor();
  bare.metadata.clear();
  write_d4rl(dir / "bare.hdf5", bare);
  const D4rlDataset bare_back = read_d4rl(dir / "bare.hdf5");
  EXPECT_FALSE(bare_back.next_observations.defined());
  EXPECT_FALSE(bare_back.qpos.defined());
  EXPECT_TRUE(bare_back.metadata.empty());
  EXPECT_TRUE(torch::equal(bare.observations, bare_back.observations));
}

TEST(D4rlDatasetTest, H5pyReadsOurFilesAsD4rlFiles) {
  const fs::path dir = test::scratch_dir();
  const D4rlDataset data = small_dataset();
  write_d4rl(dir / "data.hdf5", data);
  auto facts = h5py_facts(dir / "data.hdf5");
  EXPECT_EQ(facts["observations dtype"], "float32");
  EXPECT_EQ(facts["observations shape"], "[7, 3]");
  EXPECT_EQ(facts["observations compression"], "gzip");
  EXPECT_EQ(facts["rewards shape"], "[7]");
  EXPECT_EQ(facts["terminals dtype"], "bool");  // h5py's own enum, so numpy sees bools
  EXPECT_EQ(facts["timeouts dtype"], "bool");
  EXPECT_EQ(facts["terminals sum"], "1.0");
  EXPECT_EQ(facts["timeouts sum"], "2.0");
  EXPECT_EQ(facts["infos/qpos shape"], "[7, 4]");
  EXPECT_EQ(facts["infos/qvel shape"], "[7, 3]");
  EXPECT_EQ(facts["next_observations shape"], "[7, 3]");
  EXPECT_EQ(facts["metadata/algorithm value"], "mbrl SAC");
  EXPECT_EQ(facts["metadata/iteration value"], "12");
  EXPECT_NEAR(std::stod(facts["actions sum"]), data.actions.sum().item<double>(), 1e-4);
}

TEST(D4rlDatasetTest, ReadsAFileWrittenByH5pyInTheD4rlLayout) {
  const fs::path dir = test::scratch_dir();
  run_h5py("write", dir);
  const D4rlDataset data = read_d4rl(dir / "d4rl_like.hdf5");
  const int64_t n = 50;
  ASSERT_EQ(data.size(), n);
  EXPECT_EQ(data.obs_dim(), 17);
  EXPECT_EQ(data.act_dim(), 6);
  // the fixture's values: arange / 8 + offset, exact in float32
  const auto values = [](int64_t rows, int64_t dim, double offset) {
    return (torch::arange(rows * dim, torch::kDouble).reshape({rows, dim}) / 8.0 + offset)
        .to(torch::kFloat);
  };
  EXPECT_TRUE(torch::equal(data.observations, values(n, 17, 0.0)));
  EXPECT_TRUE(torch::equal(data.actions, values(n, 6, -3.0)));
  EXPECT_TRUE(torch::equal(data.next_observations, values(n, 17, 0.5)));
  EXPECT_TRUE(torch::equal(data.qpos, values(n, 9, 1.0)));  // float64 in the file
  EXPECT_TRUE(torch::equal(data.qvel, values(n, 9, 2.0)));
  EXPECT_TRUE(torch::equal(data.rewards, torch::arange(n, torch::kFloat) - 10));
  EXPECT_EQ(data.terminals.sum().item<int64_t>(), 1);
  EXPECT_TRUE(data.terminals[20].item<bool>());
  EXPECT_TRUE(data.timeouts[35].item<bool>());
  EXPECT_TRUE(data.timeouts[n - 1].item<bool>());
  EXPECT_EQ(data.metadata.at("algorithm"), "SAC");
  EXPECT_EQ(data.metadata.at("iteration"), "42");
  EXPECT_EQ(data.metadata.count("policy"), 0u);  // a group of arrays, not a scalar

  const D4rlDataset n_by_1 = read_d4rl(dir / "rewards_n_by_1.hdf5");
  EXPECT_TRUE(torch::equal(n_by_1.rewards, data.rewards));
}

TEST(D4rlDatasetTest, BadFilesAreOneLineDataErrorsNamingFileKeyAndRow) {
  const fs::path dir = test::scratch_dir();
  run_h5py("write", dir);
  const auto expect_error = [&](const std::string& file, const std::string& message) {
    SCOPED_TRACE(file);
    const std::string path = (dir / file).string();
    EXPECT_THROW_WITH(read_d4rl(dir / file), DataError, path + ": " + message);
    try {
      read_d4rl(dir / file);
    } catch (const DataError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  };
  expect_error("missing_actions.hdf5", "actions: missing");
  expect_error("short_actions.hdf5", "actions: 49 rows, expected 50 (the rows of observations)");
  expect_error("nan_observations.hdf5", "observations: row 7: non-finite value");
  expect_error("inf_rewards.hdf5", "rewards: row 12: non-finite value");
  expect_error("string_observations.hdf5", "observations: expected floats, got string");
  expect_error("terminals_two.hdf5", "terminals: row 4: expected 0 or 1, got 2");
  expect_error("flat_observations.hdf5", "observations: expected shape [N, obs_dim]");

  // truncated: the first half of a good file
  const std::string whole = read_file(dir / "d4rl_like.hdf5");
  write_file_atomic(dir / "truncated.hdf5", whole.substr(0, whole.size() / 2));
  EXPECT_THROW_WITH(read_d4rl(dir / "truncated.hdf5"), DataError,
                    "truncated.hdf5: cannot open as HDF5 (truncated or corrupt file)");
  write_file_atomic(dir / "text.hdf5", "observations,actions\n1,2\n");
  EXPECT_THROW_WITH(read_d4rl(dir / "text.hdf5"), DataError, "text.hdf5: not an HDF5 file");
  EXPECT_THROW_WITH(read_d4rl(dir / "absent.hdf5"), IoError, "absent.hdf5: no such file");
}

TEST(D4rlDatasetTest, BadDataIsRefusedAndNothingIsWritten) {
  const fs::path dir = test::scratch_dir();
  D4rlDataset nan_actions = small_dataset();
  nan_actions.actions[5][1] = std::nan("");
  EXPECT_THROW_WITH(write_d4rl(dir / "a.hdf5", nan_actions), DataError,
                    "a.hdf5: actions: row 5: non-finite value");
  D4rlDataset short_rewards = small_dataset();
  short_rewards.rewards = torch::zeros({6});
  EXPECT_THROW_WITH(write_d4rl(dir / "b.hdf5", short_rewards), DataError,
                    "b.hdf5: rewards: 6 rows, expected 7");
  D4rlDataset float_terminals = small_dataset();
  float_terminals.terminals = torch::zeros({7});
  EXPECT_THROW_WITH(write_d4rl(dir / "c.hdf5", float_terminals), DataError,
                    "c.hdf5: terminals: expected Bool, got Float");
  D4rlDataset bad_next = small_dataset();
  bad_next.next_observations = torch::zeros({7, 4});
  EXPECT_THROW_WITH(write_d4rl(dir / "d.hdf5", bad_next), DataError,
                    "d.hdf5: next_observations: 4 columns, expected 3");
  EXPECT_EQ(files_in(dir), 0);

  // an existing file stays as it was when a write fails
  write_d4rl(dir / "a.hdf5", small_dataset(5));
  EXPECT_THROW(write_d4rl(dir / "a.hdf5", nan_actions), DataError);
  EXPECT_EQ(read_d4rl(dir / "a.hdf5").size(), 5);
  EXPECT_EQ(files_in(dir), 1);
}

TEST(D4rlDatasetTest, TransitionsFollowQlearningDataset) {
  // rows 0..6; timeout at 2 and 6 (the last row), terminal at 4
  D4rlDataset data = small_dataset(7);
  const TransitionBatch with_next = d4rl_transitions(data);
  const torch::Tensor kept = torch::tensor({0, 1, 3, 4, 5}, torch::kLong);
  ASSERT_EQ(with_next.size(), 5);
  EXPECT_TRUE(torch::equal(with_next.obs, data.observations.index_select(0, kept)));
  EXPECT_TRUE(torch::equal(with_next.act, data.actions.index_select(0, kept)));
  EXPECT_TRUE(torch::equal(with_next.next_obs, data.next_observations.index_select(0, kept)));
  EXPECT_TRUE(torch::equal(with_next.reward, data.rewards.index_select(0, kept)));
  EXPECT_TRUE(
      torch::equal(with_next.terminated, torch::tensor({false, false, false, true, false})));
  EXPECT_FALSE(with_next.truncated.any().item<bool>());

  data.next_observations = torch::Tensor();  // then the next row is the next state
  const TransitionBatch from_rows = d4rl_transitions(data);
  EXPECT_TRUE(torch::equal(from_rows.next_obs, data.observations.index_select(0, kept + 1)));
  EXPECT_TRUE(torch::equal(from_rows.obs, with_next.obs));
}

TEST(D4rlDatasetTest, EpisodesAreTheRowsBetweenEnds) {
  // rows 0..8; timeout at 2, terminal at 4, then rows 5..8 with no end: an unfinished episode
  D4rlDataset data = small_dataset(9);
  data.timeouts[8] = false;
  const std::vector<TransitionBatch> with_next = d4rl_episodes(data);
  ASSERT_EQ(with_next.size(), 3u);
  EXPECT_EQ(with_next[0].size(), 3);  // rows 0-2, the timeout row kept as truncated
  EXPECT_EQ(with_next[1].size(), 2);  // rows 3-4
  EXPECT_EQ(with_next[2].size(), 4);  // rows 5-8
  EXPECT_TRUE(torch::equal(with_next[1].obs, data.observations.slice(0, 3, 5)));
  EXPECT_TRUE(torch::equal(with_next[1].next_obs, data.next_observations.slice(0, 3, 5)));
  EXPECT_TRUE(torch::equal(with_next[0].truncated, torch::tensor({false, false, true})));
  EXPECT_TRUE(torch::equal(with_next[1].terminated, torch::tensor({false, true})));
  EXPECT_TRUE(torch::equal(with_next[2].reward, data.rewards.slice(0, 5, 9)));
  EXPECT_TRUE(torch::equal(with_next[2].truncated, torch::tensor({false, false, false, true})));

  // without next_observations the next row is the next state, so each episode loses its last row
  data.next_observations = torch::Tensor();
  const std::vector<TransitionBatch> from_rows = d4rl_episodes(data);
  ASSERT_EQ(from_rows.size(), 3u);
  EXPECT_EQ(from_rows[0].size(), 2);
  EXPECT_EQ(from_rows[1].size(), 1);
  EXPECT_EQ(from_rows[2].size(), 3);
  EXPECT_TRUE(torch::equal(from_rows[2].next_obs, data.observations.slice(0, 6, 9)));
  EXPECT_TRUE(torch::equal(from_rows[0].act, data.actions.slice(0, 0, 2)));
  // each episode still ends where its data does, so a replay buffer keeps the bounds
  EXPECT_TRUE(torch::equal(from_rows[0].truncated, torch::tensor({false, true})));
  EXPECT_TRUE(torch::equal(from_rows[1].truncated, torch::tensor({true})));
  EXPECT_FALSE(from_rows[1].terminated.any().item<bool>());
}

}  // namespace
}  // namespace mbrl

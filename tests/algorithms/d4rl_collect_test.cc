// Tests for algorithms/d4rl_collect.cc: D4RL datasets from rollouts, replay buffers and
// stitching, and `mbrl collect`.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sys/wait.h>

#include <cstdlib>

#include "mbrl/agents/random_agent.h"
#include "mbrl/algorithms/d4rl_collect.h"
#include "mbrl/algorithms/experiment.h"
#include "mbrl/config/loader.h"
#include "mbrl/core/build_context.h"
#include "mbrl/core/error.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/io/atomic_file.h"
#include "mbrl/io/d4rl_dataset.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

class D4rlCollectTest : public test::MbrlTest {};

std::shared_ptr<Env> make_env_of(const std::string& yaml) {
  return make_env(load_config_string(yaml, "test"), BuildContext{});
}

D4rlDataset collect_random(Env& env, int64_t transitions, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  RandomAgent agent(env.spec().action_space, gen);
  D4rlCollectOptions options;
  options.transitions = transitions;
  options.seed = seed;
  return collect_d4rl(env, agent, options);
}

TEST_F(D4rlCollectTest, WholeEpisodesCutToTheRowsAsked) {
  auto env = make_env_of("type: pendulum");  // 200-step episodes, no termination
  const D4rlDataset data = collect_random(*env, 450, 3);
  ASSERT_EQ(data.size(), 450);
  data.check("collected");
  EXPECT_TRUE(torch::equal(data.timeouts.nonzero().reshape({-1}), torch::tensor({199, 399})));
  EXPECT_FALSE(data.terminals.any().item<bool>());
  // within an episode the next state is the next row's state
  const at::Tensor same = data.next_observations.slice(0, 0, 449) == data.observations.slice(0, 1);
  EXPECT_TRUE(same.all(1).logical_or(data.timeouts.slice(0, 0, 449)).all().item<bool>());
  EXPECT_FALSE(data.qpos.defined());  // not a MuJoCo env
  EXPECT_EQ(d4rl_episode_returns(data).size(), 2u);
  EXPECT_NEAR(d4rl_episode_returns(data)[0], data.rewards.slice(0, 0, 200).sum().item<double>(),
              1e-3);

  auto again = make_env_of("type: pendulum");
  EXPECT_TRUE(torch::equal(collect_random(*again, 450, 3).observations, data.observations));
}

TEST_F(D4rlCollectTest, MujocoRowsHoldQposAndQvelBeforeTheStep) {
  // InvertedPendulum-v4 observes [qpos, qvel] exactly, inside the registry's wrappers
  auto env = make_env_of("type: inverted_pendulum");
  const D4rlDataset data = collect_random(*env, 60, 5);
  ASSERT_TRUE(data.qpos.defined());
  ASSERT_EQ(data.qpos.size(1), 2);
  ASSERT_EQ(data.qvel.size(1), 2);
  EXPECT_TRUE(torch::allclose(torch::cat({data.qpos, data.qvel}, 1), data.observations, 0, 1e-6));
  // random actions topple the pole long before 1000 steps: true terminations, no timeouts
  EXPECT_GT(data.terminals.sum().item<int64_t>(), 0);
  EXPECT_FALSE(data.timeouts.any().item<bool>());
}

TEST_F(D4rlCollectTest, ReplayBufferRowsKeepTheirEpisodeEnds) {
  ReplayBuffer replay(10, 2, 1);
  for (int i = 0; i < 4; ++i) {
    const bool last = i == 3;
    replay.add(torch::full({2}, i), torch::full({1}, -i), torch::full({2}, i + 1), i, i == 1, last);
  }
  const D4rlDataset data = d4rl_from_replay(replay);
  ASSERT_EQ(data.size(), 4);
  EXPECT_TRUE(torch::equal(data.terminals, torch::tensor({false, true, false, false})));
  EXPECT_TRUE(torch::equal(data.timeouts, torch::tensor({false, false, false, true})));
  EXPECT_TRUE(torch::equal(data.rewards, torch::tensor({0.f, 1.f, 2.f, 3.f})));
  EXPECT_THROW_WITH(d4rl_from_replay(ReplayBuffer(3, 2, 1)), DataError, "empty");
}

TEST_F(D4rlCollectTest, RunReplayIsTheRunsReplayBuffer) {
  const fs::path root = test::scratch_dir();
  ConfigNode config = load_config(
      test::source_path("configs/sac/pendulum.yaml").string(),
      {"run_root=" + root.string(), "env.max_episode_steps=50", "agent.hidden_size=16",
       "agent.batch_size=32", "algorithm.num_steps=120", "algorithm.initial_random_steps=60",
       "algorithm.eval_every=120", "algorithm.eval_episodes=1"});
  Experiment experiment(config, "sac");
  RunDir dir = experiment.create_run_dir();
  experiment.run(dir);
  const D4rlDataset data = d4rl_from_run_replay(dir.path());
  ASSERT_EQ(data.size(), 120);
  EXPECT_TRUE(torch::equal(data.timeouts.nonzero().reshape({-1}), torch::tensor({49, 99})));
  EXPECT_THROW_WITH(d4rl_from_run_replay(root), DataError, "no checkpoint");
}

TEST_F(D4rlCollectTest, StitchCutsTheFirstAfterItsLastEpisode) {
  const auto dataset = [](int64_t n, float offset, std::vector<int64_t> ends) {
    D4rlDataset d;
    d.observations = torch::arange(n, torch::kFloat).reshape({n, 1}) + offset;
    d.actions = torch::zeros({n, 1});
    d.rewards = torch::ones({n});
    d.terminals = torch::zeros({n}, torch::kBool);
    d.timeouts = torch::zeros({n}, torch::kBool);
    for (int64_t e : ends) d.timeouts[e] = true;
    d.next_observations = d.observations + 1;
    return d;
  };
  D4rlDataset first = dataset(10, 0, {2, 5});  // rows 6..9: an episode that never ended
  first.qpos = torch::zeros({10, 3});          // the second has no qpos: left out
  const D4rlDataset second = dataset(8, 100, {7});
  const D4rlDataset both = stitch_d4rl(first, second, 12);
  ASSERT_EQ(both.size(), 12);
  EXPECT_TRUE(torch::equal(
      both.observations.reshape({-1}),
      torch::tensor({0.f, 1.f, 2.f, 3.f, 4.f, 5.f, 100.f, 101.f, 102.f, 103.f, 104.f, 105.f})));
  EXPECT_TRUE(torch::equal(both.next_observations, both.observations + 1));
  EXPECT_FALSE(both.qpos.defined());
  EXPECT_EQ(stitch_d4rl(first, second, 100).size(), 14);

  EXPECT_THROW_WITH(stitch_d4rl(dataset(4, 0, {}), second, 10), DataError, "no complete episode");
  D4rlDataset wide = second;
  wide.observations = torch::zeros({8, 2});
  wide.next_observations = torch::zeros({8, 2});
  EXPECT_THROW_WITH(stitch_d4rl(first, wide, 10), DataError, "differ in dimensions: obs 1 and 2");
}

// `mbrl collect`: a config's agent, a run's replay buffer, stitching; bad input exits 2
TEST_F(D4rlCollectTest, CliWritesD4rlFiles) {
  const fs::path dir = test::scratch_dir();
  const auto cli = [&](const std::string& args) {
    const std::string command = "cd " + dir.string() + " && " +
                                test::binary_path("apps/mbrl").string() + " " + args +
                                " > out.txt 2> err.txt";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  const std::string config = test::source_path("configs/random/pendulum.yaml").string();
  ASSERT_EQ(cli("collect " + config + " -o random.hdf5 --transitions 500 --seed 2"), 0);
  const D4rlDataset random = read_d4rl(dir / "random.hdf5");
  EXPECT_EQ(random.size(), 500);
  EXPECT_EQ(random.metadata.at("algorithm"), "random");
  EXPECT_EQ(random.metadata.at("env"), "pendulum");
  EXPECT_EQ(random.metadata.at("seed"), "2");
  EXPECT_NE(read_file(dir / "out.txt").find("2 complete episodes, return -"), std::string::npos);

  ASSERT_EQ(cli("collect --stitch random.hdf5 random.hdf5 -o both.hdf5"), 0);
  EXPECT_EQ(read_d4rl(dir / "both.hdf5").size(), 400 + 500);

  write_file_atomic(dir / "bad.hdf5", "not hdf5");
  EXPECT_EQ(cli("collect --stitch random.hdf5 bad.hdf5 -o x.hdf5"), 2);
  EXPECT_NE(read_file(dir / "err.txt").find("bad.hdf5: not an HDF5 file"), std::string::npos);
  EXPECT_EQ(cli("collect --replay " + dir.string() + " -o x.hdf5"), 2);
  EXPECT_NE(read_file(dir / "err.txt").find("no checkpoint"), std::string::npos);
  EXPECT_EQ(cli("collect -o x.hdf5"), 2);
  EXPECT_FALSE(fs::exists(dir / "x.hdf5"));
}

}  // namespace
}  // namespace mbrl

// Tests for agents/bc_agent.cc: regression onto a known policy, bounds, saving and loading.
#include "mbrl/agents/bc_agent.h"

#include <sstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

// obs_dim 3; two actions with asymmetric bounds, so the rescaling is visible
EnvSpec test_spec() {
  EnvSpec spec;
  spec.name = "test";
  spec.observation_space = Box::uniform(3, -10, 10);
  spec.action_space = Box(torch::tensor({-2.0f, 0.0f}), torch::tensor({2.0f, 1.0f}));
  return spec;
}

// the behaviour policy: a smooth function of the state inside the bounds
at::Tensor expert_action(const at::Tensor& obs) {
  const at::Tensor first = 1.5 * torch::tanh(obs.select(1, 0) - 0.5 * obs.select(1, 1));
  const at::Tensor second = 0.5 + 0.4 * torch::tanh(obs.select(1, 2));
  return torch::stack({first, second}, 1);
}

TEST(BcAgentTest, RegressesOntoTheDatasetsActionsWithinTheBounds) {
  BcAgent agent(BcOptions().hidden_size(64).lr(1e-3), test_spec(), make_generator(1, torch::kCPU));
  EXPECT_EQ(agent.metric_names(), std::vector<std::string>({"bc_loss"}));
  at::Generator gen = make_generator(2, torch::kCPU);
  const at::Tensor test_obs = torch::randn({500, 3}, gen);
  const double before =
      (agent.act_batch(test_obs, true) - expert_action(test_obs)).abs().mean().item<double>();
  double first_loss = 0, last_loss = 0;
  for (int i = 0; i < 1500; ++i) {
    TransitionBatch batch;
    batch.obs = torch::randn({128, 3}, gen);
    batch.act = expert_action(batch.obs);
    const UpdateMetrics m = agent.update(batch);
    if (i == 0) first_loss = m[0];
    last_loss = m[0];
  }
  EXPECT_LT(last_loss, 0.05 * first_loss);
  const at::Tensor act = agent.act_batch(test_obs, false);
  const double after = (act - expert_action(test_obs)).abs().mean().item<double>();
  EXPECT_LT(after, 0.1 * before) << before << " -> " << after;
  EXPECT_TRUE(test_spec().action_space.contains(act));
  // one state at a time, exploring or not, is the same deterministic action
  EXPECT_TENSOR_CLOSE(agent.act(test_obs[0], ActMode::kExplore), act[0]);
  EXPECT_TENSOR_CLOSE(agent.act(test_obs[0], ActMode::kEval), act[0]);
}

TEST(BcAgentTest, SavedAgentActsAndTrainsOnIdentically) {
  auto train = [](BcAgent& agent, uint64_t seed) {
    at::Generator gen = make_generator(seed, torch::kCPU);
    TransitionBatch batch;
    batch.obs = torch::randn({64, 3}, gen);
    batch.act = expert_action(batch.obs);
    return agent.update(batch)[0];
  };
  BcAgent agent(BcOptions().hidden_size(16), test_spec(), make_generator(3, torch::kCPU));
  train(agent, 4);
  std::stringstream stream;
  {
    torch::serialize::OutputArchive archive;
    agent.save(archive);
    archive.save_to(stream);
  }
  BcAgent loaded(BcOptions().hidden_size(16), test_spec(), make_generator(9, torch::kCPU));
  torch::serialize::InputArchive archive;
  archive.load_from(stream);
  loaded.load(archive);
  const at::Tensor obs = torch::randn({10, 3});
  EXPECT_TENSOR_CLOSE(loaded.act_batch(obs, true), agent.act_batch(obs, true));
  // the optimizer state came along: the next update is the same
  EXPECT_DOUBLE_EQ(train(loaded, 5), train(agent, 5));
  EXPECT_TENSOR_CLOSE(loaded.act_batch(obs, true), agent.act_batch(obs, true));

  stream.seekg(0);
  BcAgent other(BcOptions().hidden_size(32), test_spec(), make_generator(3, torch::kCPU));
  torch::serialize::InputArchive again;
  again.load_from(stream);
  EXPECT_THROW_WITH(other.load(again), DataError, "hidden_size");
}

TEST(BcAgentTest, RejectsBadOptions) {
  EXPECT_THROW_WITH(BcAgent(BcOptions().lr(0), test_spec(), make_generator(1, torch::kCPU)),
                    InvalidArgument, "lr");
  EXPECT_THROW_WITH(
      BcAgent(BcOptions().hidden_size(0), test_spec(), make_generator(1, torch::kCPU)),
      InvalidArgument, "hidden_size");
}

}  // namespace
}  // namespace mbrl

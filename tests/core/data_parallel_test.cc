// Tests for core/data_parallel.cc: the rendezvous read from the environment, the shards, and a
// real two-rank Gloo process group on loopback (two threads of this process, one rank each).
#include "mbrl/core/data_parallel.h"

#include <stdlib.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "tests/support/expect_throw.h"
#include "tests/support/ranks.h"

namespace mbrl {
namespace {

// sets environment variables for one test and restores them after
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const auto& [name, value] : vars) {
      const char* old = std::getenv(name);
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      if (value)
        setenv(name, value, 1);
      else
        unsetenv(name);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, old] : saved_) {
      if (old)
        setenv(name.c_str(), old->c_str(), 1);
      else
        unsetenv(name.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(DataParallelTest, RendezvousFromTorchrunOrSlurmVariables) {
  {
    ScopedEnv env{{"WORLD_SIZE", nullptr},
                  {"RANK", nullptr},
                  {"SLURM_STEP_NUM_TASKS", nullptr},
                  {"SLURM_PROCID", nullptr}};
    EXPECT_FALSE(rendezvous_from_environment().has_value());
  }
  {
    ScopedEnv env{{"WORLD_SIZE", "4"},           {"RANK", "3"},
                  {"MASTER_ADDR", "node7"},      {"MASTER_PORT", "1234"},
                  {"SLURM_STEP_NUM_TASKS", "9"}, {"SLURM_PROCID", "8"}};
    const auto r = rendezvous_from_environment();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->world_size, 4);  // torchrun's variables win over Slurm's
    EXPECT_EQ(r->rank, 3);
    EXPECT_EQ(r->master_addr, "node7");
    EXPECT_EQ(r->master_port, 1234);
  }
  {
    ScopedEnv env{{"WORLD_SIZE", nullptr}, {"RANK", nullptr},        {"SLURM_STEP_NUM_TASKS", "2"},
                  {"SLURM_PROCID", "1"},   {"MASTER_ADDR", nullptr}, {"MASTER_PORT", nullptr}};
    const auto r = rendezvous_from_environment();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->rank, 1);
    EXPECT_EQ(r->master_addr, "127.0.0.1");
    EXPECT_EQ(r->master_port, 29500);
  }
  {
    // a batch script of an allocation of 4 tasks is one process, not rank 0 of 4
    ScopedEnv env{{"WORLD_SIZE", nullptr},
                  {"RANK", nullptr},
                  {"SLURM_STEP_NUM_TASKS", nullptr},
                  {"SLURM_NTASKS", "4"},
                  {"SLURM_PROCID", "0"}};
    EXPECT_FALSE(rendezvous_from_environment().has_value());
  }
  {
    ScopedEnv env{{"WORLD_SIZE", "2"}, {"RANK", "2"}};
    EXPECT_THROW_WITH(rendezvous_from_environment(), ConfigError, "RANK: expected a rank below");
  }
  {
    ScopedEnv env{{"WORLD_SIZE", "two"}, {"RANK", "0"}};
    EXPECT_THROW_WITH(rendezvous_from_environment(), ConfigError,
                      "WORLD_SIZE: expected an integer");
  }
  {
    ScopedEnv env{{"WORLD_SIZE", "2"}, {"RANK", nullptr}};
    EXPECT_THROW_WITH(rendezvous_from_environment(), ConfigError, "RANK: is not set");
  }
}

using test::on_ranks;

TEST(DataParallelTest, TwoRanksSumOnLoopback) {
  std::vector<std::vector<at::Tensor>> results(2);
  on_ranks(2, [&](DataParallel& dp) {
    const float r = static_cast<float>(dp.rank());
    std::vector<at::Tensor> t{torch::full({2, 3}, r + 1), torch::arange(4, torch::kFloat32) * r};
    dp.all_reduce_sum(t);
    results[dp.rank()] = t;
  });
  for (int r = 0; r < 2; ++r) {
    ASSERT_EQ(results[r].size(), 2u);
    EXPECT_TRUE(results[r][0].equal(torch::full({2, 3}, 3.0f))) << results[r][0];
    EXPECT_TRUE(results[r][1].equal(torch::arange(4, torch::kFloat32))) << results[r][1];
  }
}

TEST(DataParallelTest, ShardsCoverEveryRowOnce) {
  on_ranks(3, [&](DataParallel& dp) {
    for (int64_t rows : {0, 1, 2, 7, 256}) {
      const auto [begin, end] = dp.shard(rows);
      EXPECT_EQ(begin, dp.rank() * rows / 3);
      EXPECT_EQ(end, (dp.rank() + 1) * rows / 3);
      if (dp.rank() == 2) EXPECT_EQ(end, rows);
    }
  });
}

}  // namespace
}  // namespace mbrl

// Tests for planners/optimizer_registry.cc: every optimizer is built from YAML with its keys.
#include "mbrl/planners/optimizer_registry.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/planners/cem.h"
#include "mbrl/planners/icem.h"
#include "mbrl/planners/mppi.h"
#include "mbrl/planners/random_shooting.h"
#include "tests/support/expect_throw.h"

namespace mbrl {
namespace {

BuildContext context() {
  BuildContext ctx;
  ctx.seed = 3;
  EnvSpec spec;
  spec.name = "test";
  spec.observation_space = Box::uniform(2, -10.0, 10.0);
  spec.action_space = Box::uniform(1, -3.0, 3.0);
  ctx.env_spec = spec;
  return ctx;
}

std::shared_ptr<ActionOptimizer> build(const std::string& yaml) {
  return optimizer_registry().create(load_config_string(yaml, "test.yaml"), context());
}

TEST(OptimizerRegistryTest, ListsTheBuiltins) {
  EXPECT_EQ(optimizer_registry().types(),
            (std::vector<std::string>{"cem", "icem", "mppi", "random_shooting"}));
}

TEST(OptimizerRegistryTest, BuildsCemWithItsKeys) {
  auto cem = std::dynamic_pointer_cast<CemOptimizer>(
      build("type: cem\nnum_iterations: 7\npopulation_size: 40\nelite_ratio: 0.2\nalpha: 0.3\n"
            "return_mean_elites: false\nclipped_normal: true\nmin_variance: 0.01\n"));
  ASSERT_TRUE(cem);
  const auto& o = cem->options();
  EXPECT_EQ(o.num_iterations(), 7);
  EXPECT_EQ(o.population_size(), 40);
  EXPECT_DOUBLE_EQ(o.elite_ratio(), 0.2);
  EXPECT_DOUBLE_EQ(o.alpha(), 0.3);
  EXPECT_FALSE(o.return_mean_elites());
  EXPECT_TRUE(o.clipped_normal());
  EXPECT_DOUBLE_EQ(o.min_variance(), 0.01);
  EXPECT_EQ(cem->action_space().dim(), 1);
}

TEST(OptimizerRegistryTest, DefaultsAreMbrlLibs) {
  auto cem = std::dynamic_pointer_cast<CemOptimizer>(build("type: cem"));
  ASSERT_TRUE(cem);
  EXPECT_EQ(cem->options().num_iterations(), 5);
  EXPECT_EQ(cem->options().population_size(), 350);
  EXPECT_DOUBLE_EQ(cem->options().elite_ratio(), 0.1);
  EXPECT_DOUBLE_EQ(cem->options().alpha(), 0.1);
  EXPECT_TRUE(cem->options().return_mean_elites());
  EXPECT_FALSE(cem->options().clipped_normal());
  EXPECT_DOUBLE_EQ(cem->options().min_variance(), 1e-3);

  auto icem = std::dynamic_pointer_cast<IcemOptimizer>(build("type: icem"));
  ASSERT_TRUE(icem);
  EXPECT_DOUBLE_EQ(icem->options().colored_noise_exponent(), 2.0);
  EXPECT_DOUBLE_EQ(icem->options().keep_elite_frac(), 0.3);
  EXPECT_DOUBLE_EQ(icem->options().population_decay_factor(), 1.3);
  EXPECT_DOUBLE_EQ(icem->options().alpha(), 0.1);
}

TEST(OptimizerRegistryTest, BuildsIcemMppiAndRandomShooting) {
  auto icem = std::dynamic_pointer_cast<IcemOptimizer>(
      build("type: icem\npopulation_size: 200\ncolored_noise_exponent: 1.5\n"
            "keep_elite_frac: 0.5\npopulation_decay_factor: 1.1\n"));
  ASSERT_TRUE(icem);
  EXPECT_EQ(icem->options().population_size(), 200);
  EXPECT_DOUBLE_EQ(icem->options().colored_noise_exponent(), 1.5);
  EXPECT_DOUBLE_EQ(icem->options().keep_elite_frac(), 0.5);
  EXPECT_DOUBLE_EQ(icem->options().population_decay_factor(), 1.1);

  auto mppi = std::dynamic_pointer_cast<MppiOptimizer>(
      build("type: mppi\nnum_iterations: 3\npopulation_size: 64\ngamma: 2.0\nsigma: 0.4\n"
            "beta: 0.7\n"));
  ASSERT_TRUE(mppi);
  EXPECT_EQ(mppi->options().num_iterations(), 3);
  EXPECT_DOUBLE_EQ(mppi->options().gamma(), 2.0);
  EXPECT_DOUBLE_EQ(mppi->options().sigma(), 0.4);
  EXPECT_DOUBLE_EQ(mppi->options().beta(), 0.7);

  auto rs = std::dynamic_pointer_cast<RandomShootingOptimizer>(
      build("type: random_shooting\npopulation_size: 1000\n"));
  ASSERT_TRUE(rs);
  EXPECT_EQ(rs->options().population_size(), 1000);
}

TEST(OptimizerRegistryTest, BadValuesAreConfigErrorsAtTheirKey) {
  EXPECT_THROW_WITH(build("type: cem\nelite_ratio: 1.5\n"), ConfigError,
                    "test.yaml:2:14: elite_ratio: expected a number in (0, 1], got 1.5");
  EXPECT_THROW_WITH(build("type: mppi\nbeta: 0\n"), ConfigError, "beta");
  EXPECT_THROW_WITH(build("type: cem\npopulation_size: many\n"), ConfigError, "population_size");
  EXPECT_THROW_WITH(build("type: cme\n"), ConfigError,
                    "registered: cem, icem, mppi, random_shooting");
}

TEST(OptimizerRegistryTest, MisspelledKeysAreRejected) {
  auto node = load_config_string("type: cem\npopulaton_size: 10\n", "test.yaml");
  optimizer_registry().create(node, context());
  EXPECT_THROW_WITH(node.check_all_read(), ConfigError, "populaton_size");
}

TEST(OptimizerRegistryTest, SameSeedSameGenerator) {
  auto a = build("type: random_shooting\npopulation_size: 20");
  auto b = build("type: random_shooting\npopulation_size: 20");
  auto objective = [](const at::Tensor& x) { return x.sum({2, 3}); };
  auto init = torch::zeros({1, 3, 1});
  EXPECT_TRUE(torch::equal(a->optimize(objective, init), b->optimize(objective, init)));
}

}  // namespace
}  // namespace mbrl
